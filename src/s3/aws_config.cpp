#include "s3/aws_config.hpp"

#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "util/ini.hpp"

namespace s3up::s3 {
namespace {

using util::IniSection;

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::optional<std::string> non_empty(const std::optional<std::string>& v) {
  if (v && !v->empty()) return v;
  return std::nullopt;
}

// Environment variables, empty ones counting as unset.
class Vars {
 public:
  explicit Vars(const Environment& env) : env_(env) {}
  std::optional<std::string> operator()(const std::string& name) const {
    if (!env_.get) return std::nullopt;
    return non_empty(env_.get(name));
  }
  // The first of `names` that is set.
  std::optional<std::string> first(std::initializer_list<const char*> names) const {
    for (const char* name : names) {
      if (auto v = (*this)(name)) return v;
    }
    return std::nullopt;
  }

 private:
  const Environment& env_;
};

std::optional<std::string> value(const IniSection& section, std::string_view key) {
  const auto it = section.find(key);
  if (it == section.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

// One of the two shared files: where it is, for messages, and what it holds.
struct SharedFile {
  std::string path;
  std::string note;  // why it was not read, e.g. " (no such file)"
  std::optional<util::IniDocument> doc;

  std::string describe() const { return path + note; }
};

SharedFile load(std::optional<std::string> configured, std::string_view fallback,
                const std::optional<std::string>& home) {
  SharedFile f;
  f.path = configured.value_or(std::string(fallback));
  if (f.path == "~" || f.path.starts_with("~/")) {
    if (!home) {
      f.note = " (not read: HOME is not set)";
      return f;
    }
    std::string h = *home;
    while (h.size() > 1 && h.back() == '/') h.pop_back();
    f.path = h + f.path.substr(1);
  }
  try {
    f.doc = util::read_ini_file(f.path);
  } catch (const std::exception& e) {
    throw ConfigError(e.what());
  }
  if (!f.doc) f.note = " (no such file)";
  return f;
}

// The name in a config-file header "<kind> name" (botocore splits it like a shell would, so
// the name may be quoted), or nullopt when `header` is not of that kind.
std::optional<std::string> named_header(std::string_view header, std::string_view kind) {
  if (!header.starts_with(kind)) return std::nullopt;
  header.remove_prefix(kind.size());
  if (header.empty() || !is_space(header.front())) return std::nullopt;
  while (!header.empty() && is_space(header.front())) header.remove_prefix(1);
  while (!header.empty() && is_space(header.back())) header.remove_suffix(1);
  if (header.size() >= 2 && (header.front() == '"' || header.front() == '\'') &&
      header.back() == header.front()) {
    header = header.substr(1, header.size() - 2);
  } else {
    for (char c : header) {
      if (is_space(c)) return std::nullopt;
    }
  }
  if (header.empty()) return std::nullopt;
  return std::string(header);
}

// The section of the config file for `name` of `kind` ("profile" or "services"); for the
// profile "default" both [default] and [profile default] count, merged.
std::optional<IniSection> config_section(const util::IniDocument& doc, std::string_view kind,
                                         std::string_view name) {
  std::optional<IniSection> found;
  const auto merge = [&found](const IniSection& s) {
    if (!found) found.emplace();
    for (const auto& [k, v] : s) (*found)[k] = v;
  };
  if (kind == "profile" && name == "default") {
    if (const auto* s = doc.find("default")) merge(*s);
  }
  for (const auto& [header, section] : doc.sections) {
    if (named_header(header, kind) == name) merge(section);
  }
  return found;
}

std::string config_header(const std::string& profile) {
  return profile == "default" ? "[default]" : "[profile " + profile + "]";
}

// Static keys from one profile section, or nullopt when it has no aws_access_key_id.
std::optional<Credentials> section_credentials(const IniSection& section,
                                               const std::string& where) {
  auto key = value(section, "aws_access_key_id");
  if (!key) return std::nullopt;
  auto secret = value(section, "aws_secret_access_key");
  if (!secret) {
    throw ConfigError(where + " has aws_access_key_id but no aws_secret_access_key: add it");
  }
  Credentials c{std::move(*key), std::move(*secret), {}};
  if (auto token = value(section, "aws_session_token")) {
    c.session_token = std::move(*token);
  } else if (auto legacy = value(section, "aws_security_token")) {
    c.session_token = std::move(*legacy);
  }
  return c;
}

// Keys of credential sources botocore supports and s3up does not.
constexpr const char* kUnsupportedSources[] = {
    "role_arn", "credential_process", "sso_session", "sso_start_url", "web_identity_token_file"};

struct Context {
  const Vars& vars;
  const std::string& profile;
  bool profile_from_flag;
  const SharedFile& creds;
  const SharedFile& config;
  const IniSection* creds_section;
  const std::optional<IniSection>& config_profile;
  const IniSection& settings;
};

void find_credentials(const Context& ctx, ResolvedConfig& out) {
  if (!ctx.profile_from_flag) {
    if (auto key = ctx.vars("AWS_ACCESS_KEY_ID")) {
      auto secret = ctx.vars("AWS_SECRET_ACCESS_KEY");
      if (!secret) {
        throw ConfigError(
            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or unset "
            "AWS_ACCESS_KEY_ID to use the shared credentials files");
      }
      out.credentials = {std::move(*key), std::move(*secret),
                         ctx.vars.first({"AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"}).value_or("")};
      out.credentials_source = "environment";
      return;
    }
  }
  const std::string label = "[profile " + ctx.profile + "]";
  if (ctx.creds_section) {
    if (auto c = section_credentials(*ctx.creds_section, "profile '" + ctx.profile + "' in " +
                                                             ctx.creds.path)) {
      out.credentials = std::move(*c);
      out.credentials_source = "shared credentials file " + ctx.creds.path + " " + label;
      return;
    }
  }
  if (ctx.config_profile) {
    if (auto c = section_credentials(*ctx.config_profile, "profile '" + ctx.profile + "' in " +
                                                              ctx.config.path)) {
      out.credentials = std::move(*c);
      out.credentials_source = "config file " + ctx.config.path + " " + label;
      return;
    }
  }

  std::string message = "no AWS credentials found for profile '" + ctx.profile +
                        "': set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add "
                        "aws_access_key_id and aws_secret_access_key to [" + ctx.profile +
                        "] in " + ctx.creds.describe() + " or to " +
                        config_header(ctx.profile) + " in " + ctx.config.describe();
  if (ctx.profile_from_flag && ctx.vars("AWS_ACCESS_KEY_ID")) {
    message += "; AWS_ACCESS_KEY_ID is not used because the profile was named on the command line";
  } else if (!ctx.profile_from_flag && ctx.vars("AWS_SECRET_ACCESS_KEY")) {
    message += "; AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not";
  }
  if (value(ctx.settings, "aws_secret_access_key") && !value(ctx.settings, "aws_access_key_id")) {
    message += "; the profile has aws_secret_access_key but no aws_access_key_id";
  }
  for (const char* key : kUnsupportedSources) {
    if (value(ctx.settings, key)) {
      message += std::string("; the profile uses ") + key +
                 ", which s3up does not support (static keys only)";
      break;
    }
  }
  throw ConfigError(message);
}

std::optional<std::string> find_endpoint_url(const Context& ctx) {
  auto ignore = ctx.vars("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  if (!ignore) ignore = value(ctx.settings, "ignore_configured_endpoint_urls");
  if (ignore && lower(*ignore) == "true") return std::nullopt;
  if (auto url = ctx.vars.first({"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"})) return url;
  if (auto services = value(ctx.settings, "services")) {
    const auto section = ctx.config.doc ? config_section(*ctx.config.doc, "services", *services)
                                        : std::nullopt;
    if (!section) {
      throw ConfigError("profile '" + ctx.profile + "' sets services = " + *services +
                        " but there is no [services " + *services + "] section in " +
                        ctx.config.describe());
    }
    if (auto url = value(*section, "s3.endpoint_url")) return url;
  }
  return value(ctx.settings, "endpoint_url");
}

}  // namespace

Environment Environment::process() {
  return {[](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  }};
}

ResolvedConfig resolve_config(const ConfigRequest& flags, const Environment& env) {
  const Vars vars(env);
  ResolvedConfig out;

  std::string profile_origin;  // empty when the profile was not named
  if (auto p = non_empty(flags.profile)) {
    out.profile = *p;
    profile_origin = "given on the command line";
  } else if (auto p = vars("AWS_DEFAULT_PROFILE")) {
    out.profile = *p;
    profile_origin = "from AWS_DEFAULT_PROFILE";
  } else if (auto p = vars("AWS_PROFILE")) {
    out.profile = *p;
    profile_origin = "from AWS_PROFILE";
  } else {
    out.profile = "default";
  }
  const bool profile_from_flag = non_empty(flags.profile).has_value();

  const auto home = vars("HOME");
  const auto creds = load(vars("AWS_SHARED_CREDENTIALS_FILE"), "~/.aws/credentials", home);
  const auto config = load(vars("AWS_CONFIG_FILE"), "~/.aws/config", home);
  const IniSection* creds_section = creds.doc ? creds.doc->find(out.profile) : nullptr;
  const auto config_profile =
      config.doc ? config_section(*config.doc, "profile", out.profile) : std::nullopt;

  if (!profile_origin.empty() && !creds_section && !config_profile) {
    throw ConfigError("profile '" + out.profile + "' (" + profile_origin + ") not found in " +
                      creds.describe() + " as [" + out.profile + "] or in " +
                      config.describe() + " as " + config_header(out.profile));
  }

  // Settings: the config file's profile, overridden by the credentials file's.
  IniSection settings = config_profile.value_or(IniSection{});
  if (creds_section) {
    for (const auto& [k, v] : *creds_section) settings[k] = v;
  }
  const Context ctx{vars,          out.profile,    profile_from_flag, creds, config,
                    creds_section, config_profile, settings};

  find_credentials(ctx, out);

  auto region = non_empty(flags.region);
  if (!region) region = vars.first({"AWS_REGION", "AWS_DEFAULT_REGION"});
  if (!region) region = value(settings, "region");
  out.region = region.value_or("us-east-1");

  out.endpoint_url = non_empty(flags.endpoint_url);
  if (!out.endpoint_url) out.endpoint_url = find_endpoint_url(ctx);

  out.ca_bundle = non_empty(flags.ca_bundle);
  if (!out.ca_bundle) out.ca_bundle = vars("AWS_CA_BUNDLE");
  if (!out.ca_bundle) out.ca_bundle = value(settings, "ca_bundle");
  for (const auto& [k, v] : settings) {
    if (k.starts_with("s3.")) out.s3_settings.emplace(k.substr(3), v);
  }
  return out;
}

}  // namespace s3up::s3
