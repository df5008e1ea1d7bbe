#include "util/units.hpp"

#include "util/text.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace s3up::util {
namespace {

std::optional<std::uint64_t> multiplier(std::string_view suffix) {
  const std::string s = ascii_lower(suffix);
  if (s.empty() || s == "b") return 1;
  constexpr std::uint64_t Ki = 1024, Mi = Ki * 1024, Gi = Mi * 1024, Ti = Gi * 1024;
  static constexpr struct { const char* name; std::uint64_t factor; } table[] = {
      {"k", Ki}, {"kib", Ki}, {"ki", Ki}, {"kb", 1'000},
      {"m", Mi}, {"mib", Mi}, {"mi", Mi}, {"mb", 1'000'000},
      {"g", Gi}, {"gib", Gi}, {"gi", Gi}, {"gb", 1'000'000'000},
      {"t", Ti}, {"tib", Ti}, {"ti", Ti}, {"tb", 1'000'000'000'000},
  };
  for (const auto& row : table)
    if (s == row.name) return row.factor;
  return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  std::size_t digits = 0;
  while (digits < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.'))
    ++digits;
  if (digits == 0) return std::nullopt;
  std::string_view number = text.substr(0, digits);
  std::string_view suffix = text.substr(digits);
  while (!suffix.empty() && suffix.front() == ' ') suffix.remove_prefix(1);
  const auto factor = multiplier(suffix);
  if (!factor) return std::nullopt;
  // WHOLE[.FRACTION], at least one digit, in integers: 0.3MB is 300000 bytes exactly.
  const auto dot = number.find('.');
  const std::string_view whole = number.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view{} : number.substr(dot + 1);
  if (fraction.find('.') != std::string_view::npos || (whole.empty() && fraction.empty()))
    return std::nullopt;
  std::uint64_t value = 0;
  if (!whole.empty()) {
    auto [ptr, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), value);
    if (ec != std::errc{} || ptr != whole.data() + whole.size()) return std::nullopt;
  }
  // floor(0.FRACTION * factor), from the last digit to the first: t = (digit * factor + t) / 10
  // in integer division is exact at every step (t stays below factor).
  std::uint64_t fraction_bytes = 0;
  for (auto it = fraction.rbegin(); it != fraction.rend(); ++it)
    fraction_bytes = (static_cast<std::uint64_t>(*it - '0') * *factor + fraction_bytes) / 10;
  std::uint64_t bytes = 0;
  if (__builtin_mul_overflow(value, *factor, &bytes) ||
      __builtin_add_overflow(bytes, fraction_bytes, &bytes))
    return std::nullopt;
  return bytes;
}

std::string format_bytes(std::uint64_t bytes) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  char buf[32];
  if (bytes < 1024) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
    return buf;
  }
  // The unit is chosen after rounding to one decimal: MiB - 1 is "1.0 MiB", not "1024.0 KiB".
  double value = static_cast<double>(bytes) / 1024.0;
  int unit = 1;
  for (;;) {
    std::snprintf(buf, sizeof buf, "%.1f", value);
    if (unit == 5 || std::strtod(buf, nullptr) < 1024.0) break;
    value /= 1024.0;
    ++unit;
  }
  return std::string(buf) + " " + units[unit];
}

std::optional<double> parse_seconds(std::string_view text) {
  std::string_view number = text;
  const bool negative = !number.empty() && number.front() == '-';
  if (negative) number.remove_prefix(1);
  if (number.empty() || number == "." ||
      number.find_first_not_of("0123456789.") != std::string_view::npos ||
      number.find('.') != number.rfind('.'))
    return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value,
                                         std::chars_format::fixed);
  if (ec != std::errc{} || end != number.data() + number.size()) return std::nullopt;
  return negative ? -value : value;
}

}  // namespace s3up::util
