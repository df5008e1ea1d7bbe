#include "sigv4_fixtures.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace s3up::test {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

int digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) throw std::runtime_error("timestamp too short");
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') throw std::runtime_error("bad timestamp digit");
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

std::filesystem::path sigv4_dir() {
  if (const char* env = std::getenv("S3UP_SIGV4_DIR"); env != nullptr && *env != '\0')
    return env;
  // This file is <source>/tests/unit/sigv4_fixtures.cpp.
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path() /
         "shared" / "sigv4";
}

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    lines.emplace_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

RawRequest parse_raw_request(std::string_view text) {
  RawRequest req;
  std::size_t pos = text.find('\n');
  std::string_view line = text.substr(0, pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::size_t first_space = line.find(' ');
  const std::size_t last_space = line.rfind(' ');
  if (first_space == std::string_view::npos || last_space == first_space)
    throw std::runtime_error("bad request line: " + std::string(line));
  req.method = line.substr(0, first_space);
  const std::string_view target = line.substr(first_space + 1, last_space - first_space - 1);
  const std::size_t q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string_view::npos) req.query = target.substr(q + 1);

  while (pos != std::string_view::npos) {
    const std::size_t start = pos + 1;
    if (start > text.size()) break;
    pos = text.find('\n', start);
    line = text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {  // blank line: the body follows
      if (pos != std::string_view::npos) req.body = text.substr(pos + 1);
      break;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      if (req.headers.empty()) throw std::runtime_error("continuation line before any header");
      req.headers.back().second += '\n';
      req.headers.back().second += line;
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      throw std::runtime_error("bad header line: " + std::string(line));
    req.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return req;
}

std::optional<std::string> find_header(const s3::HeaderList& headers, std::string_view name) {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return v;
  return std::nullopt;
}

s3::SignClock::time_point parse_timestamp(std::string_view text) {
  std::string basic;
  for (char c : text)
    if (c != '-' && c != ':') basic.push_back(c);
  if (basic.size() != 16 || basic[8] != 'T' || basic[15] != 'Z')
    throw std::runtime_error("bad timestamp: " + std::string(text));
  using namespace std::chrono;
  const year_month_day ymd{year{digits(basic, 0, 4)}, month{static_cast<unsigned>(digits(basic, 4, 2))},
                           day{static_cast<unsigned>(digits(basic, 6, 2))}};
  if (!ymd.ok()) throw std::runtime_error("bad date: " + std::string(text));
  return sys_days{ymd} + hours{digits(basic, 9, 2)} + minutes{digits(basic, 11, 2)} +
         seconds{digits(basic, 13, 2)};
}

std::vector<MarkdownBlock> parse_markdown_blocks(std::string_view markdown) {
  std::vector<MarkdownBlock> blocks;
  std::string heading, label;
  bool in_block = false;
  MarkdownBlock current;
  for (const std::string& raw : split_lines(markdown)) {
    std::string_view line = raw;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.starts_with("```")) {
      if (in_block) {
        if (!current.text.empty()) current.text.pop_back();  // the final '\n'
        blocks.push_back(std::move(current));
        current = {};
      } else {
        current.heading = heading;
        current.label = label;
      }
      in_block = !in_block;
      continue;
    }
    if (in_block) {
      current.text += line;
      current.text.push_back('\n');
    } else if (line.starts_with("#")) {
      heading = line;
      label.clear();
    } else if (!line.empty()) {
      label = line;
    }
  }
  return blocks;
}

}  // namespace s3up::test
