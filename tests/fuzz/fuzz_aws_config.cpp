// The shared config and credentials files as s3up reads them (s3::resolve_config): the input is
// the config file, a NUL byte, then the credentials file, written to scratch files that
// AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name. The profile is "default" or, when the
// input starts with "profile=NAME\n", NAME. Nothing but ConfigError may be thrown.
#include <map>

#include "fuzz_support.hpp"
#include "s3/aws_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace s3 = s3up::s3;
  std::string_view text = s3up::fuzz::as_text(data, size);
  std::optional<std::string> profile;
  if (text.starts_with("profile=")) {
    const std::size_t end = text.find('\n');
    profile = std::string(text.substr(8, end == std::string_view::npos ? text.npos : end - 8));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }
  const auto files = s3up::fuzz::split(text, '\0', 2);
  const auto config = s3up::fuzz::scratch_dir() / "config";
  const auto credentials = s3up::fuzz::scratch_dir() / "credentials";
  s3up::fuzz::write_file(config, files[0]);
  s3up::fuzz::write_file(credentials, files.size() > 1 ? files[1] : std::string_view{});

  const std::map<std::string, std::string> vars{{"AWS_CONFIG_FILE", config.string()},
                                                {"AWS_SHARED_CREDENTIALS_FILE", credentials.string()}};
  s3::Environment env;
  env.get = [&vars](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  s3::ConfigRequest request;
  request.profile = profile;
  try {
    const s3::ResolvedConfig resolved = s3::resolve_config(request, env);
    s3up::fuzz::check(!resolved.region.empty(), "resolve_config gave no region");
    (void)s3::service_endpoint_url(resolved, env, "STS", "sts");
    (void)s3::service_endpoint_url(resolved, env, "SSO", "sso");
    if (resolved.files) {
      for (const auto* doc : {&resolved.files->config, &resolved.files->credentials}) {
        if (!*doc) continue;
        for (const auto& [name, section] : (*doc)->sections) {
          const std::size_t space = name.find(' ');
          if (space == std::string::npos) continue;
          (void)resolved.files->config_section(name.substr(0, space), name.substr(space + 1));
          (void)resolved.files->profile_settings(name.substr(space + 1));
        }
      }
    }
  } catch (const s3::ConfigError&) {
  }
  return 0;
}
