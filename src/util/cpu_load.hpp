// The machine's CPU use between two looks, from Linux's /proc/stat: the share of all cores' time
// that was not idle, whichever processes used it (s3up's, a local server's, anything else).
// --concurrency auto reads it to tell a run bound by the cores from one bound by the network.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace s3up::util {

// Cumulative CPU time of all cores, in the kernel's ticks (USER_HZ).
struct CpuTimes {
  std::uint64_t total = 0;  // user + nice + system + idle + iowait + irq + softirq + steal
  std::uint64_t idle = 0;   // idle + iowait
};

// Parses the "cpu ..." line /proc/stat starts with (the sum over all cores). nullopt when it is
// not one (another line, fewer than the four fields every kernel since 2.6 gives, not numbers).
std::optional<CpuTimes> parse_cpu_times(std::string_view line);

// Reads `path`'s first line (tests pass another file); nullopt where it cannot be read or parsed
// (not Linux, /proc not mounted).
std::optional<CpuTimes> read_cpu_times(const std::string& path = "/proc/stat");

// The share of the time between two readings in which the cores were busy, 0 to 1; nullopt
// when no tick passed between them (or the counters went back).
std::optional<double> busy_share(const CpuTimes& before, const CpuTimes& after);

}  // namespace s3up::util
