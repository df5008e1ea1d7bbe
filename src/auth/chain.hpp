// The credential provider chain, in the order and with the settings of aws-cli v2 and the SDKs:
//  1. environment: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN;
//  2. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME);
//  3. the profile: role_arn (source_profile chains, credential_source), web_identity_token_file,
//     SSO (sso_session or the legacy sso_start_url), static keys in the credentials file,
//     credential_process, static keys in the config file;
//  4. the container endpoint (ECS, EKS Pod Identity);
//  5. EC2 instance metadata (IMDSv2), unless AWS_EC2_METADATA_DISABLED=true.
// As botocore, a profile named with --profile turns off the environment steps (1 and 2).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "auth/http_fetch.hpp"
#include "auth/provider.hpp"
#include "s3/aws_config.hpp"

namespace s3up::auth {

struct Resolution {
  ProviderPtr provider;
  // Credentials already fetched while looking (instance metadata must be asked to know whether it
  // applies); nullopt when the provider has not been asked yet.
  std::optional<s3::Credentials> first;
};

// Finds the provider. Throws s3::ConfigError when none applies: one message listing every
// provider tried and why it did not apply, or a configuration mistake in the provider that
// applies (a cycle of source_profile, mfa_serial, a role without a source...). A provider that
// applies but fails when asked (STS refuses, the process exits 1) throws ProviderError later,
// from fetch().
Resolution resolve_credentials(const s3::ResolvedConfig& config, const s3::Environment& env,
                               const HttpSettings& http);

}  // namespace s3up::auth
