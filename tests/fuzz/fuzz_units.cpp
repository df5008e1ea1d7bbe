// Size and duration arguments (--part-size, --max-bandwidth..., --connect-timeout...): 
// util::parse_size and util::parse_seconds on any text, and sizes read back as written.
#include <charconv>
#include <cmath>

#include "fuzz_support.hpp"
#include "util/units.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using s3up::fuzz::check;
  namespace util = s3up::util;
  const std::string_view text = s3up::fuzz::as_text(data, size);
  if (const auto bytes = util::parse_size(text)) {
    check(!util::format_bytes(*bytes).empty(), "format_bytes wrote nothing");
    check(util::parse_size(std::to_string(*bytes)) == bytes, "a size in bytes did not read back");
  }
  if (const auto seconds = util::parse_seconds(text)) {
    check(std::isfinite(*seconds), "parse_seconds returned a value that is not finite");
  }
  // A plain number of bytes is that number.
  std::uint64_t plain = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), plain);
  if (ec == std::errc{} && end == text.data() + text.size())
    check(util::parse_size(text) == plain, "parse_size misread a number of bytes");
  return 0;
}
