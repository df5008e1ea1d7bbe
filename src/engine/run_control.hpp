// What both engines share while a run goes on, by concern: the settings (UploadOptions), the
// report, the S3 protocol (whose region a redirect may change), the retry policy, the journal and
// the stop state. The async engine's RunContext and the threaded engine's run both build on it,
// so that the decisions after a failed request (after_failure) are the same code whichever
// concurrency model runs; functions that need less take only their part (accept_entry and
// plan_entry the settings, report and journal; the pacing and interrupt handling the StopState).
#pragma once
#include "engine/integrity.hpp"
#include "engine/journal.hpp"
#include "engine/options.hpp"
#include "engine/report.hpp"
#include "engine/retry.hpp"
#include "engine/stop_state.hpp"
#include "engine/trailing_checksums.hpp"
#include "s3/s3_protocol.hpp"
#include "walker/walker.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace s3up::engine {

struct RunControl : StopState {
  // Counts every request's reply in `report` (requests, latency, SlowDown) through the
  // protocol's observer, until destroyed.
  RunControl(const UploadOptions& options, s3::S3Protocol& protocol, Report& report);
  ~RunControl();
  RunControl(const RunControl&) = delete;
  RunControl& operator=(const RunControl&) = delete;

  const UploadOptions& opt;   // settings
  Report& report;             // what happened, for the summary and --json
  s3::S3Protocol& protocol;   // signing, addressing, credentials
  RetryPolicy retry;          // failure policy: backoff and --retries
  Journal* journal = nullptr; // --journal, when given (set by attach_journal)
  // When the run started (its RunControl was made): uploads initiated before are an earlier
  // run's (stale uploads, stale_uploads.hpp).
  const std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
  // Region switches made by following redirects (after_failure), for the whole run.
  std::atomic<int> region_switches{0};
  // What each body is sent with, learned from the store's replies (integrity.hpp).
  IntegrityNegotiator integrity;
  // Whether streamed PutObjects carry their checksum in a trailer (trailing_checksums.hpp).
  TrailerNegotiator trailers;

  // Prints `text` ("note: ...") through opt.note the first time it is given, and keeps it for
  // the report. Thread-safe.
  void note(const std::string& text);

  // Stops the run for a reason that concerns every file (exit 2); `error` is the typed error of
  // the reply that caused it, if any.
  void fail_run(const std::string& reason, std::error_code error = {});

  // Uses `j` (may be null) as the run's journal: a write or sync of it that fails stops the run
  // (fail_run with the journal's one-line error, exit 2), whenever it is found. Detached when
  // the RunControl is destroyed.
  void attach_journal(Journal* j);
  // The journal's record_* (nothing without --journal). A journal that can no longer be written
  // stops the run (exit 2) with its error: a run never goes on believing it recorded what it
  // did not. Each returns the record's sequence number (0 without one, or when it failed).
  std::uint64_t journal_finished(std::string_view key, std::uint64_t size, std::int64_t mtime_ns);
  std::uint64_t journal_started(const JournalUpload& upload);
  std::uint64_t journal_part(std::string_view key, std::string_view upload_id,
                             const JournalPart& part);
  std::uint64_t journal_closed(std::string_view key, std::string_view upload_id);
  // Blocks until the journal's records up to `seq` are durable (journal.hpp: wait_durable);
  // false when the journal failed first (the run is then stopping). True without a journal.
  bool wait_journal_durable(std::uint64_t seq);
  // Whether stale uploads of the keys uploaded as multipart are looked for and aborted
  // (--journal or --abort-stale-uploads).
  bool aborts_stale_uploads() const { return journal != nullptr || opt.abort_stale_uploads; }
};

// What to do after a failed request. Renew: S3 refused the request's temporary credentials as
// expired; the caller renews them (CredentialsSource::renew, which blocks: each engine waits in
// its own way) and then asks after_renewal.
enum class Next { Retry, RetryNow, Fail, Stop, Renew };
// Whether the request is to be attempted again (after any backoff).
inline bool retrying(Next next) { return next == Next::Retry || next == Next::RetryNow; }

// A run follows at most this many region redirects that switch the protocol's region (a bucket
// has one region: more means the endpoint keeps sending us elsewhere); the next one stops it.
inline constexpr int kMaxRegionSwitches = 3;

// Decides from a failed OpResult: retries transient errors (counting them) within the policy,
// follows a region redirect (switching the region at most kMaxRegionSwitches times per run; a
// request signed for a region since replaced is sent again without counting), stops the run on
// errors that concern every file (including an endpoint that cannot be reached at all).
Next after_failure(RunControl& run, const s3::OpResult& r, int attempt);

// After Next::Renew: `renewed` says whether the source has newer credentials. Renewed: sign
// again and send at once (RetryNow, not counted as a retry). Not renewed: the run stops (exit 2),
// naming the provider and why it could not renew.
Next after_renewal(RunControl& run, const s3::OpResult& r, bool renewed);

// Whether a reply asked us to slow down (HTTP 503, S3's SlowDown).
bool is_throttle(const s3::OpResult& r);

// A walked entry to upload: a file, or the "dir/" marker of an empty directory (--dir-markers).
struct Accepted {
  std::string key;
  bool marker = false;
};

// Sorts a walked entry: records errors, skipped entries, empty directories (without
// --dir-markers), keys S3 would refuse, and files the journal has as finished (unchanged) in
// the report; passes over keys of other shards. Returns what is left to upload, or nullopt.
std::optional<Accepted> accept_entry(const UploadOptions& opt, Report& report,
                                     const Journal* journal, const walker::Entry& entry);

// --dry-run: records what would be uploaded (a file, or a directory marker) and prints its line.
void plan_entry(const UploadOptions& opt, Report& report, const walker::Entry& entry,
                const Accepted& accepted);

// The headers of a directory marker: the object settings without the mtime, and the checksums of
// nothing that `checks` name.
s3::Headers dir_marker_headers(const UploadOptions& opt, const BodyChecks& checks);

// Opens --journal FILE for this destination (nullptr without --journal, or for a dry run).
// Throws JournalError.
std::unique_ptr<Journal> open_journal(const ServiceOptions& service, const UploadOptions& opt);

}  // namespace s3up::engine
