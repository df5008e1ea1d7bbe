// Credentials, region, endpoint and CA bundle, resolved from command-line values, environment
// variables and the shared config/credentials files the way aws-cli (botocore) does it.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include "s3/credentials.hpp"

namespace s3up::s3 {

// A configuration problem. The message is one line saying what to fix; it never contains a
// secret access key or session token.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Access to environment variables, injectable for tests. get returns nullopt for unset ones; an
// empty `get` means no variables at all.
struct Environment {
  std::function<std::optional<std::string>(const std::string&)> get;
  static Environment process();  // the real environment (std::getenv)
};

struct ResolvedConfig {
  Credentials credentials;
  std::string region;
  std::string profile;  // the profile name in effect ("default" unless named)
  std::optional<std::string> endpoint_url;
  std::optional<std::string> ca_bundle;
  // Where the credentials came from, for messages: "environment", or
  // "shared credentials file /home/u/.aws/credentials [profile x]", or
  // "config file /home/u/.aws/config [profile x]". Never the secret.
  std::string credentials_source;
  // The profile's nested "s3 =" block, keys without the "s3." prefix, e.g.
  // "addressing_style" -> "path", "max_concurrent_requests" -> "64".
  std::map<std::string, std::string> s3_settings;
};

// Values given on the command line; they take precedence over everything else.
struct ConfigRequest {
  std::optional<std::string> profile, region, endpoint_url, ca_bundle;
};

// Resolves the configuration. Empty strings, in flags and in environment variables, count as
// unset. The rules, as botocore (aws-cli v1):
//  - profile: flag, AWS_DEFAULT_PROFILE, AWS_PROFILE, else "default". Note that botocore checks
//    AWS_DEFAULT_PROFILE before AWS_PROFILE. A profile named by flag or variable must exist in
//    the credentials file ([name]) or the config file ([profile name], or [default]).
//  - files: AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials) and AWS_CONFIG_FILE
//    (default ~/.aws/config); a leading "~" is $HOME. Missing files are fine.
//  - credentials: unless the profile came from the flag, AWS_ACCESS_KEY_ID +
//    AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN, or the older AWS_SECURITY_TOKEN); then the
//    profile's aws_access_key_id / aws_secret_access_key / aws_session_token in the credentials
//    file, then in the config file. Only static keys: no assume-role, SSO, credential_process,
//    web identity or instance metadata.
//  - region: flag, AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else "us-east-1".
//  - endpoint_url: flag, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's "services" section
//    (s3 = / endpoint_url = ...), the profile's endpoint_url; all but the flag are ignored when
//    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or the profile's ignore_configured_endpoint_urls is
//    "true".
//  - ca_bundle: flag, AWS_CA_BUNDLE, the profile's ca_bundle.
// Settings other than credentials are read from the profile in both files, the credentials
// file winning, as botocore merges them.
// Throws ConfigError: named profile not found, no credentials, an access key without its
// secret, a file that exists but cannot be read, a services section that does not exist.
ResolvedConfig resolve_config(const ConfigRequest& flags, const Environment& env);

}  // namespace s3up::s3
