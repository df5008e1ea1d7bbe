// The timestamps of credential replies and caches (parse_iso8601): any text, and a time that is
// read back as the same time (to the second) once formatted.
#include <chrono>

#include "auth/time_format.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace std::chrono;
  const auto when = s3up::auth::parse_iso8601(s3up::fuzz::as_text(data, size));
  if (!when) return 0;
  s3up::fuzz::check(*when >= s3up::auth::kEarliestTime && *when <= s3up::auth::kLatestTime,
                    "parse_iso8601 returned a time out of its range");
  // Times out of the range are clamped: round trip the others.
  if (*when == s3up::auth::kEarliestTime || *when == s3up::auth::kLatestTime) return 0;
  const auto again = s3up::auth::parse_iso8601(s3up::auth::format_iso8601(*when));
  s3up::fuzz::check(again.has_value(), "format_iso8601 wrote what parse_iso8601 refuses");
  s3up::fuzz::check(*again == floor<seconds>(*when), "an ISO 8601 time did not round trip");
  return 0;
}
