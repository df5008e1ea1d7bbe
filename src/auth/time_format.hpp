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
// cache's form). nullopt when it is not such a timestamp. A time SysTime cannot hold (before
// about 1678 or after 2262 with GCC's nanoseconds) is clamped to SysTime::min() or max().
std::optional<SysTime> parse_iso8601(std::string_view text);

// "2026-12-02T03:04:05Z".
std::string format_iso8601(SysTime t);

}  // namespace s3up::auth
