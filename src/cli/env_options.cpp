#include "cli/env_options.hpp"

#include <algorithm>
#include <cctype>

#include "cli/cli_options.hpp"
#include "util/text.hpp"

extern char** environ;

namespace s3up::cli {
namespace {

constexpr std::string_view kPrefix = "S3UP_";
constexpr int kMaxVerbose = 3;

}  // namespace

std::string env_name(std::string_view option) {
  std::string name(kPrefix);
  for (const char c : option)
    name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

Environment s3up_environment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    const std::string_view entry = *e;
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos || entry.substr(0, kPrefix.size()) != kPrefix) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

std::optional<bool> parse_env_flag(std::string_view value) {
  const std::string v = util::ascii_lower(value);
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  return std::nullopt;
}

std::vector<std::string> split_env_list(std::string_view value, std::string_view variable) {
  std::vector<std::string> out;
  std::string current;
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (quoted) {
      if (c != '"') {
        current += c;
      } else if (i + 1 < value.size() && value[i + 1] == '"') {
        current += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"' && current.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      out.push_back(std::move(current));
      current.clear();
      was_quoted = false;
    } else {
      current += c;
    }
  }
  if (quoted)
    throw UsageError(std::string(variable) + ": a double quote is not closed in '" +
                     std::string(value) + "'");
  out.push_back(std::move(current));
  return out;
}

EnvArguments environment_arguments(const CommandDoc& doc, const Environment& env,
                                   const std::function<bool(const std::string&)>& given) {
  EnvArguments out;
  // Variables have no order: S3UP_EXCLUDE's rules go before S3UP_INCLUDE's, so that an include
  // brings files back from an exclude, as in "--exclude '*.tmp' --include keep.tmp".
  std::vector<const OptionDoc*> options;
  for (const OptionDoc& option : doc.options)
    if (option.name != "include") options.push_back(&option);
  for (const OptionDoc& option : doc.options)
    if (option.name == "include") {
      const auto exclude = std::find_if(options.begin(), options.end(), [](const OptionDoc* o) {
        return o->name == "exclude";
      });
      options.insert(exclude == options.end() ? exclude : exclude + 1, &option);
    }
  for (const OptionDoc* option_ptr : options) {
    const OptionDoc& option = *option_ptr;
    if (option.env.empty() || given(option.name)) continue;
    const auto found = env.find(option.env);
    if (found == env.end() || found->second.empty()) continue;
    const std::string& value = found->second;
    const std::string flag = "--" + option.name;
    if (option.name == "verbose") {
      int level = -1;
      if (value.size() == 1 && value[0] >= '0' && value[0] <= '9') level = value[0] - '0';
      else if (const auto on = parse_env_flag(value)) level = *on ? 1 : 0;
      if (level < 0 || level > kMaxVerbose)
        throw UsageError(option.env + ": '" + value + "' is not 0 to " +
                         std::to_string(kMaxVerbose) + ", true or false");
      for (int i = 0; i < level; ++i) out.args.push_back(flag);
    } else if (option.arg.empty()) {
      const auto on = parse_env_flag(value);
      if (!on)
        throw UsageError(option.env + ": '" + value + "' is not true or false (or 1, 0)");
      if (*on) out.args.push_back(flag);
    } else if (option.repeatable) {
      for (const auto& item : split_env_list(value, option.env)) out.args.push_back(flag + "=" + item);
    } else {
      out.args.push_back(flag + "=" + value);
    }
    out.used.push_back(option.env);
    out.options.push_back(option.name);
  }
  return out;
}

}  // namespace s3up::cli
