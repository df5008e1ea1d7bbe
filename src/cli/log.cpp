#include "cli/log.hpp"

#include <boost/json.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <ctime>

#include "util/utf8.hpp"

namespace s3up::cli {
namespace {

constexpr std::array<std::string_view, 2> kLogFormats{"text", "json"};

}  // namespace

std::vector<std::string_view> log_format_names() { return {kLogFormats.begin(), kLogFormats.end()}; }

std::optional<LogFormat> parse_log_format(std::string_view name) {
  if (name == kLogFormats[0]) return LogFormat::Text;
  if (name == kLogFormats[1]) return LogFormat::Json;
  return std::nullopt;
}

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
  }
  return "info";
}

std::string log_time(std::chrono::system_clock::time_point at) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[96];  // room for any int the format could print (GCC checks)
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

Log::Log(LogFormat format, int verbosity, std::FILE* out)
    : format_(format), verbosity_(verbosity), out_(out),
      clock_([] { return std::chrono::system_clock::now(); }) {}

std::string Log::json_line(std::chrono::system_clock::time_point at, LogLevel level,
                           std::string_view event, const std::vector<LogField>& fields) {
  // Written by hand rather than through boost::json::value, so that numbers read as people write
  // them (12.345, not 1.2345E1); strings are escaped by Boost.JSON.
  std::string out = "{\"time\":\"" + log_time(at) + "\",\"level\":\"" +
                    std::string(to_string(level)) + "\",\"event\":";
  out += boost::json::serialize(boost::json::string_view(event));
  for (const auto& field : fields) {
    out += ',';
    out += boost::json::serialize(boost::json::string_view(field.name));
    out += ':';
    std::visit(
        [&out](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string_view>) {
            out += boost::json::serialize(boost::json::string(util::printable(v)));
          } else if constexpr (std::is_same_v<T, bool>) {
            out += v ? "true" : "false";
          } else if constexpr (std::is_same_v<T, double>) {
            if (!std::isfinite(v)) {
              out += "null";
            } else {
              char buf[64];
              const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
              out.append(buf, ec == std::errc{} ? end : buf);
            }
          } else {
            out += std::to_string(v);
          }
        },
        field.value);
  }
  out += '}';
  return out;
}

void Log::write(LogLevel level, std::string_view event, std::string_view text,
                std::initializer_list<LogField> fields) {
  write(level, event, text, std::vector<LogField>(fields));
}

void Log::write(LogLevel level, std::string_view event, std::string_view text,
                const std::vector<LogField>& fields) {
  std::string line = json() ? json_line(clock_(), level, event, fields) : std::string(text);
  line += '\n';
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace s3up::cli
