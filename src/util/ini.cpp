#include "util/ini.hpp"

#include "util/text.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace s3up::util {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_blank(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (is_blank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::size_t indent_of(std::string_view line) {
  std::size_t n = 0;
  while (n < line.size() && is_blank(line[n])) ++n;
  return n;
}

// State of the parse: where the last key line was, to attach continuation lines to it.
struct Cursor {
  IniSection* section = nullptr;
  std::string key;          // last key of `section`; empty when none
  std::size_t key_indent = 0;
  bool nested = false;      // the key opened a nested block ("s3 =" then indented lines)
};

void continue_key(Cursor& cur, std::string_view content) {
  auto& value = (*cur.section)[cur.key];
  if (value.empty() || cur.nested) {
    cur.nested = true;
    const auto eq = content.find('=');
    if (eq == std::string_view::npos) return;  // not "name = value": skipped
    const auto name = trim(content.substr(0, eq));
    if (name.empty()) return;
    (*cur.section)[cur.key + "." + ascii_lower(name)] = std::string(trim(content.substr(eq + 1)));
  } else {
    value += '\n';
    value += content;
  }
}

}  // namespace

const IniSection* IniDocument::find(std::string_view name) const {
  const auto it = sections.find(name);
  return it == sections.end() ? nullptr : &it->second;
}

IniDocument parse_ini(std::string_view text) {
  IniDocument doc;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  Cursor cur;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    const auto line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);

    const auto content = trim(line);
    if (content.empty() || content.front() == '#' || content.front() == ';') continue;
    const auto indent = indent_of(line);

    if (content.front() == '[') {  // a header even when indented
      const auto close = content.rfind(']');
      cur = Cursor{};
      if (close == 0 || close == std::string_view::npos) continue;  // malformed header
      cur.section = &doc.sections[std::string(trim(content.substr(1, close - 1)))];
      continue;
    }
    if (cur.section && !cur.key.empty() && indent > cur.key_indent) {
      continue_key(cur, content);
      continue;
    }
    const auto delim = content.find_first_of("=:");
    if (!cur.section || delim == std::string_view::npos) {
      cur.key.clear();
      continue;
    }
    auto key = ascii_lower(trim(content.substr(0, delim)));
    if (key.empty()) {
      cur.key.clear();
      continue;
    }
    (*cur.section)[key] = std::string(trim(content.substr(delim + 1)));
    cur.key = std::move(key);
    cur.key_indent = indent;
    cur.nested = false;
  }
  return doc;
}

std::optional<IniDocument> read_ini_file(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found) return std::nullopt;
  if (ec) throw std::runtime_error("cannot read " + path.string() + ": " + ec.message());
  if (std::filesystem::is_directory(status)) {
    throw std::runtime_error("cannot read " + path.string() + ": it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string() + ": " + std::strerror(errno));
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read " + path.string() + ": read error");
  return parse_ini(contents.str());
}

}  // namespace s3up::util
