#include "util/text.hpp"

#include <algorithm>

namespace s3up::util {
namespace {

// A-Z lowered, every other byte as it is: what the classic locale does (unit.text checks every
// byte), inline rather than through its facet, a virtual call per character (comparing a
// 21-byte header name that way took 65 ns, this way 18 ns).
constexpr char fold(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string ascii_lower(std::string_view s) {
  std::string out(s.size(), '\0');
  std::ranges::transform(s, out.begin(), fold);
  return out;
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  // Not Beast's iequals: in Boost 1.81 it reads one byte past both strings once they differ in
  // case (boost/beast/core/impl/string.ipp; fuzz_s3_url found it on "S3://").
  return std::ranges::equal(a, b, [](char x, char y) { return fold(x) == fold(y); });
}

}  // namespace s3up::util
