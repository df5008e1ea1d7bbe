// Progress output while uploading: a self-rewriting bar on a terminal, periodic plain lines in
// logs. The formatting is pure; ProgressReporter is the thread that samples and prints.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace s3up::engine {

// files_done counts files finished (uploaded or skipped); failed files are counted apart, so
// files_total - files_done - failed remain.
struct ProgressSnapshot {
  std::uint64_t files_done, files_total, bytes_done, bytes_total, failed, retries, in_flight;
  bool totals_final;  // false while the walk is still finding files
  double elapsed_seconds;
};

enum class ProgressMode { None, Bar, Log };

// The mode for the flag value "auto", "bar", "log" or "none": auto is Bar when stderr is a
// terminal and Log otherwise; `quiet` gives None whatever the flag. Throws
// std::invalid_argument naming the value when the flag is anything else (even when quiet).
ProgressMode choose_progress_mode(std::string_view flag, bool stderr_is_tty, bool quiet);
// The flag values choose_progress_mode accepts: "auto", "bar", "log", "none".
std::vector<std::string_view> progress_mode_names();

// Transfer rates from cumulative counters, over a sliding window of the last ~5 seconds.
class RateMeter {
 public:
  static constexpr double kWindowSeconds = 5.0;

  // The counters' totals (not increments) at time `t_seconds`. Times must not decrease; an
  // earlier time than the last sample's restarts the meter from this sample.
  void add_sample(double t_seconds, std::uint64_t bytes, std::uint64_t files);
  // Rates between the newest sample and the one at or just before the window's start (the
  // oldest kept); 0 with fewer than two samples, no elapsed time or a counter going back.
  double bytes_per_second() const;
  double files_per_second() const;

 private:
  struct Sample {
    double t;
    std::uint64_t bytes, files;
  };
  double rate(std::uint64_t Sample::*counter) const;
  std::deque<Sample> samples_;
};

// One progress line, e.g.
//   "1,234/10,000+ files  56.7 MiB/97.6 MiB+  12.3 MiB/s  85 files/s  ETA 0:04  in flight 64"
// followed by "  retries N" and "  failed N" when not 0. A '+' after a total marks it still
// growing (totals_final false). Rates use binary units like the sizes; the files rate is left
// out while 0. ETA is the larger of the byte- and file-based estimates, "--" when neither is
// known (totals still growing or rates 0), H:MM:SS from an hour on and "--" beyond 99 hours.
// Not for a terminal, the line starts with the elapsed time: "[1:02:03] ". Parts are dropped
// from the end, and the line is cut, so that it is never wider than kMaxProgressWidth bytes.
inline constexpr std::size_t kMaxProgressWidth = 120;
std::string format_progress_line(const ProgressSnapshot& s, double bytes_per_s,
                                 double files_per_s, bool for_terminal);

// "1,234,567".
std::string format_count(std::uint64_t n);
// "0:04", "12:34", "1:02:03"; "--" for a negative, non-finite or >= 100 h duration.
std::string format_duration(double seconds);

// The thread that polls `sample` and prints progress to `out`:
//   Bar: "\r" + line + "\x1b[K" (clear to end of line), at most 10 times a second, the line
//        cut to the terminal's width when `out` is a terminal;
//   Log: line + "\n" every `log_interval` (or, when `log_sink` is given, the snapshot and the
//        rates handed to it instead, e.g. for a JSON log);
//   None: no thread, nothing printed.
// `sample` is called from the reporter's thread (every 100 ms at most, for the rates) and
// must be thread-safe and not throw; an exception from it ends the reporting. Nothing else
// should write to `out` while the reporter runs.
class ProgressReporter {
 public:
  // Receives Log mode's samples: the snapshot, bytes/s and files/s.
  using LogSink = std::function<void(const ProgressSnapshot&, double, double)>;

  ProgressReporter(ProgressMode mode, std::function<ProgressSnapshot()> sample,
                   std::FILE* out = stderr,
                   std::chrono::milliseconds log_interval = std::chrono::seconds(5),
                   LogSink log_sink = nullptr);
  ~ProgressReporter();  // stop()
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // Stops the thread and returns once it has ended. Prints nothing more (the caller prints the
  // summary) except a "\n" ending the Bar line when one was printed. Idempotent; never throws.
  void stop();

 private:
  void run();
  void print(const std::string& line);

  ProgressMode mode_;
  std::function<ProgressSnapshot()> sample_;
  std::FILE* out_;
  std::chrono::milliseconds log_interval_;
  LogSink log_sink_;
  std::size_t width_ = kMaxProgressWidth;  // Bar: the terminal's width when known
  bool bar_printed_ = false;               // touched by the thread, read after join

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace s3up::engine
