// Timestamps as credential sources write them.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace s3up::auth {

using SysTime = std::chrono::system_clock::time_point;

// ISO 8601 / RFC 3339 in UTC or with an offset: "2026-12-02T03:04:05Z",
// "2026-12-02T03:04:05.123Z", "2026-12-02T03:04:05+00:00", "2026-12-02T03:04:05UTC" (the SSO
// cache's form). nullopt when it is not such a timestamp. A time before kEarliestTime or after
// kLatestTime is clamped to it.
// The range of the times parse_iso8601 returns: SysTime (nanoseconds with GCC) holds about 1678
// to 2262 only, and a difference between two of its times near the ends overflows. Credentials
// and tokens never expire before 1970, and one that expires in 2262 does not in practice.
inline constexpr SysTime kEarliestTime{};
inline constexpr SysTime kLatestTime{std::chrono::sys_days{std::chrono::year(2262) / 1 / 1}};

std::optional<SysTime> parse_iso8601(std::string_view text);

// "2026-12-02T03:04:05Z".
std::string format_iso8601(SysTime t);

}  // namespace s3up::auth
