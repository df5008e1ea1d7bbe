// What both engines do the same way around a run: the walker's options, the interrupt handling,
// the progress line's sampling and the summary's common fields.
#pragma once
#include <boost/asio/signal_set.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "engine/options.hpp"
#include "engine/progress.hpp"
#include "engine/report.hpp"
#include "engine/run_control.hpp"
#include "walker/walker.hpp"

namespace s3up::engine {

// What the walk has found so far, for the progress line; and, for a run that stops early, the
// files the engine took up (attempted: settled, or an upload started), so that those it never
// got to are counted (count_not_attempted).
struct WalkTotals {
  std::atomic<std::uint64_t> files{0}, bytes{0};
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> attempted{0};
  bool walk_complete = true;  // false when count_rest_of_walk ran out of time
};

// How long a stopped run goes on walking, only to count what it did not get to.
inline constexpr std::chrono::seconds kCountRestOfWalk{3};

// After the run stopped: walks on (uploading nothing) until the walk ends or `limit` passes, so
// that walker.files_seen() covers the whole tree; records in `totals` whether it got there.
void count_rest_of_walk(walker::Walker& walker, WalkTotals& totals,
                        std::chrono::steady_clock::duration limit = kCountRestOfWalk);

// Records in the report the files the walk found that the engine never took up.
void count_not_attempted(Report& report, const walker::Walker& walker, const WalkTotals& totals);

// Closes the run's journal (null: none), writing and syncing its last records; a failure stops
// nothing any more but makes the run fatal (exit 2) with the journal's one-line error.
void close_journal(Journal* journal, Report& report);

// The walker's options for the run.
walker::Options walk_options(const UploadOptions& opt);

// Waits on `signals` (SIGINT/SIGTERM added by the caller): the first stops the run (in-flight
// requests finish, open multipart uploads are aborted, exit 130), a second exits at once. The
// first one's message goes to `warning` (UploadOptions::warning), or to stderr without it.
void watch_interrupts(boost::asio::signal_set& signals, StopState& run,
                      std::function<void(const std::string&)> warning = nullptr);

// Starts the progress line in `progress` unless the run shows none (or is a dry run).
// `in_flight` gives the requests in flight; everything captured must outlive `progress`.
void start_progress(std::optional<ProgressReporter>& progress, const UploadOptions& opt,
                    const Report& report, const WalkTotals& totals,
                    std::function<std::uint64_t()> in_flight,
                    std::chrono::steady_clock::time_point started);

// The process's peak resident memory so far (Linux's VmHWM), 0 when unknown.
std::uint64_t peak_rss_bytes();

// Fills `summary` from the finished report, keeping its wall-clock start: the time taken (from
// `started` until now), the finish time, whether the run was interrupted and a dry run. The
// engine-specific fields are left to the caller.
void finish_summary(RunSummary& summary, Report& report, const UploadOptions& opt,
                    std::chrono::steady_clock::time_point started, bool interrupted);

}  // namespace s3up::engine
