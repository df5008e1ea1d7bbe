#include "engine/run_setup.hpp"

#include <fstream>
#include <string>

#include <unistd.h>

#include <iostream>

namespace s3up::engine {

void close_journal(Journal* journal, Report& report) {
  if (!journal) return;
  try {
    journal->close();
  } catch (const JournalError& e) {
    report.fatal(e.what());
  }
}

walker::Options walk_options(const UploadOptions& opt) {
  walker::Options options;
  options.follow_symlinks = opt.follow_symlinks;
  options.filter = opt.filter.empty() ? nullptr : &opt.filter;
  return options;
}

void watch_interrupts(boost::asio::signal_set& signals, StopState& run,
                      std::function<void(const std::string&)> warning) {
  signals.async_wait([&signals, &run, warning = std::move(warning)](boost::system::error_code ec,
                                                                    int) {
    if (ec) return;
    run.interrupted = true;
    run.stop();
    const char* message = "interrupted: finishing requests in flight and aborting open "
                          "multipart uploads (interrupt again to quit at once)";
    if (warning) warning(message);
    else std::cerr << "s3up: " << message << "\n";
    signals.async_wait([](boost::system::error_code ec2, int) {
      if (!ec2) ::_exit(130);
    });
  });
}

void start_progress(std::optional<ProgressReporter>& progress, const UploadOptions& opt,
                    const Report& report, const WalkTotals& totals,
                    std::function<std::uint64_t()> in_flight,
                    std::chrono::steady_clock::time_point started) {
  if (opt.progress == ProgressMode::None || opt.dry_run) return;
  progress.emplace(opt.progress, [&report, &totals, in_flight = std::move(in_flight), started]() {
    ProgressSnapshot s{};
    s.files_done = report.files_uploaded() + report.files_unchanged();
    s.files_total = totals.files.load(std::memory_order_relaxed);
    s.bytes_done = report.bytes_sent();
    s.bytes_total = totals.bytes.load(std::memory_order_relaxed);
    s.failed = report.failures();
    s.retries = report.retries();
    s.in_flight = in_flight();
    s.totals_final = totals.done.load(std::memory_order_acquire);
    s.elapsed_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return s;
  }, stderr, std::chrono::seconds(5), opt.progress_log);
}

void count_rest_of_walk(walker::Walker& walker, WalkTotals& totals,
                        std::chrono::steady_clock::duration limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (walker.next()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      totals.walk_complete = false;
      return;
    }
  }
}

void count_not_attempted(Report& report, const walker::Walker& walker, const WalkTotals& totals) {
  const std::uint64_t seen = walker.files_seen();
  const std::uint64_t taken = totals.attempted.load();
  if (seen > taken || !totals.walk_complete)
    report.not_attempted(seen > taken ? seen - taken : 0, totals.walk_complete);
}

std::uint64_t peak_rss_bytes() {
  // VmHWM, not getrusage's ru_maxrss: that one keeps the peak of the process image before exec
  // (a forking parent's memory, tens of MiB for a Python test runner).
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // "N kB"
  return 0;
}

void finish_summary(RunSummary& summary, Report& report, const UploadOptions& opt,
                    std::chrono::steady_clock::time_point started, bool interrupted) {
  // The clock stops after the last request has completed and every thread has returned.
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto started_wall = summary.started;
  summary = report.finish();
  summary.started = started_wall;
  summary.finished = std::chrono::system_clock::now();
  summary.seconds = seconds;
  summary.interrupted = interrupted;
  summary.dry_run = opt.dry_run;
  summary.peak_rss_bytes = peak_rss_bytes();
  summary.checksum = opt.checksum;
}

}  // namespace s3up::engine
