// What a run did, file by file where it matters: counted while the run goes on (thread-safe),
// then frozen into a RunSummary for the summary line and the JSON report.
#pragma once
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <system_error>
#include <vector>

#include "engine/integrity_level.hpp"
#include "engine/latency_histogram.hpp"
#include "engine/limit_history.hpp"

namespace s3up::engine {

struct FailedFile {
  std::string path;
  std::string key;
  std::string reason;
};

struct SkippedEntry {
  std::string path;
  std::string reason;
};

// --sync --sync-checksum: how an object the store keeps no comparable checksum for was compared.
enum class SyncFallback { EtagMd5, SizeMtime, Uploaded };
inline constexpr int kSyncFallbacks = 3;

struct RunSummary {
  std::uint64_t files_uploaded = 0;
  std::uint64_t bytes_uploaded = 0;
  std::uint64_t bytes_resumed = 0;  // of bytes_uploaded: parts an earlier run had sent
  // Multipart uploads earlier runs left open for keys of this run, aborted (--journal,
  // --abort-stale-uploads).
  std::uint64_t stale_uploads_aborted = 0;
  // Multipart uploads a CreateMultipartUpload of this run may have created without its reply
  // arriving (a timeout, a reset, a 5xx), found by ListMultipartUploads and aborted.
  std::uint64_t lost_uploads_aborted = 0;
  std::uint64_t multipart_uploads = 0;
  std::uint64_t retries = 0;
  std::uint64_t throttled = 0;  // replies that asked us to slow down (503 / SlowDown)
  std::uint64_t files_unchanged = 0;   // --sync / --journal: already in the bucket, not sent
  std::uint64_t bytes_unchanged = 0;
  std::uint64_t dir_markers = 0;       // --dir-markers objects written (or planned)
  // Files the walk found that the run never got to (it stopped first), so that the totals add
  // up to the tree; `walk_complete` false when the walk was cut short too (then a lower bound).
  std::uint64_t not_attempted = 0;
  bool walk_complete = true;
  // Uploaded files by the check the store performed (Integrity), and the --checksum algorithm.
  std::array<std::uint64_t, kIntegrityLevels> integrity{};
  s3::ChecksumAlgorithm checksum = s3::ChecksumAlgorithm::Crc32c;
  // --sync-checksum: objects compared another way (SyncFallback), the store keeping no checksum.
  std::array<std::uint64_t, kSyncFallbacks> sync_fallbacks{};
  std::vector<std::string> notes;      // "note: ..." lines, each once
  std::uint64_t files_planned = 0;     // --dry-run: what would be uploaded
  std::uint64_t bytes_planned = 0;
  bool dry_run = false;
  double seconds = 0;
  std::vector<FailedFile> failed;
  std::vector<SkippedEntry> skipped;
  std::optional<std::string> fatal;  // the run stopped early for this reason (exit 2)
  std::error_code fatal_error;       // its typed error (s3::S3Errc), when a reply caused it
  bool interrupted = false;          // stopped by SIGINT/SIGTERM (exit 130)
  std::string engine = "async";
  std::size_t concurrency = 0;       // requests in flight allowed at the end of the run
  std::size_t concurrency_peak = 0;  // the most allowed at any time (adaptive concurrency)
  // --concurrency auto: the limit's course over the run (LimitHistory); empty with a fixed one.
  std::vector<LimitPoint> concurrency_history;
  std::size_t threads = 0;
  // Connections opened, TLS handshakes, and how many of those resumed an earlier session.
  std::uint64_t connections_opened = 0, tls_handshakes = 0, tls_resumed = 0;
  // New connections that waited for the open rate's bound, and idle connections one lane of
  // the async engine lent to another (0 for the threaded engine).
  std::uint64_t connections_paced = 0, connections_borrowed = 0;
  // Connections opened ahead of the requests (--concurrency auto's slow start on a WAN), and
  // requests of the async engine that waited for one of them rather than opening their own (0
  // for the threaded engine, whose workers open theirs ahead).
  std::uint64_t connections_opened_ahead = 0, connections_awaited = 0;
  // The most connections open at once (each closed one replaced counts in connections_opened).
  std::uint64_t connections_peak_open = 0;
  // Request bodies left behind at the end of the run and sent again on a new connection (not
  // retries: net/straggler_watch.hpp).
  std::uint64_t stragglers_resent = 0;
  std::uint64_t peak_rss_bytes = 0;  // the process's peak resident memory at the end of the run
  std::string credentials;                // the provider that supplied them ("imds"...)
  // Credentials renewed after S3 refused them as expired, or before a request was signed with
  // them in their last second (s3::kSigningGuard).
  std::uint64_t credential_renewals = 0;
  std::uint64_t credential_refreshes = 0; // renewals in all (scheduled ones included)
  std::chrono::system_clock::time_point started, finished;

  // 0 all uploaded, 1 some failed, 2 fatal (credentials, bucket...), 130 interrupted.
  int exit_code() const;
  // The weakest check any uploaded file got (full_integrity(checksum) when none was uploaded).
  Integrity weakest_integrity() const;
};

// The reason of a file that was under way when an error concerning every file stopped the run
// (the error itself is the run's, reported once): the file is listed as failed, not lost.
inline constexpr std::string_view kStoppedByFatal = "not uploaded: the run stopped";

class Report {
 public:
  // A file uploaded (`level`: the check the store performed on it).
  void uploaded(std::uint64_t bytes, bool multipart, Integrity level);
  void failed(FailedFile f);
  void skipped(SkippedEntry s);
  void retried();
  // S3 refused expired credentials, or they were about to expire (s3::kSigningGuard); new ones
  // were in place.
  void credentials_renewed();
  void sent(std::uint64_t bytes);  // file bytes accepted by the endpoint (parts count as they land)
  // Parts an earlier run sent (--journal): done for the progress line, not sent by this run.
  void resumed(std::uint64_t bytes);
  // A multipart upload an earlier run left open was aborted.
  void stale_upload_aborted();
  // A multipart upload whose CreateMultipartUpload reply was lost was found and aborted.
  void lost_upload_aborted();
  // Every request that got a reply or failed below HTTP (fed by the S3 layer's observer):
  // successes are counted with their latency; `throttled` replies asked us to slow down.
  void request_finished(bool ok, bool throttled, std::chrono::microseconds latency);
  void unchanged(std::uint64_t bytes);  // a file already in the bucket, not sent
  void dir_marker();
  void planned(std::uint64_t bytes);    // --dry-run
  void sync_fallback(SyncFallback how);
  // Files the run never got to; `walk_complete` false when the count is a lower bound.
  void not_attempted(std::uint64_t files, bool walk_complete);
  // Keeps a note; true the first time `text` is given (so that it is printed once).
  bool note(const std::string& text);
  // Records the first reason to stop the whole run, with its typed error when there is one (an
  // s3::S3Errc); later ones are dropped. Returns true for the first.
  bool fatal(std::string reason, std::error_code error = {});
  bool has_fatal() const { return has_fatal_.load(std::memory_order_acquire); }

  std::uint64_t files_uploaded() const { return files_.load(std::memory_order_relaxed); }
  std::uint64_t bytes_uploaded() const { return bytes_.load(std::memory_order_relaxed); }
  std::uint64_t retries() const { return retries_.load(std::memory_order_relaxed); }
  std::uint64_t bytes_sent() const { return sent_.load(std::memory_order_relaxed); }
  std::uint64_t requests_ok() const { return requests_ok_.load(std::memory_order_relaxed); }
  std::uint64_t throttled() const { return throttled_.load(std::memory_order_relaxed); }
  const LatencyHistogram& latencies() const { return latencies_; }
  std::uint64_t files_unchanged() const { return unchanged_.load(std::memory_order_relaxed); }
  std::uint64_t failures() const;

  // Moves everything recorded into a summary (the Report is spent afterwards).
  RunSummary finish();

 private:
  std::atomic<std::uint64_t> files_{0}, bytes_{0}, multipart_{0}, retries_{0}, sent_{0};
  std::atomic<std::uint64_t> requests_ok_{0}, throttled_{0}, renewals_{0};
  LatencyHistogram latencies_;
  std::atomic<std::uint64_t> unchanged_{0}, unchanged_bytes_{0}, markers_{0}, planned_{0},
      planned_bytes_{0}, not_attempted_{0}, resumed_{0}, stale_aborted_{0}, lost_aborted_{0};
  std::atomic<bool> walk_complete_{true};
  std::array<std::atomic<std::uint64_t>, kIntegrityLevels> integrity_{};
  std::array<std::atomic<std::uint64_t>, kSyncFallbacks> sync_fallbacks_{};
  std::atomic<bool> has_fatal_{false};
  mutable std::mutex mutex_;
  std::vector<FailedFile> failed_;
  std::vector<SkippedEntry> skipped_;
  std::vector<std::string> notes_;
  std::optional<std::string> fatal_;
  std::error_code fatal_error_;
};

// "Uploaded 1,234 files (5.6 MiB) in 1.23 s: 4.5 MB/s, 1,003 files/s; 2 failed, 3 retries"
std::string summary_line(const RunSummary& s);
// The machine-readable report (Boost.JSON). Holds no credential.
void write_json(const RunSummary& s, std::ostream& out);

}  // namespace s3up::engine
