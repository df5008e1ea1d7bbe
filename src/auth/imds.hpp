// Credentials of the EC2 instance role from the instance metadata service, IMDSv2: PUT a session
// token, GET the role name, GET the role's credentials. Short timeouts, so that a machine that is
// not an EC2 instance is not held up.
#pragma once
#include <chrono>
#include <string>
#include <string_view>

#include "auth/http_fetch.hpp"
#include "auth/provider.hpp"

namespace s3up::auth {

struct ImdsSettings {
  std::string endpoint = "http://169.254.169.254";  // AWS_EC2_METADATA_SERVICE_ENDPOINT
  std::chrono::milliseconds timeout{1000};           // AWS_METADATA_SERVICE_TIMEOUT (seconds)
  int attempts = 2;                                  // AWS_METADATA_SERVICE_NUM_ATTEMPTS
  bool allow_v1_fallback = true;  // false with AWS_EC2_METADATA_V1_DISABLED=true
};

// Each fetch: PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds: 21600), then
// GET /latest/meta-data/iam/security-credentials/ and .../<role> with X-aws-ec2-metadata-token.
// A token PUT answered 403/404/405 falls back to IMDSv1 (no token) when allowed. Every request
// has `timeout` and is tried `attempts` times. Throws ProviderError: unreachable (quickly), no
// role attached, a reply that is not credentials.
ProviderPtr make_imds_provider(ImdsSettings settings);

// The credentials in a JSON document of the kind IMDS, the ECS/EKS container endpoint and
// credential_process return: AccessKeyId, SecretAccessKey, Token or SessionToken, Expiration
// (ISO 8601, optional). IMDS's "Code" must be "Success" when present. `what` names the source in
// messages. Throws ProviderError (never quoting the document).
s3::Credentials parse_credentials_json(std::string_view json, const std::string& what);

}  // namespace s3up::auth
