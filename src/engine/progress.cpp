#include "engine/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "util/units.hpp"

namespace s3up::engine {
namespace {

constexpr std::chrono::milliseconds kBarTick{100};  // at most 10 bar updates a second

// --progress values, in the order choose_progress_mode tests them.
constexpr std::array<std::string_view, 4> kProgressModes{"auto", "bar", "log", "none"};

std::string format_rate_bytes(double bytes_per_s) {
  if (!(bytes_per_s > 0) || !std::isfinite(bytes_per_s)) bytes_per_s = 0;
  bytes_per_s = std::min(bytes_per_s, 1e18);  // keeps the conversion defined
  return util::format_bytes(static_cast<std::uint64_t>(bytes_per_s)) + "/s";
}

std::string format_rate_files(double files_per_s) {
  char buf[48];
  files_per_s = std::min(files_per_s, 1e15);
  std::snprintf(buf, sizeof buf, files_per_s < 10 ? "%.1f files/s" : "%.0f files/s",
                files_per_s);
  return buf;
}

// The time left, or a negative value when unknown.
double estimate_seconds_left(const ProgressSnapshot& s, double bytes_per_s,
                             double files_per_s) {
  if (!s.totals_final) return -1;
  const std::uint64_t files_settled = s.files_done + s.failed;
  const std::uint64_t files_left = s.files_total > files_settled ? s.files_total - files_settled : 0;
  const std::uint64_t bytes_left = s.bytes_total > s.bytes_done ? s.bytes_total - s.bytes_done : 0;
  if (files_left == 0 && bytes_left == 0) return 0;
  double eta = -1;
  if (bytes_left > 0 && bytes_per_s > 0)
    eta = std::max(eta, static_cast<double>(bytes_left) / bytes_per_s);
  if (files_left > 0 && files_per_s > 0)
    eta = std::max(eta, static_cast<double>(files_left) / files_per_s);
  return eta;
}

std::size_t terminal_width(std::FILE* out) {
  const int fd = ::fileno(out);
  if (fd < 0 || !::isatty(fd)) return 0;
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return 0;
  return ws.ws_col;
}

}  // namespace

ProgressMode choose_progress_mode(std::string_view flag, bool stderr_is_tty, bool quiet) {
  ProgressMode mode;
  if (flag == kProgressModes[0]) mode = stderr_is_tty ? ProgressMode::Bar : ProgressMode::Log;
  else if (flag == kProgressModes[1]) mode = ProgressMode::Bar;
  else if (flag == kProgressModes[2]) mode = ProgressMode::Log;
  else if (flag == kProgressModes[3]) mode = ProgressMode::None;
  else
    throw std::invalid_argument("invalid progress mode \"" + std::string(flag) +
                                "\" (expected auto, bar, log or none)");
  return quiet ? ProgressMode::None : mode;
}

std::vector<std::string_view> progress_mode_names() {
  return {kProgressModes.begin(), kProgressModes.end()};
}

void RateMeter::add_sample(double t_seconds, std::uint64_t bytes, std::uint64_t files) {
  if (!samples_.empty() && t_seconds < samples_.back().t) samples_.clear();
  samples_.push_back({t_seconds, bytes, files});
  // Keep one sample at or before the window's start as the anchor of the rates.
  while (samples_.size() >= 2 && samples_[1].t <= t_seconds - kWindowSeconds)
    samples_.pop_front();
}

double RateMeter::rate(std::uint64_t Sample::*counter) const {
  if (samples_.size() < 2) return 0;
  const Sample& first = samples_.front();
  const Sample& last = samples_.back();
  const double dt = last.t - first.t;
  if (!(dt > 0) || last.*counter < first.*counter) return 0;
  return static_cast<double>(last.*counter - first.*counter) / dt;
}

double RateMeter::bytes_per_second() const { return rate(&Sample::bytes); }
double RateMeter::files_per_second() const { return rate(&Sample::files); }

std::string format_count(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds >= 100.0 * 3600) return "--";
  const auto total = static_cast<std::uint64_t>(seconds);
  const auto h = total / 3600, m = total % 3600 / 60, sec = total % 60;
  char buf[32];
  if (h > 0)
    std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu", static_cast<unsigned long long>(h),
                  static_cast<unsigned long long>(m), static_cast<unsigned long long>(sec));
  else
    std::snprintf(buf, sizeof buf, "%llu:%02llu", static_cast<unsigned long long>(m),
                  static_cast<unsigned long long>(sec));
  return buf;
}

std::string format_progress_line(const ProgressSnapshot& s, double bytes_per_s,
                                 double files_per_s, bool for_terminal) {
  const char* growing = s.totals_final ? "" : "+";
  std::vector<std::string> parts;
  parts.push_back(format_count(s.files_done) + "/" + format_count(s.files_total) + growing +
                  " files");
  parts.push_back(util::format_bytes(s.bytes_done) + "/" + util::format_bytes(s.bytes_total) +
                  growing);
  parts.push_back(format_rate_bytes(bytes_per_s));
  if (files_per_s > 0 && std::isfinite(files_per_s)) parts.push_back(format_rate_files(files_per_s));
  parts.push_back("ETA " + format_duration(estimate_seconds_left(s, bytes_per_s, files_per_s)));
  parts.push_back("in flight " + format_count(s.in_flight));
  if (s.retries > 0) parts.push_back("retries " + format_count(s.retries));
  if (s.failed > 0) parts.push_back("failed " + format_count(s.failed));

  std::string line;
  if (!for_terminal) line = "[" + format_duration(std::max(0.0, s.elapsed_seconds)) + "] ";
  const std::size_t prefix = line.size();
  for (const auto& part : parts) {
    const std::size_t added = (line.size() > prefix ? 2 : 0) + part.size();
    if (line.size() + added > kMaxProgressWidth && line.size() > prefix) break;
    if (line.size() > prefix) line += "  ";
    line += part;
  }
  if (line.size() > kMaxProgressWidth) line.resize(kMaxProgressWidth);
  return line;
}

ProgressReporter::ProgressReporter(ProgressMode mode, std::function<ProgressSnapshot()> sample,
                                   std::FILE* out, std::chrono::milliseconds log_interval,
                                   LogSink log_sink)
    : mode_(mode),
      sample_(std::move(sample)),
      out_(out),
      log_interval_(log_interval),
      log_sink_(std::move(log_sink)) {
  if (mode_ == ProgressMode::None) return;
  if (log_interval_.count() <= 0) log_interval_ = std::chrono::milliseconds(1);
  if (mode_ == ProgressMode::Bar) {
    // One column spare: writing the last column makes some terminals wrap.
    if (const std::size_t cols = terminal_width(out_); cols > 1)
      width_ = std::min(kMaxProgressWidth, cols - 1);
  }
  thread_ = std::thread([this] { run(); });
}

ProgressReporter::~ProgressReporter() { stop(); }

void ProgressReporter::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (bar_printed_) {
    std::fputs("\n", out_);
    std::fflush(out_);
    bar_printed_ = false;
  }
}

void ProgressReporter::print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

void ProgressReporter::run() {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const auto tick = mode_ == ProgressMode::Bar ? kBarTick : std::min(kBarTick, log_interval_);
  auto next_tick = start + tick;
  auto next_log = start + log_interval_;
  RateMeter meter;
  std::unique_lock lock(mu_);
  for (;;) {
    if (cv_.wait_until(lock, next_tick, [&] { return stopping_; })) return;
    lock.unlock();
    const auto now = clock::now();
    next_tick += tick;
    if (next_tick <= now) next_tick = now + tick;  // fell behind: skip, never burst
    ProgressSnapshot s;
    try {
      s = sample_();
    } catch (...) {
      return;
    }
    meter.add_sample(std::chrono::duration<double>(now - start).count(), s.bytes_done,
                     s.files_done);
    if (mode_ == ProgressMode::Bar) {
      std::string line = format_progress_line(s, meter.bytes_per_second(),
                                              meter.files_per_second(), true);
      if (line.size() > width_) line.resize(width_);
      print("\r" + line + "\x1b[K");
      bar_printed_ = true;
    } else if (now >= next_log) {
      if (log_sink_) {
        try {
          log_sink_(s, meter.bytes_per_second(), meter.files_per_second());
        } catch (...) {
          return;
        }
      } else {
        print(format_progress_line(s, meter.bytes_per_second(), meter.files_per_second(),
                                   false) +
              "\n");
      }
      next_log += log_interval_;
      if (next_log <= now) next_log = now + log_interval_;
    }
    lock.lock();
  }
}

}  // namespace s3up::engine
