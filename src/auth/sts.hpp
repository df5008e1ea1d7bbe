// Credentials from AWS STS: AssumeRole (signed with source credentials) and
// AssumeRoleWithWebIdentity (a token file: EKS IRSA, GitHub Actions OIDC). Both return
// temporary credentials; the provider asks again at every refresh.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "auth/http_fetch.hpp"
#include "auth/provider.hpp"

namespace s3up::auth {

struct StsSettings {
  std::string endpoint_url;  // "https://sts.us-east-1.amazonaws.com" (see sts_endpoint_url)
  std::string region;        // signing region for AssumeRole
  HttpSettings http;
};

// https://sts.<region>.amazonaws.com (.amazonaws.com.cn for cn-* regions), unless `override`.
std::string sts_endpoint_url(const std::string& region, const std::optional<std::string>& override);

struct AssumeRoleParams {
  std::string role_arn;
  std::string session_name;                    // botocore's default: "botocore-session-<epoch>"
  std::optional<std::string> external_id;
  std::optional<int> duration_seconds;         // STS's default (3600) when nullopt
};

// AssumeRole signed (SigV4, service "sts") with what `source` fetches, fetched again at every
// call of fetch() (the source may be temporary itself). `via` says where the role came from, for
// describe(), e.g. "profile 'dev'".
ProviderPtr make_assume_role_provider(ProviderPtr source, AssumeRoleParams params,
                                      StsSettings sts, std::string via);

struct WebIdentityParams {
  std::string token_file;  // re-read at every fetch (it rotates)
  std::string role_arn;
  std::string session_name;
};

// AssumeRoleWithWebIdentity (an unsigned request) with the token read from the file.
ProviderPtr make_web_identity_provider(WebIdentityParams params, StsSettings sts,
                                       std::string via);

// The credentials in an STS reply body for `action` ("AssumeRole",
// "AssumeRoleWithWebIdentity"): <ActionResult><Credentials> AccessKeyId, SecretAccessKey,
// SessionToken, Expiration. Throws ProviderError when it holds none (an <ErrorResponse>'s Code
// and Message are named; never the body otherwise).
s3::Credentials parse_sts_credentials(std::string_view xml, std::string_view action);

// "AccessDenied: User ... is not authorized" from an STS <ErrorResponse>, or "" when there is
// none.
std::string sts_error_text(std::string_view xml);

}  // namespace s3up::auth
