#include "auth/chain.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "auth/container.hpp"
#include "auth/imds.hpp"
#include "auth/process.hpp"
#include "auth/sso.hpp"
#include "auth/sts.hpp"
#include "util/text.hpp"

namespace s3up::auth {
namespace {

using s3::ConfigError;
using s3::setting;
using util::IniSection;

// Environment variables, empty ones counting as unset.
class Vars {
 public:
  explicit Vars(const s3::Environment& env) : env_(env) {}
  std::optional<std::string> operator()(const std::string& name) const {
    if (!env_.get) return std::nullopt;
    auto v = env_.get(name);
    if (v && !v->empty()) return v;
    return std::nullopt;
  }
  const s3::Environment& raw() const { return env_; }

 private:
  const s3::Environment& env_;
};

std::string default_session_name() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return "s3up-session-" +
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count());
}

std::optional<int> parse_int(const std::string& text) {
  int v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

struct Chain {
  const s3::ResolvedConfig& config;
  const s3::SharedFiles& files;
  Vars env;
  HttpSettings http;
  std::vector<std::string> tried;  // why each provider did not apply, in order

  StsSettings sts() const {
    StsSettings s;
    s.region = config.region;
    s.endpoint_url =
        sts_endpoint_url(config.region, s3::service_endpoint_url(config, env.raw(), "STS", "sts"));
    s.http = http;
    return s;
  }

  std::string where_profile(const std::string& name) const {
    return "[" + name + "] in " + files.describe_credentials() + " or " +
           s3::config_header(name) + " in " + files.describe_config();
  }

  // ---- 1. environment ----------------------------------------------------------------------
  ProviderPtr environment(bool required_by) {
    auto key = env("AWS_ACCESS_KEY_ID");
    auto secret = env("AWS_SECRET_ACCESS_KEY");
    if (!key) {
      if (required_by)
        throw ConfigError(
            "credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "are not set");
      tried.push_back(secret ? "environment: AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID "
                               "is not"
                             : "environment: AWS_ACCESS_KEY_ID is not set");
      return nullptr;
    }
    if (!secret) {
      throw ConfigError(
          "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or unset "
          "AWS_ACCESS_KEY_ID to use the shared credentials files");
    }
    s3::Credentials c{std::move(*key), std::move(*secret), {}, std::nullopt};
    if (auto token = env("AWS_SESSION_TOKEN")) {
      c.session_token = std::move(*token);
    } else if (auto legacy = env("AWS_SECURITY_TOKEN")) {
      c.session_token = std::move(*legacy);
    }
    return std::make_shared<StaticProvider>(std::move(c), "environment",
                                            "environment variables AWS_ACCESS_KEY_ID and "
                                            "AWS_SECRET_ACCESS_KEY");
  }

  // ---- 2. web identity from the environment --------------------------------------------------
  ProviderPtr web_identity_environment() {
    auto file = env("AWS_WEB_IDENTITY_TOKEN_FILE");
    auto arn = env("AWS_ROLE_ARN");
    if (!file || !arn) {
      tried.push_back(!file && !arn ? "web identity: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN "
                                      "are not set"
                      : !file       ? "web identity: AWS_ROLE_ARN is set but "
                                      "AWS_WEB_IDENTITY_TOKEN_FILE is not"
                                    : "web identity: AWS_WEB_IDENTITY_TOKEN_FILE is set but "
                                      "AWS_ROLE_ARN is not");
      return nullptr;
    }
    WebIdentityParams p{*file, *arn, env("AWS_ROLE_SESSION_NAME").value_or(default_session_name())};
    return make_web_identity_provider(std::move(p), sts(), "AWS_WEB_IDENTITY_TOKEN_FILE");
  }

  // ---- 3. the profile --------------------------------------------------------------------------
  // Static keys of one section (credentials file or config file), or nullptr.
  ProviderPtr static_keys(const IniSection& section, const std::string& profile, bool in_credentials_file) {
    auto key = setting(section, "aws_access_key_id");
    if (!key) return nullptr;
    const std::string path = in_credentials_file ? files.credentials_path : files.config_path;
    auto secret = setting(section, "aws_secret_access_key");
    if (!secret) {
      throw ConfigError("profile '" + profile + "' in " + path +
                        " has aws_access_key_id but no aws_secret_access_key: add it");
    }
    s3::Credentials c{std::move(*key), std::move(*secret), {}, std::nullopt};
    if (auto token = setting(section, "aws_session_token")) {
      c.session_token = std::move(*token);
    } else if (auto legacy = setting(section, "aws_security_token")) {
      c.session_token = std::move(*legacy);
    }
    return std::make_shared<StaticProvider>(
        std::move(c), in_credentials_file ? "shared-credentials-file" : "config-file",
        (in_credentials_file ? "shared credentials file " : "config file ") + path +
            " [profile " + profile + "]");
  }

  ProviderPtr credentials_file_keys(const std::string& profile) {
    const IniSection* s = files.credentials_profile(profile);
    return s ? static_keys(*s, profile, true) : nullptr;
  }

  ProviderPtr config_file_keys(const std::string& profile) {
    const auto s = files.config_profile(profile);
    return s ? static_keys(*s, profile, false) : nullptr;
  }

  // The provider of profile `name`, as the profile in force or as a source_profile. `visited`
  // holds the profiles on the way (for cycles); its last one named `name` as source.
  ProviderPtr profile(const std::string& name, std::vector<std::string>& visited, bool as_source) {
    const auto settings = files.profile_settings(name);
    if (!settings) {
      if (as_source)
        throw ConfigError("profile '" + visited[visited.size() - 2] + "' names source_profile = " +
                          name + ", which is not found as " + where_profile(name));
      tried.push_back("profile '" + name + "': not found as " + where_profile(name));
      return nullptr;
    }
    const IniSection& s = *settings;
    // A source profile with static keys gives them, even if it names a role too (botocore).
    if (as_source) {
      if (auto p = credentials_file_keys(name)) return p;
      if (auto p = config_file_keys(name)) return p;
    }
    if (setting(s, "role_arn")) return role(name, s, visited);
    if (setting(s, "web_identity_token_file"))
      throw ConfigError("profile '" + name +
                        "' sets web_identity_token_file but no role_arn: add the role to assume");
    if (setting(s, "sso_session") || setting(s, "sso_start_url") || setting(s, "sso_account_id"))
      return sso(name, s);
    if (auto p = credentials_file_keys(name)) return p;
    if (auto command = setting(s, "credential_process")) {
      try {
        split_command_line(*command);  // a malformed command is a configuration error now
      } catch (const ProviderError& e) {
        throw ConfigError("profile '" + name + "': credential_process: " + e.what());
      }
      return make_process_provider(*command, name);
    }
    if (auto p = config_file_keys(name)) return p;

    std::string why = "profile '" + name +
                      "': holds no credentials (aws_access_key_id, role_arn, sso_session, "
                      "sso_start_url or credential_process) in " + where_profile(name);
    if (setting(s, "aws_secret_access_key") && !setting(s, "aws_access_key_id"))
      why += "; it has aws_secret_access_key but no aws_access_key_id";
    if (as_source)
      throw ConfigError("source_profile " + name + " of profile '" +
                        visited[visited.size() - 2] + "' " + why.substr(why.find(':') + 2));
    tried.push_back(why);
    return nullptr;
  }

  ProviderPtr role(const std::string& name, const IniSection& s, std::vector<std::string>& visited) {
    const std::string arn = *setting(s, "role_arn");
    const std::string via = "profile '" + name + "'";
    if (setting(s, "mfa_serial")) {
      throw ConfigError(
          "profile '" + name + "' sets mfa_serial: s3up runs unattended and cannot ask for an MFA "
          "code. Use a role that does not require MFA, or get temporary credentials first (for "
          "example `aws configure export-credentials --profile " + name +
          " --format env`) and run s3up with them in the environment");
    }
    AssumeRoleParams params;
    params.role_arn = arn;
    params.session_name = setting(s, "role_session_name").value_or(default_session_name());
    params.external_id = setting(s, "external_id");
    if (auto d = setting(s, "duration_seconds")) {
      const auto seconds = parse_int(*d);
      if (!seconds || *seconds < 900 || *seconds > 43200)
        throw ConfigError("profile '" + name + "': duration_seconds = " + *d +
                          " is not a number of seconds between 900 and 43200");
      params.duration_seconds = *seconds;
    }
    if (auto token_file = setting(s, "web_identity_token_file")) {
      return make_web_identity_provider({*token_file, arn, params.session_name}, sts(), via);
    }
    const auto source_profile = setting(s, "source_profile");
    const auto credential_source = setting(s, "credential_source");
    if (source_profile && credential_source)
      throw ConfigError("profile '" + name +
                        "' sets both source_profile and credential_source: keep one");
    ProviderPtr source;
    if (source_profile) {
      if (*source_profile == name) {
        // A profile may name itself: its own static keys assume its role.
        source = credentials_file_keys(name);
        if (!source) source = config_file_keys(name);
        if (!source)
          throw ConfigError("profile '" + name +
                            "' names itself as source_profile but has no aws_access_key_id");
      } else {
        if (std::find(visited.begin(), visited.end(), *source_profile) != visited.end()) {
          std::string cycle;
          for (const auto& p : visited) cycle += p + " -> ";
          throw ConfigError("source_profile makes a cycle: " + cycle + *source_profile);
        }
        visited.push_back(*source_profile);
        source = profile(*source_profile, visited, true);
      }
    } else if (credential_source) {
      if (*credential_source == "Environment") {
        source = environment(true);
      } else if (*credential_source == "Ec2InstanceMetadata") {
        source = make_imds_provider(imds_settings());
      } else if (*credential_source == "EcsContainer") {
        source = container(true);
      } else {
        throw ConfigError("profile '" + name + "': credential_source = " + *credential_source +
                          " is not one of Environment, Ec2InstanceMetadata, EcsContainer");
      }
    } else {
      throw ConfigError("profile '" + name +
                        "' sets role_arn but neither source_profile nor credential_source: add "
                        "the credentials that may assume the role");
    }
    return make_assume_role_provider(std::move(source), std::move(params), sts(), via);
  }

  ProviderPtr sso(const std::string& name, const IniSection& s) {
    SsoSettings o;
    o.profile = name;
    std::optional<std::string> start_url, region;
    std::string where = "profile '" + name + "'";
    if (auto session = setting(s, "sso_session")) {
      const auto section = files.config_section("sso-session", *session);
      if (!section)
        throw ConfigError("profile '" + name + "' sets sso_session = " + *session +
                          " but there is no [sso-session " + *session + "] section in " +
                          files.describe_config());
      o.session_name = *session;
      start_url = setting(*section, "sso_start_url");
      region = setting(*section, "sso_region");
      where = "[sso-session " + *session + "]";
    } else {
      start_url = setting(s, "sso_start_url");
      region = setting(s, "sso_region");
    }
    const auto account = setting(s, "sso_account_id");
    const auto role_name = setting(s, "sso_role_name");
    std::string missing;
    const auto need = [&missing](const std::optional<std::string>& v, const char* key) {
      if (!v) missing += std::string(missing.empty() ? "" : ", ") + key;
    };
    need(start_url, "sso_start_url");
    need(region, "sso_region");
    need(account, "sso_account_id");
    need(role_name, "sso_role_name");
    if (!missing.empty())
      throw ConfigError("profile '" + name + "' is an SSO profile but lacks " + missing +
                        " (in " + where + " of " + files.describe_config() + ")");
    if (files.home.empty())
      throw ConfigError("profile '" + name + "' uses SSO, whose token cache is under "
                        "~/.aws/sso/cache, but HOME is not set");
    o.start_url = *start_url;
    o.sso_region = *region;
    o.account_id = *account;
    o.role_name = *role_name;
    o.cache_dir = files.home + "/.aws/sso/cache";
    o.portal_url =
        sso_portal_url(*region, s3::service_endpoint_url(config, env.raw(), "SSO", "sso"));
    o.http = http;
    return make_sso_provider(std::move(o));
  }

  // ---- 4. container -------------------------------------------------------------------------
  ProviderPtr container(bool required) {
    std::optional<ContainerSettings> c;
    try {
      c = container_settings(env.raw());
    } catch (const ProviderError& e) {
      throw ConfigError(e.what());
    }
    if (!c) {
      if (required)
        throw ConfigError(
            "credential_source = EcsContainer, but neither "
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set");
      tried.push_back(
          "container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and "
          "AWS_CONTAINER_CREDENTIALS_FULL_URI are not set");
      return nullptr;
    }
    c->http.tls = http.tls;
    return make_container_provider(std::move(*c));
  }

  // ---- 5. instance metadata -----------------------------------------------------------------
  ImdsSettings imds_settings() const {
    ImdsSettings o;
    if (auto e = env("AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
      o.endpoint = *e;
    } else if (auto e2 = setting(config.settings, "ec2_metadata_service_endpoint")) {
      o.endpoint = *e2;
    }
    while (o.endpoint.size() > 1 && o.endpoint.back() == '/') o.endpoint.pop_back();
    auto timeout = env("AWS_METADATA_SERVICE_TIMEOUT");
    if (!timeout) timeout = setting(config.settings, "metadata_service_timeout");
    if (timeout) {
      try {
        const double seconds = std::stod(*timeout);
        if (seconds > 0) o.timeout = std::chrono::milliseconds(static_cast<long>(seconds * 1000));
      } catch (const std::exception&) {
      }
    }
    auto attempts = env("AWS_METADATA_SERVICE_NUM_ATTEMPTS");
    if (!attempts) attempts = setting(config.settings, "metadata_service_num_attempts");
    if (attempts) {
      if (auto n = parse_int(*attempts); n && *n >= 1) o.attempts = *n;
    }
    auto v1_disabled = env("AWS_EC2_METADATA_V1_DISABLED");
    if (!v1_disabled) v1_disabled = setting(config.settings, "ec2_metadata_v1_disabled");
    o.allow_v1_fallback = !(v1_disabled && util::iequals_ascii(*v1_disabled, "true"));
    return o;
  }

  Resolution instance_metadata() {
    if (auto disabled = env("AWS_EC2_METADATA_DISABLED");
        disabled && util::iequals_ascii(*disabled, "true")) {
      tried.push_back("EC2 instance metadata: disabled by AWS_EC2_METADATA_DISABLED=true");
      return {};
    }
    const ImdsSettings settings = imds_settings();
    ProviderPtr p = make_imds_provider(settings);
    try {
      s3::Credentials first = p->fetch();
      return {std::move(p), std::move(first)};
    } catch (const ProviderError& e) {
      // The provider's messages start with "EC2 instance metadata" already.
      tried.push_back(e.what());
      return {};
    }
  }
};

}  // namespace

Resolution resolve_credentials(const s3::ResolvedConfig& config, const s3::Environment& env,
                               const HttpSettings& http) {
  static const s3::SharedFiles no_files;
  Chain chain{config, config.files ? *config.files : no_files, Vars(env), http, {}};

  if (config.profile_from_flag) {
    chain.tried.push_back("environment and web identity: not used, because --profile " +
                          config.profile + " was given");
  } else {
    if (auto p = chain.environment(false)) return {p, std::nullopt};
    if (auto p = chain.web_identity_environment()) return {p, std::nullopt};
  }
  std::vector<std::string> visited{config.profile};
  if (auto p = chain.profile(config.profile, visited, false)) return {p, std::nullopt};
  if (auto p = chain.container(false)) return {p, std::nullopt};
  if (auto r = chain.instance_metadata(); r.provider) return r;

  std::string message = "unable to locate credentials. Tried, in order:";
  for (const auto& line : chain.tried) message += "\n  - " + line;
  message +=
      "\nSet AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, configure a profile (aws configure, "
      "aws configure sso) and name it with --profile or AWS_PROFILE, or run where a role is "
      "available (EC2 instance role, ECS task role, EKS IRSA or Pod Identity)";
  throw ConfigError(message);
}

}  // namespace s3up::auth
