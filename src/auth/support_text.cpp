// The text helpers of support.hpp (trim, has_line_break, clip): apart from the file and network
// ones, so that the reply parsers that use them link without the network code.
#include "auth/support.hpp"

namespace s3up::auth::detail {

std::string_view trim(std::string_view s) {
  constexpr std::string_view space = " \t\r\n";
  while (!s.empty() && space.find(s.front()) != std::string_view::npos) s.remove_prefix(1);
  while (!s.empty() && space.find(s.back()) != std::string_view::npos) s.remove_suffix(1);
  return s;
}

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

std::string clip(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  return std::string(s.substr(0, max)) + "...";
}

}  // namespace s3up::auth::detail
