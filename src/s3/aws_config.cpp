#include "s3/aws_config.hpp"

#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "util/ini.hpp"
#include "util/text.hpp"

namespace s3up::s3 {
namespace {

using util::IniSection;

bool is_space(char c) { return c == ' ' || c == '\t'; }

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
  return setting(section, key);
}

void load(std::optional<std::string> configured, std::string_view fallback,
          const std::optional<std::string>& home, std::string& path, std::string& note,
          std::optional<util::IniDocument>& doc) {
  path = configured.value_or(std::string(fallback));
  if (path == "~" || path.starts_with("~/")) {
    if (!home) {
      note = " (not read: HOME is not set)";
      return;
    }
    std::string h = *home;
    while (h.size() > 1 && h.back() == '/') h.pop_back();
    path = h + path.substr(1);
  }
  try {
    doc = util::read_ini_file(path);
  } catch (const std::exception& e) {
    throw ConfigError(e.what());
  }
  if (!doc) note = " (no such file)";
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

// The section of the config file for `name` of `kind` ("profile", "services", "sso-session");
// for the profile "default" both [default] and [profile default] count, merged.
std::optional<IniSection> find_config_section(const util::IniDocument& doc, std::string_view kind,
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

bool endpoints_ignored(const Vars& vars, const IniSection& settings) {
  auto ignore = vars("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  if (!ignore) ignore = value(settings, "ignore_configured_endpoint_urls");
  return ignore && util::iequals_ascii(*ignore, "true");
}

// The endpoint of a service from the environment and the profile (see service_endpoint_url).
std::optional<std::string> configured_endpoint(const Vars& vars, const SharedFiles& files,
                                               const std::string& profile,
                                               const IniSection& settings,
                                               std::string_view env_name,
                                               std::string_view services_key) {
  if (endpoints_ignored(vars, settings)) return std::nullopt;
  const std::string specific = "AWS_ENDPOINT_URL_" + std::string(env_name);
  if (auto url = vars.first({specific.c_str(), "AWS_ENDPOINT_URL"})) return url;
  if (auto services = value(settings, "services")) {
    const auto section = files.config_section("services", *services);
    if (!section) {
      throw ConfigError("profile '" + profile + "' sets services = " + *services +
                        " but there is no [services " + *services + "] section in " +
                        files.describe_config());
    }
    if (auto url = value(*section, std::string(services_key) + ".endpoint_url")) return url;
  }
  return value(settings, "endpoint_url");
}

}  // namespace

Environment Environment::process() {
  return {[](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  }};
}

std::optional<std::string> setting(const util::IniSection& section, std::string_view key) {
  const auto it = section.find(key);
  if (it == section.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::string config_header(const std::string& profile) {
  return profile == "default" ? "[default]" : "[profile " + profile + "]";
}

const util::IniSection* SharedFiles::credentials_profile(std::string_view name) const {
  return credentials ? credentials->find(name) : nullptr;
}

std::optional<util::IniSection> SharedFiles::config_profile(std::string_view name) const {
  return config ? find_config_section(*config, "profile", name) : std::nullopt;
}

std::optional<util::IniSection> SharedFiles::config_section(std::string_view kind,
                                                            std::string_view name) const {
  return config ? find_config_section(*config, kind, name) : std::nullopt;
}

std::optional<util::IniSection> SharedFiles::profile_settings(std::string_view name) const {
  const IniSection* creds = credentials_profile(name);
  auto merged = config_profile(name);
  if (!creds && !merged) return std::nullopt;
  if (!merged) merged.emplace();
  if (creds) {
    for (const auto& [k, v] : *creds) (*merged)[k] = v;
  }
  return merged;
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
  out.profile_from_flag = non_empty(flags.profile).has_value();

  auto files = std::make_shared<SharedFiles>();
  const auto home = vars("HOME");
  files->home = home.value_or("");
  load(vars("AWS_SHARED_CREDENTIALS_FILE"), "~/.aws/credentials", home, files->credentials_path,
       files->credentials_note, files->credentials);
  load(vars("AWS_CONFIG_FILE"), "~/.aws/config", home, files->config_path, files->config_note,
       files->config);
  out.files = files;

  auto settings = files->profile_settings(out.profile);
  if (!profile_origin.empty() && !settings) {
    throw ConfigError("profile '" + out.profile + "' (" + profile_origin + ") not found in " +
                      files->describe_credentials() + " as [" + out.profile + "] or in " +
                      files->describe_config() + " as " + config_header(out.profile));
  }
  out.settings = settings.value_or(IniSection{});

  auto region = non_empty(flags.region);
  if (!region) region = vars.first({"AWS_REGION", "AWS_DEFAULT_REGION"});
  if (!region) region = value(out.settings, "region");
  out.region = region.value_or("us-east-1");

  out.endpoint_url = non_empty(flags.endpoint_url);
  if (!out.endpoint_url)
    out.endpoint_url = configured_endpoint(vars, *files, out.profile, out.settings, "S3", "s3");

  out.ca_bundle = non_empty(flags.ca_bundle);
  if (!out.ca_bundle) out.ca_bundle = vars("AWS_CA_BUNDLE");
  if (!out.ca_bundle) out.ca_bundle = value(out.settings, "ca_bundle");
  for (const auto& [k, v] : out.settings) {
    if (k.starts_with("s3.")) out.s3_settings.emplace(k.substr(3), v);
  }
  return out;
}

std::optional<std::string> service_endpoint_url(const ResolvedConfig& config,
                                                const Environment& env,
                                                std::string_view env_name,
                                                std::string_view services_key) {
  const Vars vars(env);
  static const SharedFiles no_files;
  return configured_endpoint(vars, config.files ? *config.files : no_files, config.profile,
                             config.settings, env_name, services_key);
}

}  // namespace s3up::s3
