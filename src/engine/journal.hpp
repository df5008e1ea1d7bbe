// --journal FILE: what earlier runs finished and which multipart uploads they left open, so an
// interrupted upload resumes instead of starting over.
//
// The file is append-only text, one JSON object per line:
//   {"s3up_journal":1,"destination":"s3://bucket/prefix/ @ https://endpoint"}      (header)
//   {"op":"done","key":K,"size":N,"mtime_ns":T}
//   {"op":"start","key":K,"upload_id":U,"size":N,"mtime_ns":T,"part_size":P,
//    "checksum":"crc64nvme","checksum_type":"FULL_OBJECT"}   (the last two since full-object
//    checksums; older records have neither, and none of their uploads is FULL_OBJECT)
//   {"op":"part","key":K,"upload_id":U,"number":I,"etag":E,"checksum":C,"size":N}
//   {"op":"close","key":K,"upload_id":U}
// Records are buffered and written + fdatasync'ed in batches (256 records, or 200 ms after the
// first unsynced one, or flush(), or at once when someone waits for a record to be durable:
// wait_durable / when_durable), each batch one write() of whole lines: a crash loses at most
// the batches not yet synced and at worst leaves a torn last line, which the next open drops.
// Waiters arriving while a batch is being synced share the next one (group commit), so many
// uploads starting at once cost one fdatasync, not one each.
//
// A failed write or sync (a full disk, an I/O error) makes the journal unusable for the rest of
// the run: the failure handler (on_failure) is told once, waiters get the error, and every later
// record_*, flush or close throws it.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace s3up::engine {

// An unusable journal: I/O errors, a file that is not a journal, another destination, a
// corrupt line. The message is one line naming the file.
struct JournalError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct JournalPart {
  int number;
  std::string etag;
  std::string checksum;  // as sent to S3 (base64), "" when none
  std::uint64_t size;
};

struct JournalUpload {
  std::string key, upload_id;
  std::uint64_t size;
  std::int64_t mtime_ns;
  std::uint64_t part_size;
  std::map<int, JournalPart> parts;  // by part number
  // The --checksum of the run that created the upload ("crc32c", ...), and "FULL_OBJECT" when it
  // was created with x-amz-checksum-type: FULL_OBJECT; both "" in older journals.
  std::string checksum{};
  std::string checksum_type{};
};

class Journal {
 public:
  // Records accumulated before a batch is written without waiting for the timer.
  static constexpr std::size_t kBatchRecords = 256;
  // How long the first unsynced record waits at most for its batch to be written.
  static constexpr std::chrono::milliseconds kBatchDelay{200};

  // Opens (creating if needed, mode 0644 before umask) and replays `path`, then starts the
  // background writer. `destination` (e.g. "s3://bucket/prefix/ @ https://endpoint") goes in
  // the header of a new journal and must equal the header of an existing one. A torn last line
  // (crash mid-write) is ignored and cut off. Throws JournalError when the file cannot be
  // opened, read or written, is locked by another process, is not an s3up journal, was written
  // for another destination or by a newer version, or has a corrupt line before its last.
  Journal(std::string path, std::string destination);
  // Writes and fdatasyncs what is buffered and stops the writer; errors are swallowed (call
  // close() first to see them).
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Whether `key` was finished with exactly this size and mtime, in an earlier run or this one.
  bool finished(std::string_view key, std::uint64_t size, std::int64_t mtime_ns) const;
  // The multipart upload for `key` that was started and not closed yet (with the parts
  // recorded for it), or nullopt.
  std::optional<JournalUpload> open_upload(std::string_view key) const;
  // Number of distinct keys recorded as finished.
  std::size_t finished_count() const;

  // The record_* calls update the in-memory state at once and buffer the line; they throw
  // JournalError when an earlier write or sync failed (the journal is then unusable) or after
  // close(). Keys and ids are stored as given (S3 keys are UTF-8). Each returns the record's
  // sequence number, for wait_durable / when_durable.
  std::uint64_t record_finished(std::string_view key, std::uint64_t size, std::int64_t mtime_ns);
  // Starts tracking `upload` (its parts are ignored: parts come from record_part); replaces an
  // open upload of the same key. The upload stays open, even when the key is later recorded
  // as finished, until record_upload_closed.
  std::uint64_t record_upload_started(const JournalUpload& upload);
  // A part uploaded for the open upload `upload_id` of `key`; ignored in memory (but written)
  // when that is not the open upload. A part number recorded again replaces the earlier one.
  std::uint64_t record_part(std::string_view key, std::string_view upload_id,
                            const JournalPart& part);
  // The upload was completed or aborted: open_upload(key) no longer returns it.
  std::uint64_t record_upload_closed(std::string_view key, std::string_view upload_id);

  // The sequence number of the last record made so far (0 before any).
  std::uint64_t last_recorded() const;
  // Blocks until the records up to `seq` are written and fdatasync'ed (at once when they are),
  // asking the writer to write them now rather than at the end of its batch delay. Throws
  // JournalError when the journal failed (or was closed) before they were.
  void wait_durable(std::uint64_t seq);
  // The same without blocking: `done` is called once, with "" when the records up to `seq` are
  // durable or with the journal's error (one line), on the writer's thread or inline (when
  // already decided). `done` must not call back into the journal.
  void when_durable(std::uint64_t seq, std::function<void(const std::string& error)> done);
  // Called once, with the error (one line naming the file), when a write or sync fails; from
  // whichever thread found it. Set before recording.
  void on_failure(std::function<void(const std::string& error)> handler);
  // Batches written and fdatasync'ed so far (the header's not counted).
  std::uint64_t syncs() const;

  // Writes and fdatasyncs everything recorded so far before returning. Throws JournalError.
  void flush();
  // flush(), then stops the writer and closes the file; later record_* calls throw.
  // Idempotent. Throws JournalError when the final write or sync fails.
  void close();

 private:
  void replay(std::string_view text);       // the constructor's reading; throws JournalError
  void apply(std::string_view line);        // one record line; throws std::exception if bad
  void note_finished(std::string_view key, std::uint64_t size, std::int64_t mtime_ns);
  void note_started(const JournalUpload& upload);
  void note_part(std::string_view key, std::string_view upload_id, const JournalPart& part);
  void note_closed(std::string_view key, std::string_view upload_id);
  std::uint64_t append(std::string line);  // buffers one record; caller holds mu_
  void truncate_to(std::uint64_t size);     // throws JournalError
  void write_header();                      // throws JournalError
  [[noreturn]] void fail(std::string_view what, int err) const;  // throws JournalError
  void write_all(std::string_view bytes);   // throws JournalError
  void flush_locked_io();  // caller holds io_mu_ (not mu_)
  void writer_loop();
  void throw_if_failed() const;  // caller holds mu_
  // Records a write/sync failure (the first one sticks) and tells the waiters and the failure
  // handler; caller holds io_mu_, not mu_.
  void failed(const std::string& error);

  std::string path_;
  std::string destination_;
  int fd_ = -1;

  // Lock order: io_mu_ before mu_.
  std::mutex io_mu_;          // one write + sync at a time, in record order
  mutable std::mutex mu_;     // state, buffer, flags
  std::condition_variable cv_;
  std::string pending_;       // whole lines not yet written
  std::size_t pending_records_ = 0;
  std::chrono::steady_clock::time_point first_pending_;
  std::string error_;         // the first write/sync failure; sticky
  bool failing_ = false;      // failed() has begun (its handler is told before error_ is set)
  std::uint64_t recorded_ = 0;  // sequence number of the last record appended
  std::uint64_t synced_ = 0;    // records up to this one are written and synced
  std::uint64_t wanted_ = 0;    // someone waits for the records up to this one
  std::uint64_t syncs_ = 0;
  std::condition_variable durable_cv_;
  std::vector<std::pair<std::uint64_t, std::function<void(const std::string&)>>> callbacks_;
  std::function<void(const std::string&)> on_failure_;
  bool stopping_ = false;
  bool closed_ = false;
  std::thread writer_;

  std::unordered_map<std::string, std::pair<std::uint64_t, std::int64_t>> finished_;
  std::unordered_map<std::string, JournalUpload> uploads_;
};

}  // namespace s3up::engine
