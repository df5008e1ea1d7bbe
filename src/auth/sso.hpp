// IAM Identity Center (SSO): the access token that `aws sso login` cached under
// ~/.aws/sso/cache/ is exchanged with the SSO portal's GetRoleCredentials for the profile's
// account and role.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "auth/http_fetch.hpp"
#include "auth/provider.hpp"
#include "auth/time_format.hpp"

namespace s3up::auth {

struct SsoSettings {
  std::string profile;                      // for messages ("aws sso login --profile X")
  std::optional<std::string> session_name;  // sso_session = NAME (the newer form)
  std::string start_url;
  std::string sso_region;
  std::string account_id;
  std::string role_name;
  std::string cache_dir;       // ~/.aws/sso/cache
  std::string portal_url;      // https://portal.sso.<sso_region>.amazonaws.com unless overridden
  HttpSettings http;
};

// The cache file: <cache_dir>/<sha1 hex of the session name, or of the start URL>.json.
std::string sso_cache_path(const SsoSettings& settings);

// https://portal.sso.<region>.amazonaws.com (.amazonaws.com.cn for cn-*), unless `override`.
std::string sso_portal_url(const std::string& sso_region,
                           const std::optional<std::string>& override);

// Each fetch reads the cache file (accessToken, expiresAt), refuses an expired or missing token
// with "run `aws sso login --profile X`", then GETs
// <portal>/federation/credentials?account_id=..&role_name=.. with x-amz-sso_bearer_token and
// reads roleCredentials {accessKeyId, secretAccessKey, sessionToken, expiration (epoch ms)}.
// A 401/403 from the portal is the same "log in again" error.
ProviderPtr make_sso_provider(SsoSettings settings);

// The access token of a cache file of `aws sso login` (accessToken, expiresAt), expired or not;
// nullopt when the text holds none (not a JSON object, no accessToken, no ISO 8601 expiresAt).
struct SsoCachedToken {
  std::string access_token;
  SysTime expires_at;
};
std::optional<SsoCachedToken> parse_sso_cache(std::string_view json);

// The credentials of a GetRoleCredentials reply (roleCredentials: accessKeyId, secretAccessKey,
// sessionToken, expiration in epoch milliseconds). Throws ProviderError, its message `prefix`
// followed by the reason: a status other than 200 (with the reply's message, if any), a body that
// is not a JSON object, incomplete credentials, no expiration. 401 and 403 are the caller's.
s3::Credentials parse_sso_reply(unsigned status, std::string_view body, const std::string& prefix);

}  // namespace s3up::auth
