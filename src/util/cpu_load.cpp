#include "util/cpu_load.hpp"

#include <charconv>
#include <fstream>

namespace s3up::util {

std::optional<CpuTimes> parse_cpu_times(std::string_view line) {
  constexpr std::string_view kTag = "cpu ";
  if (line.substr(0, kTag.size()) != kTag) return std::nullopt;
  line.remove_prefix(kTag.size());
  // user nice system idle iowait irq softirq steal [guest guest_nice]: guest time is counted in
  // user and nice already, so only the first eight are summed.
  std::uint64_t fields[8] = {};
  int count = 0;
  while (count < 8) {
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty() || line.front() == '\n') break;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), fields[count]);
    if (ec != std::errc{} || (end != line.data() + line.size() && *end != ' ' && *end != '\n'))
      return std::nullopt;
    line.remove_prefix(static_cast<std::size_t>(end - line.data()));
    ++count;
  }
  if (count < 4) return std::nullopt;
  CpuTimes t;
  for (int i = 0; i < count; ++i) t.total += fields[i];
  t.idle = fields[3] + fields[4];  // iowait (0 when absent) waits, it does not compute
  return t;
}

std::optional<CpuTimes> read_cpu_times(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return parse_cpu_times(line);
}

std::optional<double> busy_share(const CpuTimes& before, const CpuTimes& after) {
  if (after.total <= before.total || after.idle < before.idle) return std::nullopt;
  const auto total = static_cast<double>(after.total - before.total);
  const auto idle = static_cast<double>(after.idle - before.idle);
  if (idle > total) return std::nullopt;
  return 1.0 - idle / total;
}

}  // namespace s3up::util
