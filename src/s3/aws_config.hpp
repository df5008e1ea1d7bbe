// Credentials, region, endpoint and CA bundle, resolved from command-line values, environment
// variables and the shared config/credentials files the way aws-cli (botocore) does it.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "util/ini.hpp"

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

// The two shared files, as read (either may be absent), and the lookups into them that the
// credential chain needs (profiles named by source_profile, sso-session and services sections).
struct SharedFiles {
  std::string credentials_path, config_path;
  std::string credentials_note, config_note;  // why a file was not read, e.g. " (no such file)"
  std::optional<util::IniDocument> credentials, config;
  std::string home;  // $HOME, "" when unset

  std::string describe_credentials() const { return credentials_path + credentials_note; }
  std::string describe_config() const { return config_path + config_note; }
  // [name] in the credentials file, or nullptr.
  const util::IniSection* credentials_profile(std::string_view name) const;
  // [profile name] in the config file ([default] too for "default", merged), or nullopt.
  std::optional<util::IniSection> config_profile(std::string_view name) const;
  // A "[kind name]" section of the config file ("sso-session", "services"), or nullopt.
  std::optional<util::IniSection> config_section(std::string_view kind, std::string_view name) const;
  // The profile's settings: the config file's, overridden by the credentials file's (botocore
  // merges them so); nullopt when the profile is in neither file.
  std::optional<util::IniSection> profile_settings(std::string_view name) const;
};

// "[default]" or "[profile NAME]": how a profile is written in the config file.
std::string config_header(const std::string& profile);

// A setting of a section, nullopt when absent or empty.
std::optional<std::string> setting(const util::IniSection& section, std::string_view key);

struct ResolvedConfig {
  std::string region;
  std::string profile;  // the profile name in effect ("default" unless named)
  bool profile_from_flag = false;  // --profile: environment credentials are not used (botocore)
  std::optional<std::string> endpoint_url;
  std::optional<std::string> ca_bundle;
  std::shared_ptr<const SharedFiles> files;
  util::IniSection settings;  // the profile's merged settings (empty when it has none)
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
//  - credentials are not resolved here: auth::resolve_credentials walks the provider chain over
//    what this returns.
//  - region: flag, AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else "us-east-1".
//  - endpoint_url: flag, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's "services" section
//    (s3 = / endpoint_url = ...), the profile's endpoint_url; all but the flag are ignored when
//    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or the profile's ignore_configured_endpoint_urls is
//    "true".
//  - ca_bundle: flag, AWS_CA_BUNDLE, the profile's ca_bundle.
// Settings other than credentials are read from the profile in both files, the credentials
// file winning, as botocore merges them.
// Throws ConfigError: named profile not found, a file that exists but cannot be read, a services
// section that does not exist.
ResolvedConfig resolve_config(const ConfigRequest& flags, const Environment& env);

// The endpoint configured for another service, the way endpoint_url is found for S3:
// AWS_ENDPOINT_URL_<ENV_NAME> ("STS", "SSO"), AWS_ENDPOINT_URL, the profile's services section
// ("<key>.endpoint_url" with key "sts", "sso"), the profile's endpoint_url; none of them when
// endpoint URLs are ignored. nullopt: the service's default endpoint.
std::optional<std::string> service_endpoint_url(const ResolvedConfig& config,
                                                const Environment& env,
                                                std::string_view env_name,
                                                std::string_view services_key);

}  // namespace s3up::s3
