// The program's stderr lines (failures, notes, warnings, progress samples, -v details) in one of
// two formats: text, as people read them, or one JSON object per line (--log-format json) for log
// collectors. Callers give both renderings of an event; nothing here decides what is logged.
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace s3up::cli {

enum class LogFormat { Text, Json };

// The --log-format values ("text", "json"), and their parser (nullopt for anything else).
std::vector<std::string_view> log_format_names();
std::optional<LogFormat> parse_log_format(std::string_view name);

enum class LogLevel { Debug, Info, Warning, Error };
std::string_view to_string(LogLevel level);  // "debug", "info", "warning", "error"

// One named value of a JSON line. Strings are made valid UTF-8 (util::printable) on output.
struct LogField {
  std::string_view name;
  std::variant<std::string_view, std::uint64_t, std::int64_t, double, bool> value;
};

// -v levels: what each adds (Log::verbosity() >= level).
inline constexpr int kVerboseCredentials = 1;  // -v: credentials, settings from the environment
inline constexpr int kVerboseRetries = 2;      // -vv: every retry and its reason
inline constexpr int kVerboseRequests = 3;     // -vvv: every request: method, key, status, time

class Log {
 public:
  explicit Log(LogFormat format = LogFormat::Text, int verbosity = 0, std::FILE* out = stderr);

  LogFormat format() const { return format_; }
  bool json() const { return format_ == LogFormat::Json; }
  int verbosity() const { return verbosity_; }

  // Writes one event as one line: in text, `text` as given; in JSON, {"time", "level", "event",
  // fields...} in that order. Thread-safe: lines never interleave.
  void write(LogLevel level, std::string_view event, std::string_view text,
             std::initializer_list<LogField> fields = {});
  // The same with the fields in a vector (built by the caller).
  void write(LogLevel level, std::string_view event, std::string_view text,
             const std::vector<LogField>& fields);

  // The JSON line of an event (no newline), at time `at`. Pure; for write() and the tests.
  static std::string json_line(std::chrono::system_clock::time_point at, LogLevel level,
                               std::string_view event, const std::vector<LogField>& fields);

  // The clock JSON lines are stamped with (tests set a fixed one).
  void set_clock(std::function<std::chrono::system_clock::time_point()> clock) {
    clock_ = std::move(clock);
  }

 private:
  LogFormat format_;
  int verbosity_;
  std::FILE* out_;
  std::function<std::chrono::system_clock::time_point()> clock_;
  std::mutex mu_;
};

// "2026-12-02T09:14:07.123Z": UTC, milliseconds.
std::string log_time(std::chrono::system_clock::time_point at);

}  // namespace s3up::cli
