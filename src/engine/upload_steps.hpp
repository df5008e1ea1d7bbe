// The per-file S3 sequences, written once for both engines: a single PUT with its checksum and
// verification, a directory marker, the --sync listing and HeadObject decision, and a multipart
// upload (create or resume from the journal and ListParts, each part, complete with the
// lost-Complete HeadObject check, abort). Every S3 request of an upload is issued here.
//
// The sequences are coroutines over an Io: what an engine supplies to send a request, wait for a
// permit, pace, read and back off. The async engine's Io (async_io.hpp) returns asio::awaitable
// and suspends; the threaded engine's (blocking_io.hpp) returns coro::SyncTask and blocks its
// thread. So the engines differ in how they wait, never in what they send.
//
//   struct Io {
//     template <class T> using Task = ...;   // asio::awaitable<T> or coro::SyncTask<T>
//     using Permit = ...;                     // move-only; released when destroyed or reset
//     RunControl& run() const;                // options, report, journal, stop state
//     Task<Permit> memory(std::uint64_t bytes);    // --max-memory (FIFO)
//     Task<bool> pace(std::uint64_t bytes);        // --limit-rate; false: the run stopped
//     Task<ReadDigest> read(walker::Entry, std::uint64_t offset, std::span<char> out,
//                           DigestNeeds needs);
//     Task<ReadDigest> digest(const walker::FileReader* file, walker::Entry,
//                             std::uint64_t offset, std::uint64_t length,
//                             DigestNeeds needs);  // a pass over a streamed body's open file
//     Task<Permit> request();                       // one request in flight (--concurrency)
//     Task<s3::OpResult> send(s3::S3Call call);     // one signed exchange
//     Task<Next> settle(s3::OpResult r, int attempt);  // after_failure, renewal, backoff
//     Task<bool> journal_durable(std::uint64_t seq);  // the journal's records up to seq synced
//                                                     // (false: it failed, the run stops)
//     void part_size_hint(std::uint64_t bytes);     // --concurrency auto
//     void parts_coming(std::uint64_t parts);       // connections readied for parts
//   };
//
// The rules, the same on both engines:
//  - permits are taken in this order: memory (a body's bytes count from before it is read until
//    its request is over), then --limit-rate pacing, then the read, then a request permit;
//  - a request permit is held only while its request is under way: taken right before each
//    attempt and released when the reply is in, never through a backoff sleep;
//  - what is retried, and what counts as a retry, is after_failure's decision (run_control.hpp);
//    renewing expired credentials and following a region redirect are not retries.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/file_data.hpp"
#include "engine/integrity.hpp"
#include "engine/multipart_parts.hpp"
#include "engine/part_plan.hpp"
#include "engine/run_control.hpp"
#include "engine/stale_uploads.hpp"
#include "engine/start_order.hpp"
#include "engine/sync.hpp"
#include "s3/error_class.hpp"
#include "s3/full_object_checksum.hpp"
#include "s3/object_settings.hpp"
#include "util/utf8.hpp"

namespace s3up::engine::steps {

template <class Io, class T>
using Task = typename Io::template Task<T>;

// A request with the retry policy: the reply of the last attempt, and the decision after it
// (Fail or Stop when the reply is a failure).
struct Sent {
  s3::OpResult reply;
  Next next = Next::Fail;
  // When the first failed attempt that the store may still have carried out was sent (local
  // clock; may_have_been_carried_out: its reply lost or a 5xx); the epoch when there was none.
  SysTime uncertain_since{};
  bool ok() const { return reply.ok; }
  bool uncertain() const { return uncertain_since != SysTime{}; }
};

// One attempt of `call` under a request permit.
template <class Io>
Task<Io, s3::OpResult> exchange(Io io, s3::S3Call call) {
  [[maybe_unused]] typename Io::Permit permit = co_await io.request();
  s3::OpResult r = co_await io.send(std::move(call));
  co_return r;
}

// One attempt of a retry loop: `sent` (what the loop's earlier attempts left) with this
// attempt's reply and no decision yet; when it failed in a way the store may still have carried
// out, and none before did, its send time becomes uncertain_since.
template <class Io>
Task<Io, Sent> attempt_once(Io io, s3::S3Call call, Sent sent) {
  const SysTime sent_at = std::chrono::system_clock::now();
  sent.reply = co_await exchange(io, std::move(call));
  sent.next = Next::Fail;
  if (!sent.uncertain() && may_have_been_carried_out(sent.reply)) sent.uncertain_since = sent_at;
  co_return sent;
}

// `call` with the retry policy (each attempt re-signs).
template <class Io>
Task<Io, Sent> with_retries(Io io, s3::S3Call call) {
  Sent sent;
  for (int attempt = 0;; ++attempt) {
    sent = co_await attempt_once(io, call, std::move(sent));
    if (sent.ok()) co_return sent;
    sent.next = co_await io.settle(sent.reply, attempt);
    if (!retrying(sent.next)) co_return sent;
  }
}

// The call `make(checks)` builds for the checks the run's negotiator plans, with the retry
// policy; built again and sent at once (not a retry) when the store refuses the flexible checksum
// headers (integrity.hpp). For calls whose body needs no reading: a CreateMultipartUpload, a
// directory marker.
template <class Io, class Make>
Task<Io, Sent> with_negotiated_checks(Io io, Make make) {
  RunControl& run = io.run();
  Sent sent;
  for (int attempt = 0;;) {
    const BodyChecks checks = run.integrity.plan();
    sent = co_await attempt_once(io, make(checks), std::move(sent));
    if (sent.ok()) co_return sent;
    if (run.integrity.refused(checks, sent.reply)) continue;
    sent.next = co_await io.settle(sent.reply, attempt++);
    if (!retrying(sent.next)) co_return sent;
  }
}

// The digests a body read under `checks` needs (and its SHA-256 when payloads are signed).
inline DigestNeeds digest_needs(const RunControl& run, const BodyChecks& checks) {
  return {checks.flexible, checks.md5, run.protocol.sign_payload()};
}

// An MD5 wanted only to compare with the ETag (the first bodies, before the run knows what the
// store checks; not one sent as Content-MD5) is taken out of `needs`, to be computed after the
// reply and only when the reply calls for it (IntegrityNegotiator::compares_etag): on a store
// that echoes the checksum (AWS) no body pays for it. Returns whether it was taken out.
inline bool defer_etag_md5(DigestNeeds& needs, const BodyChecks& checks) {
  const bool deferred = needs.md5 && !checks.content_md5;
  if (deferred) needs.md5 = false;
  return deferred;
}

// The integrity headers of a body: x-amz-checksum-<algo> (with `sdk_algorithm`, also
// x-amz-sdk-checksum-algorithm, as the SDKs send on PutObject) and Content-MD5, as `checks` say.
void add_checksum_headers(s3::Headers& headers, const BodyChecks& checks, const ReadDigest& read,
                          bool sdk_algorithm);

// ---- a whole file in one PutObject -------------------------------------------------------------

// The headers of a PutObject: object settings, the mtime, and the body's integrity headers.
s3::Headers put_headers(const UploadOptions& opt, const walker::Entry& entry,
                        const BodyChecks& checks, const ReadDigest& read);

// Removes the object a PutObject left at `key` after its body was found corrupted and every
// retry failed (a later --sync would otherwise take it for the file). Adds what happened to
// `reason`.
template <class Io>
Task<Io, void> remove_corrupted(Io io, std::string key, std::string* reason) {
  const Sent removed = co_await with_retries(io, s3::S3Call::delete_object(key));
  *reason += removed.ok() ? "; the corrupted object was deleted"
                          : "; could not delete the corrupted object: " + removed.reply.message;
}

// What follows a PutObject (put_file's and put_streamed's common end): nothing (the file was
// recorded uploaded or failed), the PUT sent again at once without headers the store refused
// (not a retry), or a retry after a failure.
enum class PutNext { Done, Resend, Retry };

// Judges a PutObject's reply `r` to a body sent with `checks` and `read`'s digests: records the
// file uploaded, or failed (a single PUT still corrupted after the retries is deleted).
template <class Io>
Task<Io, PutNext> settle_put(Io io, const walker::Entry* entry, const std::string* key,
                             BodyChecks checks, const ReadDigest* read, s3::OpResult r,
                             int attempt) {
  RunControl& run = io.run();
  if (r.ok) {
    const Verdict verdict = run.integrity.judge(checks, {read->checksum, read->md5}, r);
    if (!verdict.corrupted) {
      run.report.sent(entry->size);
      run.report.uploaded(entry->size, false, verdict.level);
      run.journal_finished(*key, entry->size, entry->mtime_ns);
      co_return PutNext::Done;
    }
    // Sent again: the next PUT replaces it.
    r = corrupted(std::move(r), "PutObject", *verdict.corrupted);
  } else if (run.integrity.refused(checks, r)) {
    co_return PutNext::Resend;
  }
  const Next next = co_await io.settle(r, attempt);
  if (next == Next::Fail && r.error == s3::S3Errc::checksum_mismatch) {
    std::string reason = r.message;
    co_await remove_corrupted(io, *key, &reason);
    run.report.failed({entry->path, *key, std::move(reason)});
  } else if (next == Next::Fail) {
    run.report.failed({entry->path, *key, r.message});
  } else if (next == Next::Stop) {
    run.report.failed({entry->path, *key, std::string(kStoppedByFatal)});
  }
  co_return retrying(next) ? PutNext::Retry : PutNext::Done;
}

// Whether a PUT is to be attempted (again): false, with the file reported failed, when the run
// stopped before.
template <class Io>
Task<Io, bool> may_put(Io io, const walker::Entry* entry, const std::string* key, int attempt) {
  RunControl& run = io.run();
  if (run.stopping.load() && attempt > 0) {
    run.report.failed({entry->path, *key, "not completed: the run was stopped"});
    co_return false;
  }
  // Paced before reading, so the bytes sent are as fresh as possible.
  const bool paced = co_await io.pace(entry->size);
  if (!paced) run.report.failed({entry->path, *key, "not uploaded: the run was stopped"});
  co_return paced;
}

// ---- bodies streamed from the file (a large PutObject, every part) ------------------------------

// A streamed body's bytes for one attempt: the file opened once (checked to be the file the
// walker listed), to make the first pass over where there is anything to compute and to send
// them from, and their digests. `read.problem` set: the file cannot be sent (it changed, cannot
// be read).
struct StreamedFile {
  ReadDigest read;
  std::optional<walker::FileReader> reader;
};

template <class Io>
Task<Io, StreamedFile> open_streamed(Io io, walker::Entry entry, std::uint64_t offset,
                                     std::uint64_t length, DigestNeeds needs) {
  StreamedFile f;
  f.reader = open_listed(entry, f.read.problem);
  if (f.reader && needs.any())
    f.read = co_await io.digest(&*f.reader, std::move(entry), offset, length, needs);
  co_return f;
}

// The MD5 of a streamed body, deferred until its reply asked for it (defer_etag_md5), into
// `read->md5`: read again from the page cache of `file` (the one the body was sent from), off
// the I/O threads. Returns the problem when the file can no longer be read as it was.
template <class Io>
Task<Io, std::optional<std::string>> etag_md5(Io io, const walker::FileReader* file,
                                              walker::Entry entry, std::uint64_t offset,
                                              std::uint64_t length, ReadDigest* read) {
  const DigestNeeds md5_only{s3::ChecksumAlgorithm::None, true, false};
  const ReadDigest md5 = co_await io.digest(file, std::move(entry), offset, length, md5_only);
  if (!md5.problem) read->md5 = md5.md5;
  co_return md5.problem;
}

// One attempt of a body streamed from the file: what its reply was, and the digests of what was
// sent.
struct StreamedAttempt {
  // The file cannot be sent as listed (changed before or while sent, unreadable): it fails.
  std::optional<std::string> problem;
  // The store did not take the aws-chunked trailer: sent again at once (not a retry) with the
  // checksum in a header, as every streamed body after it (trailing_checksums.hpp).
  bool resend = false;
  s3::OpResult reply;
  ReadDigest read;  // the checksum a trailer carried included
};

// One attempt of the entry's bytes [offset, offset + length) as the body of `make(sent, read)`
// (the call, its headers built for the checks `sent` sends in headers and the first pass's
// digests `read`), planned with `checks`: a large PutObject, a part. The digests in a first
// pass over the page cache (none when there is nothing to compute), then the bytes read again as
// they are sent (a window of the file in memory per request, whatever the body's size). Where
// the store takes aws-chunked trailers the flexible checksum is computed as the bytes are sent
// and follows them: no first pass. An MD5 wanted only to compare with the ETag (the first
// bodies, before the run knows what the store checks) is computed after the reply, and only when
// the reply has such an ETag and no echo: on a store that echoes the checksum (AWS) or keeps no
// ETag (a plain PUT server) a large body costs no MD5 pass.
template <class Io, class Make>
Task<Io, StreamedAttempt> send_streamed(Io io, walker::Entry entry, std::uint64_t offset,
                                        std::uint64_t length, BodyChecks checks, Make make) {
  RunControl& run = io.run();
  StreamedAttempt a;
  const bool trailing =
      run.trailers.use(checks, run.integrity.store(), run.protocol.sign_payload());
  DigestNeeds needs = digest_needs(run, checks);
  if (trailing) needs.checksum = s3::ChecksumAlgorithm::None;
  const bool md5_after_reply = defer_etag_md5(needs, checks);
  StreamedFile body = co_await open_streamed(io, entry, offset, length, needs);
  a.read = std::move(body.read);
  if (a.read.problem) {
    a.problem = std::move(a.read.problem);
    co_return a;
  }
  BodyChecks sent = checks;
  if (trailing) sent.flexible = s3::ChecksumAlgorithm::None;  // in the trailer
  s3::S3Call call = make(sent, a.read);
  call.file = {body.reader->fd(), offset, length};
  call.payload_sha256 = a.read.sha256;
  std::shared_ptr<s3::TrailingChecksum> trailer;
  if (trailing) call.trailing = trailer = std::make_shared<s3::TrailingChecksum>(checks.flexible);
  a.reply = co_await exchange(io, std::move(call));
  // Bytes changed while being sent differ from a checksum computed before, which the store (or
  // its echo) catches (a trailer's checksum is of the bytes sent); a file changed since it was
  // opened (size or modification time) is refused here either way.
  a.problem = changed_since_open(entry, *body.reader);
  if (a.problem) co_return a;
  if (trailer) {
    a.read.checksum = trailer->value();
    a.resend = run.trailers.refused(checks.flexible, a.read.checksum, a.reply);
    if (a.resend) co_return a;
  }
  if (md5_after_reply && run.integrity.compares_etag(checks, a.reply))
    a.problem = co_await etag_md5(io, &*body.reader, entry, offset, length, &a.read);
  co_return a;
}

// A file above kStreamFrom in one PutObject, streamed (send_streamed); every retry starts over.
template <class Io>
Task<Io, void> put_streamed(Io io, walker::Entry entry, std::string key) {
  RunControl& run = io.run();
  [[maybe_unused]] typename Io::Permit memory = co_await io.memory(kStreamMemory);
  const UploadOptions* opt = &run.opt;
  const walker::Entry* listed = &entry;
  const std::string* name = &key;
  // (A local, not a temporary in the co_await: GCC 12 mishandles those.)
  const auto make = [opt, listed, name](const BodyChecks& sent, const ReadDigest& read) {
    return s3::S3Call::put_object(*name, {}, put_headers(*opt, *listed, sent, read));
  };
  for (int attempt = 0;; ++attempt) {
    const bool go = co_await may_put(io, &entry, &key, attempt);
    if (!go) co_return;
    const BodyChecks checks = run.integrity.plan();
    StreamedAttempt a = co_await send_streamed(io, entry, 0, entry.size, checks, make);
    if (a.problem) {
      run.report.failed({entry.path, key, *a.problem});
      co_return;
    }
    if (a.resend) {
      --attempt;  // sent again at once with the checksum in a header: not a retry
      continue;
    }
    const PutNext next = co_await settle_put(io, &entry, &key, checks, &a.read, a.reply, attempt);
    if (next == PutNext::Done) co_return;
    if (next == PutNext::Resend) --attempt;  // without the refused headers: not a retry
  }
}

// Reads, checksums, signs and sends the file; every retry reads the file again. Files above
// kStreamFrom are streamed instead (put_streamed).
template <class Io>
Task<Io, void> put_file(Io io, walker::Entry entry, std::string key) {
  if (entry.size > kStreamFrom) {
    co_await put_streamed(io, std::move(entry), std::move(key));
    co_return;
  }
  RunControl& run = io.run();
  [[maybe_unused]] typename Io::Permit memory =
      co_await io.memory(std::max<std::uint64_t>(entry.size, 1));
  DataBuffer buffer(entry.size);
  for (int attempt = 0;; ++attempt) {
    const bool go = co_await may_put(io, &entry, &key, attempt);
    if (!go) co_return;
    const BodyChecks checks = run.integrity.plan();
    ReadDigest read =
        co_await io.read(entry, 0, buffer.span(), digest_needs(run, checks));
    if (read.problem) {
      run.report.failed({entry.path, key, *read.problem});
      co_return;
    }
    s3::S3Call call = s3::S3Call::put_object(
        key, std::span<const char>(buffer.data.get(), buffer.size),
        put_headers(run.opt, entry, checks, read));
    call.payload_sha256 = read.sha256;
    s3::OpResult r = co_await exchange(io, std::move(call));
    const PutNext next = co_await settle_put(io, &entry, &key, checks, &read, r, attempt);
    if (next == PutNext::Done) co_return;
    if (next == PutNext::Resend) --attempt;  // without the refused headers: not a retry
  }
}

// The zero-byte "dir/" object of an empty directory (--dir-markers).
template <class Io>
Task<Io, void> put_dir_marker(Io io, walker::Entry entry, std::string key) {
  RunControl& run = io.run();
  const UploadOptions* opt = &run.opt;
  // (A local, not a temporary in the co_await: GCC 12 mishandles those.)
  const auto make = [opt, key](const BodyChecks& checks) {
    return s3::S3Call::put_object(key, {}, dir_marker_headers(*opt, checks));
  };
  const Sent sent = co_await with_negotiated_checks(io, make);
  if (sent.ok())
    run.report.dir_marker();
  else if (sent.next == Next::Fail)
    run.report.failed({entry.path, key, sent.reply.message});
  else if (sent.next == Next::Stop)
    run.report.failed({entry.path, key, std::string(kStoppedByFatal)});
}

// ---- --sync and the walk ---------------------------------------------------------------------

// Whether `remote` (the object listed at the file's key) already is the file as it is now, by
// the --sync mode: from the listing alone, or after a HeadObject (retried like any request; one
// that finally fails counts as "changed", and the file is uploaded again, which is safe).
template <class Io>
Task<Io, bool> is_unchanged(Io io, walker::Entry entry, std::string key,
                            s3::ListedObject remote) {
  const UploadOptions& opt = io.run().opt;
  UnchangedCheck check = start_unchanged_check(opt, entry, remote);
  if (check.decided) co_return *check.decided;
  if (!io.run().integrity.checksum_mode()) check.head_headers.clear();
  s3::OpResult head;
  for (int attempt = 0;; ++attempt) {
    head = co_await exchange(io, s3::S3Call::head_object(key, check.head_headers));
    if (head.ok || head.status == 404) break;
    if (head.status == 400 && !check.head_headers.empty()) {
      // (Backblaze B2 refuses x-amz-checksum-mode; HEAD replies carry no error code.) Asked
      // again without it, at once; another 400 is handled as any failure.
      io.run().integrity.checksum_mode_refused();
      check.head_headers.clear();
      --attempt;
      continue;
    }
    const Next next = co_await io.settle(head, attempt);
    if (!retrying(next)) break;
  }
  const SyncVerdict verdict = unchanged_after_head(opt, entry, head);
  if (verdict.fallback) {
    io.run().report.sync_fallback(*verdict.fallback);
    io.run().note(sync_fallback_note(opt, *verdict.fallback));
  }
  co_return verdict.unchanged;
}

// The destination listing of --sync, merged with the walk (ListingCursor) page by page.
struct Listing {
  std::string prefix;
  ListingCursor cursor;
  bool failed = false;
};

// The listed object whose key is exactly `key`, or nullopt. Keys must be asked in ascending
// byte order. A listing that fails for good stops the run (a run-wide problem) and finds nothing
// from then on. `listing` must outlive the call.
template <class Io>
Task<Io, std::optional<s3::ListedObject>> find_listed(Io io, Listing* listing, std::string key) {
  RunControl& run = io.run();
  for (;;) {
    if (listing->failed) co_return std::nullopt;
    switch (listing->cursor.seek(key)) {
      case ListingCursor::Seek::Found:
        co_return listing->cursor.object();
      case ListingCursor::Seek::Absent:
        co_return std::nullopt;
      case ListingCursor::Seek::NeedPage:
        break;
    }
    const std::string token = listing->cursor.continuation();
    for (int attempt = 0;; ++attempt) {
      s3::OpResult r = co_await exchange(io, s3::S3Call::list_objects_v2(listing->prefix, token));
      if (auto page = read_listing(r)) {
        listing->cursor.set_page(std::move(*page));
        break;
      }
      const Next next = co_await io.settle(r, attempt);
      if (next == Next::Fail) run.fail_run(listing_failure(run.opt, listing->prefix, r));
      if (!retrying(next)) {
        listing->failed = true;
        break;
      }
    }
  }
}

// What to upload for one walked entry, once it is known to need an upload.
struct Planned {
  std::string key;
  bool marker = false;     // the "dir/" object of an empty directory
  bool multipart = false;  // larger than --multipart-threshold
  bool large = false;      // a large body in one request (start_order.hpp)
  std::optional<s3::ListedObject> remote;  // what --sync listed at the key
};

// Settles one walked entry before any upload: errors, skips, refused keys, other shards and
// journaled files (accept_entry); an existing "dir/" marker; --dry-run (planned or unchanged).
// Returns what is left to upload, or nullopt. `listing` is the --sync listing or null; both
// must outlive the call.
template <class Io>
Task<Io, std::optional<Planned>> plan_upload(Io io, Listing* listing,
                                             const walker::Entry* entry) {
  RunControl& run = io.run();
  auto accepted = accept_entry(run.opt, run.report, run.journal, *entry);
  if (!accepted) co_return std::nullopt;
  Planned planned;
  planned.key = std::move(accepted->key);
  planned.marker = accepted->marker;
  planned.multipart = !planned.marker && entry->size > run.opt.multipart_threshold;
  planned.large = !planned.marker && !planned.multipart && is_large_body(entry->size);
  if (listing) planned.remote = co_await find_listed(io, listing, planned.key);
  if (run.stopping.load()) co_return std::nullopt;
  if (planned.marker && planned.remote) {  // an existing "dir/" object is the marker
    run.report.unchanged(0);
    co_return std::nullopt;
  }
  if (run.opt.dry_run) {
    bool unchanged = false;
    if (planned.remote) unchanged = co_await is_unchanged(io, *entry, planned.key, *planned.remote);
    if (unchanged) {
      run.report.unchanged(entry->size);
    } else {
      accepted->key = planned.key;
      plan_entry(run.opt, run.report, *entry, *accepted);
    }
    co_return std::nullopt;
  }
  co_return planned;
}

// --sync: true (and the file counted as unchanged) when `remote` already is the file.
template <class Io>
Task<Io, bool> skip_unchanged(Io io, walker::Entry entry, std::string key,
                              std::optional<s3::ListedObject> remote) {
  RunControl& run = io.run();
  bool unchanged = false;
  if (remote) unchanged = co_await is_unchanged(io, entry, key, *remote);
  if (unchanged) {
    run.report.unchanged(entry.size);
    run.journal_finished(key, entry.size, entry.mtime_ns);
  }
  co_return unchanged;
}

// ---- multipart -------------------------------------------------------------------------------

// One multipart upload, shared by its parts (which may run on several threads at once).
struct MultipartUpload {
  walker::Entry entry;
  std::string key;
  PartPlan plan;
  std::string upload_id;
  std::vector<s3::CompletedPart> parts;  // slot i is written only by part i
  bool full_object = false;  // created with x-amz-checksum-type: FULL_OBJECT
  // When the first CreateMultipartUpload that may have created an upload without its reply
  // arriving was sent (Sent::uncertain_since; the epoch when none): looked for when the upload
  // is over (abort_lost_uploads).
  SysTime lost_since{};
  std::atomic<bool> failed{false};
  // The weakest check the store performed on a part sent by this run (Integrity).
  std::atomic<int> integrity{static_cast<int>(Integrity::ChecksumVerified)};

  void fail(std::string reason);
  void checked(Integrity level);  // a part landed with this check
  std::string failure() const;  // the first failure, "" when none
  // The first part whose slot is still empty (nullopt when every part is in place).
  std::optional<std::uint64_t> missing_part() const;

 private:
  mutable std::mutex mutex_;
  std::string failure_;
};

// Aborts the upload (so that nothing is left to be billed) and reports the file as failed.
template <class Io>
Task<Io, void> abort_multipart(Io io, std::shared_ptr<MultipartUpload> u, std::string reason) {
  RunControl& run = io.run();
  const Sent aborted =
      co_await with_retries(io, s3::S3Call::abort_multipart(u->key, u->upload_id));
  if (aborted.ok()) run.journal_closed(u->key, u->upload_id);
  reason += aborted.ok() ? "; multipart upload aborted"
                         : "; could not abort multipart upload " + u->upload_id + ": " +
                               aborted.reply.message;
  run.report.failed({u->entry.path, u->key, reason});
}

// What resume_parts found of the journal's open upload.
enum class Resume { Continued, Gone, Failed };

// Fills `u.parts` with the parts of the journal's open upload that S3 still holds (ListParts,
// ETag and size agreeing with the journal): Continued. Gone: S3 has no such upload any more
// (NoSuchUpload: completed or aborted). Failed: ListParts failed otherwise.
template <class Io>
Task<Io, Resume> resume_parts(Io io, std::shared_ptr<MultipartUpload> u, JournalUpload open) {
  int marker = 0;
  for (;;) {
    const Sent sent =
        co_await with_retries(io, s3::S3Call::list_parts(u->key, open.upload_id, marker));
    if (!sent.ok())
      co_return sent.reply.error == s3::S3Errc::no_such_upload ? Resume::Gone : Resume::Failed;
    const auto page = s3::parse_list_parts(sent.reply.body);
    if (!page) co_return Resume::Failed;
    match_resumed_parts(page->parts, open, u->plan, io.run().opt.checksum, u->parts);
    if (!page->truncated) co_return Resume::Continued;
    marker = page->next_part_number_marker;
  }
}

// `call` with the retry policy, except that a refusal (403: a policy without
// s3:ListBucketMultipartUploads or s3:AbortMultipartUpload; 405/501: a store without the
// operation) is returned as it is rather than stop the run: for the housekeeping of stale
// uploads, which a run can do without. Expired credentials are still renewed.
template <class Io>
Task<Io, Sent> housekeeping(Io io, s3::S3Call call) {
  Sent sent;
  for (int attempt = 0;; ++attempt) {
    sent = co_await attempt_once(io, call, std::move(sent));
    if (sent.ok()) co_return sent;
    const unsigned status = sent.reply.status;
    const bool expired = s3::is_credentials_expiry(sent.reply.error);
    if ((status == 403 && !expired) || status == 405 || status == 501) co_return sent;
    sent.next = co_await io.settle(sent.reply, attempt);
    if (!retrying(sent.next)) co_return sent;
  }
}

// Which uploads left open for a key a listing looks for (stale_uploads.hpp): those earlier runs
// left, or those this run's CreateMultipartUpload may have created without its reply arriving.
enum class Leftover { EarlierRun, LostReply };

// Aborts upload `upload_id` of `key`, which no run is going to continue (counted in the report,
// and told in a note). `journaled`: the journal has it open, and is told it is closed once it is
// gone (aborted, or NoSuchUpload). A failure to abort is told in a note; the run goes on.
template <class Io>
Task<Io, void> abort_stale(Io io, std::string key, std::string upload_id, bool journaled,
                           Leftover whose = Leftover::EarlierRun) {
  RunControl& run = io.run();
  const Sent aborted = co_await housekeeping(io, s3::S3Call::abort_multipart(key, upload_id));
  const bool gone = aborted.ok() || aborted.reply.error == s3::S3Errc::no_such_upload;
  // (NoSuchUpload after an attempt whose reply was lost: that attempt aborted it.)
  const bool done = aborted.ok() || (gone && aborted.uncertain());
  const std::string left = whose == Leftover::EarlierRun
                               ? ", which an earlier run left open"
                               : ", which a CreateMultipartUpload whose reply was lost created";
  if (done) {
    if (whose == Leftover::EarlierRun) run.report.stale_upload_aborted();
    else run.report.lost_upload_aborted();
    run.note("note: aborted multipart upload " + upload_id + " of " + util::printable(key) + left);
  } else if (!gone) {
    run.note("note: could not abort multipart upload " + upload_id + " of " +
             util::printable(key) + left + ": " + aborted.reply.message);
  }
  if (gone && journaled) run.journal_closed(key, upload_id);
}

// Lists the multipart uploads open for `key` (ListMultipartUploads, prefix = key) and aborts
// those left over (`whose`), except `keep`: those an earlier run left (is_stale_upload: initiated
// before the run's start), or those initiated from `since` (local clock) on that this run's
// CreateMultipartUpload may have created without its reply arriving (is_lost_upload). A listing
// that fails is told in a note.
template <class Io>
Task<Io, void> abort_leftover_uploads(Io io, std::string key, std::string keep, Leftover whose,
                                      SysTime since) {
  RunControl& run = io.run();
  std::string key_marker, upload_id_marker;
  for (;;) {
    const Sent sent = co_await housekeeping(
        io, s3::S3Call::list_multipart_uploads(key, key_marker, upload_id_marker));
    std::optional<s3::ListUploadsPage> page;
    if (sent.ok()) page = s3::parse_list_uploads(sent.reply.body);
    if (!page) {
      if (!run.stopping.load())
        run.note("note: could not list the multipart uploads of " + util::printable(key) + ": " +
                 (sent.ok() ? std::string("unreadable reply") : sent.reply.message) +
                 (whose == Leftover::EarlierRun
                      ? "; uploads earlier runs left open for it, if any, are left"
                      : "; an upload a CreateMultipartUpload whose reply was lost created, if "
                        "any, is left"));
      co_return;
    }
    const SysTime bound =
        on_server_clock(since, sent.reply.header("date"), std::chrono::system_clock::now());
    bool past_key = false;  // (listed in key order: the key itself comes before longer ones)
    for (const auto& listed : page->uploads) {
      if (listed.key != key) past_key = true;
      const bool leftover = whose == Leftover::EarlierRun
                                ? is_stale_upload(listed, key, keep, bound)
                                : is_lost_upload(listed, key, keep, bound);
      if (!leftover) continue;
      co_await abort_stale(io, key, listed.upload_id, false, whose);
    }
    if (past_key || !page->truncated || page->next_key_marker.empty()) co_return;
    key_marker = page->next_key_marker;
    upload_id_marker = page->next_upload_id_marker;
  }
}

// Aborts the uploads a CreateMultipartUpload of `u` may have created without its reply arriving
// (MultipartUpload::lost_since), other than `u`'s own. Looked for once the upload is over rather
// than at once, so that an attempt the store was slow to carry out has had the time to be.
template <class Io>
Task<Io, void> abort_lost_uploads(Io io, std::shared_ptr<MultipartUpload> u) {
  if (u->lost_since == SysTime{}) co_return;
  co_await abort_leftover_uploads(io, u->key, u->upload_id, Leftover::LostReply, u->lost_since);
}

// The journal's open upload of `u`, gone from S3 (NoSuchUpload): true when the object at the key
// is what completing it made (is_journaled_completion: a run stopped after the Complete and
// before recording it), and the file is then recorded as finished and counted unchanged.
template <class Io>
Task<Io, bool> completed_earlier(Io io, std::shared_ptr<MultipartUpload> u, JournalUpload open) {
  RunControl& run = io.run();
  if (!journaled_multipart_etag(open, u->plan.part_count)) co_return false;
  const Sent head = co_await housekeeping(io, s3::S3Call::head_object(u->key));
  if (!is_journaled_completion(head.reply, open, u->entry.size, u->plan.part_count))
    co_return false;
  run.journal_finished(u->key, u->entry.size, u->entry.mtime_ns);
  run.report.unchanged(u->entry.size);
  co_return true;
}

// Continues the upload an earlier run left open (--journal), or creates one. False when there is
// nothing more to do for the file (its failure is reported, or it was found complete). Before
// the key's new upload: an open journal upload that cannot be continued (the file changed, the
// part size or checksum differs, ListParts fails) is aborted, and so are the uploads earlier
// runs left for the key without a journal record (abort_leftover_uploads). The new upload's ID is
// durable in the journal before any part is sent.
template <class Io>
Task<Io, bool> start_multipart(Io io, std::shared_ptr<MultipartUpload> u) {
  RunControl& run = io.run();
  if (u->plan.part_count == 0) {
    run.report.failed({u->entry.path, u->key, "file is larger than S3's 5 TiB object limit"});
    co_return false;
  }
  io.part_size_hint(u->plan.part_size);
  u->parts.assign(u->plan.part_count, {});
  // Lowered by each part this run sends (resumed parts were checked by the run that sent them).
  u->integrity.store(static_cast<int>(full_integrity(run.opt.checksum)));
  std::string continued;  // the journal's upload this run continues
  std::optional<JournalUpload> open;
  if (run.journal) open = run.journal->open_upload(u->key);
  if (open) {
    const bool same = open->size == u->entry.size && open->mtime_ns == u->entry.mtime_ns &&
                      open->part_size == u->plan.part_size &&
                      resumable_checksum(*open, run.opt.checksum);
    Resume resumed = Resume::Failed;
    if (same) resumed = co_await resume_parts(io, u, *open);
    if (resumed == Resume::Continued) {
      continued = open->upload_id;
      u->full_object = open->checksum_type == "FULL_OBJECT";
    } else {
      u->parts.assign(u->plan.part_count, {});
      bool complete = false;
      if (same && resumed == Resume::Gone) complete = co_await completed_earlier(io, u, *open);
      if (resumed == Resume::Gone) {
        run.journal_closed(u->key, open->upload_id);
      } else {
        co_await abort_stale(io, u->key, open->upload_id, true);
      }
      if (complete) co_return false;
    }
  }
  // The parts to send: their connections open while the upload is created (the engine opens
  // what the part count, the memory and the limit allow; part_plan.hpp).
  const auto unsent = std::count_if(u->parts.begin(), u->parts.end(),
                                    [](const s3::CompletedPart& p) { return p.etag.empty(); });
  io.parts_coming(static_cast<std::uint64_t>(unsent));
  if (run.aborts_stale_uploads())
    co_await abort_leftover_uploads(io, u->key, continued, Leftover::EarlierRun, run.started);
  if (!continued.empty()) {
    u->upload_id = continued;
    co_return true;
  }
  const UploadOptions* opt = &run.opt;
  // (A local, not a temporary in the co_await: GCC 12 mishandles those.)
  const auto make = [opt, u](const BodyChecks& checks) {
    s3::Headers headers = s3::object_headers(opt->object, u->entry.rel, u->entry.mtime_ns);
    if (auto algo = s3::algorithm_header_value(checks.flexible); !algo.empty())
      headers.emplace_back("x-amz-checksum-algorithm", std::string(algo));
    // CRCs combine, so the object can carry the CRC of the whole file (what a single PUT stores
    // and --sync-checksum compares) instead of a checksum of its parts' checksums. Set by each
    // build: the call built last is the one that went through.
    u->full_object = s3::supports_full_object(checks.flexible);
    if (u->full_object) headers.emplace_back("x-amz-checksum-type", "FULL_OBJECT");
    return s3::S3Call::create_multipart(u->key, std::move(headers));
  };
  const Sent created = co_await with_negotiated_checks(io, make);
  u->lost_since = created.uncertain_since;
  if (!created.ok()) {
    if (created.next == Next::Fail)
      run.report.failed({u->entry.path, u->key, created.reply.message});
    if (created.next == Next::Stop)
      run.report.failed({u->entry.path, u->key, std::string(kStoppedByFatal)});
    co_await abort_lost_uploads(io, u);
    co_return false;
  }
  u->upload_id = *s3::parse_upload_id(created.reply.body);
  if (run.journal) {
    // Durable before the first part: a run killed from here on leaves an upload the next run
    // knows of. (Uploads starting at once share one fdatasync: journal.hpp.)
    const std::uint64_t seq = run.journal_started(
        {u->key, u->upload_id, u->entry.size, u->entry.mtime_ns, u->plan.part_size, {},
         std::string(s3::to_string(run.opt.checksum)), u->full_object ? "FULL_OBJECT" : ""});
    const bool durable = co_await io.journal_durable(seq);
    if (!durable) {  // the journal failed and the run stops: nothing is left behind
      co_await abort_multipart(io, u, std::string(kStoppedByFatal));
      co_await abort_lost_uploads(io, u);
      co_return false;
    }
  }
  co_return true;
}

// Part `index` of the upload (nothing to send when it was resumed), streamed from the file as a
// large PutObject is (send_streamed: the part's size costs no memory, and where the store takes
// trailers it is read once). `memory` is the part's memory permit (kStreamMemory) when the caller
// took it already (the async engine does, so as not to start more parts than memory allows),
// else empty.
template <class Io>
Task<Io, void> upload_part(Io io, std::shared_ptr<MultipartUpload> u, std::uint64_t index,
                           typename Io::Permit memory) {
  RunControl& run = io.run();
  const std::uint64_t length = u->plan.length(index);
  const std::uint64_t offset = u->plan.offset(index);
  if (!u->parts[index].etag.empty()) {  // resumed: S3 holds this part already
    run.report.resumed(length);
    co_return;
  }
  // Parts not started when the upload failed or the run stopped are skipped.
  if (u->failed.load() || run.stopping.load()) co_return;
  const int number = static_cast<int>(index + 1);
  if (!memory) memory = co_await io.memory(kStreamMemory);
  const auto make = [u, number](const BodyChecks& sent, const ReadDigest& read) {
    s3::Headers headers;
    add_checksum_headers(headers, sent, read, /*sdk_algorithm=*/false);
    return s3::S3Call::upload_part(u->key, u->upload_id, number, {}, std::move(headers));
  };
  for (int attempt = 0;; ++attempt) {
    if (u->failed.load() || (attempt > 0 && run.stopping.load())) co_return;
    const bool paced = co_await io.pace(length);
    if (!paced) co_return;  // the run stopped while this part waited: the upload is aborted
    const BodyChecks checks = run.integrity.plan(BodyKind::Part);
    StreamedAttempt a = co_await send_streamed(io, u->entry, offset, length, checks, make);
    if (a.problem) {
      u->fail(*a.problem);
      co_return;
    }
    if (a.resend) {
      --attempt;  // sent again at once with the checksum in a header: not a retry
      continue;
    }
    s3::OpResult& r = a.reply;
    const ReadDigest& read = a.read;
    require_part_etag(r, number);
    if (r.ok) {
      const Verdict verdict = run.integrity.judge(checks, {read.checksum, read.md5}, r);
      if (!verdict.corrupted) {
        fill_part_slot(u->parts[index], number, r.etag, checks.flexible, read.checksum);
        u->checked(verdict.level);
        run.report.sent(length);
        run.journal_part(u->key, u->upload_id, {number, r.etag, read.checksum, length});
        co_return;
      }
      // Sent again: an UploadPart with the same number replaces the part.
      r = corrupted(std::move(r), "UploadPart " + std::to_string(number), *verdict.corrupted);
    } else if (run.integrity.refused(checks, r)) {
      --attempt;  // sent again at once without the refused headers: not a retry
      continue;
    }
    const Next next = co_await io.settle(r, attempt);
    if (next == Next::Fail) u->fail("part " + std::to_string(number) + ": " + r.message);
    if (next == Next::Stop) u->fail(std::string(kStoppedByFatal));
    if (!retrying(next)) co_return;
  }
}

// Whether `key` exists as the multipart object we meant to complete: its size and its ETag's
// part count ("...-N") match.
template <class Io>
Task<Io, bool> object_is_complete(Io io, std::shared_ptr<MultipartUpload> u) {
  const Sent head = co_await with_retries(io, s3::S3Call::head_object(u->key));
  co_return head.ok() && is_completed_object(head.reply, u->entry.size, u->plan.part_count);
}

// After the last part: completes the upload when every part is in place, else aborts it.
template <class Io>
Task<Io, void> complete_or_abort(Io io, std::shared_ptr<MultipartUpload> u) {
  RunControl& run = io.run();
  // (Reasons are built before each co_await: GCC 12 miscompiles temporaries of a conditional
  // expression inside a co_await's full expression, as it does short-circuit conditions.)
  if (u->failed.load() || run.stopping.load()) {
    std::string reason = u->failure();
    if (reason.empty()) reason = "interrupted";
    co_await abort_multipart(io, u, std::move(reason));
    co_return;
  }
  // Never complete with a hole: a part that ended without filling its slot (and without saying
  // why) fails the upload.
  if (auto missing = u->missing_part()) {
    std::string reason = "part " + std::to_string(*missing + 1) + " was not uploaded";
    co_await abort_multipart(io, u, std::move(reason));
    co_return;
  }
  if (run.journal) {
    // The parts' records durable before the Complete: a run stopped after the Complete and
    // before its record can tell from them that the object is this upload's (completed_earlier)
    // instead of sending the file again.
    const bool durable = co_await io.journal_durable(run.journal->last_recorded());
    if (!durable) {
      co_await abort_multipart(io, u, std::string(kStoppedByFatal));
      co_return;
    }
  }
  // The whole file's CRC, combined from the parts' whatever order they finished in: S3 checks it
  // against the object it assembles and answers BadDigest if they differ. Not named when a part
  // went without that checksum, or once the store refused the checksum headers.
  std::optional<std::string> full;
  if (u->full_object) full = full_object_checksum(u->parts, u->plan, run.opt.checksum);
  const s3::ChecksumAlgorithm algorithm = run.opt.checksum;
  const auto make = [u, full, algorithm](const BodyChecks& checks) {
    s3::S3Call call = s3::S3Call::complete_multipart(u->key, u->upload_id, u->parts);
    if (full && checks.flexible == algorithm) {
      call.headers.emplace_back(std::string(s3::header_name(algorithm)), *full);
      call.headers.emplace_back("x-amz-checksum-type", "FULL_OBJECT");
    }
    return call;
  };
  Sent completed = co_await with_negotiated_checks(io, make);
  if (!completed.ok() && completed.reply.error == s3::S3Errc::no_such_upload) {
    // An earlier attempt may have completed the upload and lost its reply: look for the object.
    // (No co_await inside a short-circuit condition: GCC 12 miscompiles it.)
    const bool found = co_await object_is_complete(io, u);
    completed.reply.ok = found;
  }
  if (!completed.ok()) {
    co_await abort_multipart(io, u, completed.reply.message);
    co_return;
  }
  // What the store says it stored must be the file's checksum; a store that echoes another one
  // made an object that is not verified: it is deleted (a later --sync would take it for the
  // file) and the file fails (the next run uploads it again).
  if (auto bad = verify_completed_checksum(completed.reply, u->parts, u->plan, run.opt.checksum)) {
    std::string reason = *bad;
    co_await remove_corrupted(io, u->key, &reason);
    run.report.failed({u->entry.path, u->key, std::move(reason)});
    run.journal_closed(u->key, u->upload_id);
    co_return;
  }
  run.report.uploaded(u->entry.size, true, static_cast<Integrity>(u->integrity.load()));
  run.journal_finished(u->key, u->entry.size, u->entry.mtime_ns);
  run.journal_closed(u->key, u->upload_id);
}

// The end of an upload started by start_multipart: completed or aborted, and then no upload left
// open that an attempt to create it may have made.
template <class Io>
Task<Io, void> finish_multipart(Io io, std::shared_ptr<MultipartUpload> u) {
  co_await complete_or_abort(io, u);
  co_await abort_lost_uploads(io, u);
}

}  // namespace s3up::engine::steps
