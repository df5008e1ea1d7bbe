#include "cli/completions.hpp"

#include <array>

namespace s3up::cli {
namespace {

constexpr std::array<std::string_view, 3> kShells{"bash", "zsh", "fish"};
constexpr std::size_t kShortDescription = 70;

std::string joined(const std::vector<std::string>& words, std::string_view separator = " ") {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += separator;
    out += w;
  }
  return out;
}

// Inside single quotes (bash and zsh): ' becomes '\''.
std::string single_quoted_body(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out;
}

std::string header(std::string_view comment, std::string_view shell) {
  return std::string(comment) + " " + std::string(shell) +
         " completion for s3up, written by `s3up --generate-completion " + std::string(shell) +
         "` from the option table --help prints.\n";
}

std::string bash_script(const CommandDoc& doc) {
  std::vector<std::string> names, free_values, file_values;
  std::string value_cases;
  for (const auto& o : doc.options) {
    names.push_back("--" + o.name);
    if (o.short_name) names.push_back(std::string("-") + o.short_name);
    if (o.arg.empty()) continue;
    if (!o.values.empty())
      value_cases += "        --" + o.name + ")\n            _s3up_reply '" +
                     single_quoted_body(joined(o.values)) + "'\n            ;;\n";
    else if (o.file_value())
      file_values.push_back("--" + o.name);
    else
      free_values.push_back("--" + o.name);
  }
  std::string s = header("#", "bash");
  s += R"(# Installed as share/bash-completion/completions/s3up (loaded on demand by bash-completion);
# needs nothing from bash-completion itself.

# COMPREPLY: the words of $1 that start with $cur, each after $value_prefix.
_s3up_reply() {
    local word
    for word in $1; do
        [[ $word == "$cur"* ]] && COMPREPLY+=("$value_prefix$word")
    done
}

_s3up() {
    COMPREPLY=()
    # The word under the cursor and the one before, split at blanks only: bash also splits at
    # '=' and ':' (COMP_WORDBREAKS), which would cut "--checksum=crc32c" and "aws:kms" apart.
    local line=${COMP_LINE:0:COMP_POINT}
    local word=${line##*[[:blank:]]}
    local before=${line%"$word"}
    before=${before%"${before##*[![:blank:]]}"}
    local prev=${before##*[[:blank:]]}
    local cur=$word value_prefix=
    if [[ $cur == --*=* ]]; then  # --option=value
        prev=${cur%%=*}
        value_prefix=${cur%%=*}=
        cur=${cur#*=}
    fi
    local files=
    case $prev in
)";
  s += value_cases;
  if (!file_values.empty())
    s += "        " + joined(file_values, "|") + ")\n            files=1 ;;\n";
  if (!free_values.empty()) s += "        " + joined(free_values, "|") + ")\n            ;;\n";
  s += R"(        *)
            if [[ $cur == -* ]]; then
                _s3up_reply ')" +
       single_quoted_body(joined(names)) + R"('
            else
                files=1  # SOURCE_DIR (a folder or a file), then s3://BUCKET[/PREFIX]
            fi ;;
    esac
    if [[ -n $files ]]; then
        compopt -o filenames 2>/dev/null
        local IFS=$'
'
        COMPREPLY=($(compgen -f -- "$cur"))
        return 0
    fi
    # Readline replaces the text after the last '=' or ':' it breaks words at: drop what comes
    # before it from each reply.
    local breaks=${COMP_WORDBREAKS//[^=:]/}
    if [[ -n $breaks && $word == *["$breaks"]* ]]; then
        local head=${word%"${word##*["$breaks"]}"}
        COMPREPLY=("${COMPREPLY[@]#"$head"}")
    fi
    return 0
}
complete -F _s3up s3up
)";
  return s;
}

// zsh's _arguments specs: "[...]" descriptions with their brackets and colons escaped.
std::string zsh_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '[' || c == ']' || c == ':' || c == '\\') out += '\\';
    out += c;
  }
  return single_quoted_body(out);
}

std::string zsh_script(const CommandDoc& doc) {
  std::string s = "#compdef s3up\n" + header("#", "zsh");
  s += "# Installed as share/zsh/vendor-completions/_s3up (on Debian's default fpath).\n\n";
  s += "_arguments -s -S \\\n";
  for (const auto& o : doc.options) {
    const std::string description = "[" + zsh_escape(short_description(o.description)) + "]";
    // --help and --version stand alone: nothing else is offered after them.
    const std::string exclusive = (o.name == "help" || o.name == "version") ? "(- *)" : "";
    const std::string repeat = o.repeatable ? "*" : "";
    std::string value;
    if (!o.arg.empty()) {
      value = ":" + zsh_escape(o.arg) + ":";
      if (!o.values.empty()) {
        std::vector<std::string> escaped;
        for (const auto& v : o.values) escaped.push_back(zsh_escape(v));
        value += "(" + joined(escaped) + ")";
      } else if (o.file_value()) {
        value += "_files";
      } else {
        value += " ";
      }
    }
    const std::string eq = o.arg.empty() ? "" : "=";
    if (o.short_name) {
      const std::string names = std::string("{-") + o.short_name + ",--" + o.name + eq + "}";
      s += "  '" + exclusive + repeat + "'" + names + "'" + description + value + "' \\\n";
    } else {
      s += "  '" + exclusive + repeat + "--" + o.name + eq + description + value + "' \\\n";
    }
  }
  s += "  '1:source folder or file:_files' \\\n";
  s += "  '2:destination (s3\\://BUCKET/PREFIX): '\n";
  return s;
}

std::string fish_quoted(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string fish_script(const CommandDoc& doc) {
  std::string s = header("#", "fish");
  s += "# Installed as share/fish/vendor_completions.d/s3up.fish.\n";
  for (const auto& o : doc.options) {
    std::string line = "complete -c s3up";
    if (o.short_name) line += std::string(" -s ") + o.short_name;
    line += " -l " + o.name;
    if (!o.arg.empty()) {
      if (!o.values.empty()) line += " -x -a " + fish_quoted(joined(o.values));
      else if (o.file_value()) line += " -r -F";
      else line += " -x";
    }
    line += " -d " + fish_quoted(short_description(o.description));
    s += line + "\n";
  }
  return s;
}

}  // namespace

std::vector<std::string_view> completion_shells() { return {kShells.begin(), kShells.end()}; }

std::string short_description(std::string_view description) {
  std::size_t end = description.size();
  for (const std::string_view stop : {"; ", ": ", " (", ", e.g."}) {
    const auto at = description.find(stop);
    if (at != std::string_view::npos && at > 0) end = std::min(end, at);
  }
  std::string out(description.substr(0, end));
  if (out.size() > kShortDescription) {
    auto cut = out.rfind(' ', kShortDescription - 3);
    if (cut == std::string::npos) cut = kShortDescription - 3;
    out = out.substr(0, cut) + "...";
  }
  return out;
}

std::optional<std::string> completion_script(std::string_view shell, const CommandDoc& doc) {
  if (shell == "bash") return bash_script(doc);
  if (shell == "zsh") return zsh_script(doc);
  if (shell == "fish") return fish_script(doc);
  return std::nullopt;
}

}  // namespace s3up::cli
