// The threaded engine: the same upload as run_async, with another concurrency model. A pool of
// --concurrency OS threads takes work from a queue (files from the walker, and the parts of
// open multipart uploads) and does blocking requests over its own keep-alive connections, each
// request under a std::counting_semaphore of --concurrency permits, as the original
// one-thread-per-file script did under its semaphore. With --concurrency auto the pool is
// elastic (ElasticPool): the async engine's policy moves the number of working threads.
// Everything else is shared with the async engine: S3Protocol (addressing, signing, reply
// interpretation), after_failure, accept_entry, plan_entry, the --sync steps (ListingCursor,
// start_unchanged_check), the journal, object settings, read_range, verify_stored_checksum,
// plan_parts, RetryPolicy, RateLimiter's booking, Report, progress, the walker.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <iostream>
#include <mutex>
#include <optional>
#include <semaphore>
#include <thread>
#include <utility>
#include <vector>
#include <unistd.h>

#include "coro/rate_limiter.hpp"
#include "engine/byte_budget.hpp"
#include "engine/elastic_pool.hpp"
#include "engine/engine.hpp"
#include "engine/file_data.hpp"
#include "engine/multipart_parts.hpp"
#include "engine/part_plan.hpp"
#include "engine/progress.hpp"
#include "engine/run_control.hpp"
#include "engine/run_setup.hpp"
#include "engine/sync.hpp"
#include "engine/verify.hpp"
#include "engine/work_queue.hpp"
#include "net/blocking_http_client.hpp"
#include "s3/object_settings.hpp"
#include "s3/s3_blocking_client.hpp"

namespace s3up::engine {
namespace {

namespace asio = boost::asio;
using Semaphore = std::counting_semaphore<>;
constexpr std::size_t kWalkQueue = 1024;  // files between the walker and the workers

// A permit of a std::counting_semaphore held for a scope, or handed on (move-only).
class SlotHold {
 public:
  SlotHold() = default;
  explicit SlotHold(Semaphore& semaphore) : semaphore_(&semaphore) {}
  SlotHold(SlotHold&& o) noexcept : semaphore_(std::exchange(o.semaphore_, nullptr)) {}
  SlotHold& operator=(SlotHold&& o) noexcept {
    if (this != &o) {
      release();
      semaphore_ = std::exchange(o.semaphore_, nullptr);
    }
    return *this;
  }
  ~SlotHold() { release(); }
  explicit operator bool() const { return semaphore_ != nullptr; }

 private:
  void release() {
    if (semaphore_) semaphore_->release();
    semaphore_ = nullptr;
  }
  Semaphore* semaphore_ = nullptr;
};

// A file (or directory marker) to upload; a multipart one holds its place among the open
// multipart uploads. `remote` is the object --sync listed at its key.
struct FileJob {
  walker::Entry entry;
  std::string key;
  bool marker = false;
  std::optional<s3::ListedObject> remote;
  SlotHold multipart_slot;
};

// A multipart upload in progress; its parts are the items of a batch of the work queue. The
// worker that finishes the last part completes (or aborts) it.
struct Upload {
  walker::Entry entry;
  std::string key;
  PartPlan plan;
  std::string upload_id;
  std::vector<s3::CompletedPart> parts;  // slot i is written only by part i's worker
  std::atomic<std::uint64_t> remaining{0};  // parts not finished (uploaded, failed or skipped)
  std::atomic<bool> failed{false};
  std::mutex mutex;
  std::string failure;  // the first part failure
  SlotHold slot;

  void fail(std::string reason) {
    std::lock_guard lock(mutex);
    if (!failed.exchange(true)) failure = std::move(reason);
  }
};

using Queue = WorkQueue<FileJob, Upload>;

struct ThreadedRun : RunControl {
  ThreadedRun(const UploadOptions& options, s3::S3Protocol& protocol, Report& report,
              http::BlockingTransport& transport, std::size_t workers,
              std::size_t request_permits)
      : RunControl(options, protocol, report),
        transport(transport),
        requests(static_cast<std::ptrdiff_t>(request_permits)),
        memory(options.max_memory),
        open_multipart(static_cast<std::ptrdiff_t>(std::max<std::size_t>(2, workers / 8))),
        rate(options.limit_rate),
        queue(kWalkQueue) {
    on_stop = [this] {
      queue.stop();
      std::lock_guard lock(sleep_mutex);
      sleep_cv.notify_all();
    };
  }

  // Sleeps for `delay`, or less if the run stops meanwhile.
  template <class Duration>
  void sleep_for(Duration delay) {
    std::unique_lock lock(sleep_mutex);
    sleep_cv.wait_for(lock, delay, [this] { return stopping.load(); });
  }

  // --limit-rate: books `bytes` on the shared timeline and sleeps until their slot. False when
  // the run stopped meanwhile: nothing more is to be sent.
  bool pace(std::uint64_t bytes) {
    if (rate.unlimited()) return true;
    const auto delay = rate.reserve(bytes, std::chrono::steady_clock::now());
    if (delay.count() > 0) sleep_for(delay);
    return !stopping.load();
  }

  // The retry step after failed attempt number `attempt` (0-based): decides with after_failure
  // and, for Next::Retry, sleeps the backoff (less if the run stops) before returning. The caller
  // attempts again when retrying(result); Fail and Stop are left to the caller to report.
  Next settle_failure(const s3::OpResult& r, int attempt) {
    Next next = after_failure(*this, r, attempt);
    if (next == Next::Renew)
      next = after_renewal(*this, r, protocol.credentials_source()->renew(r.credentials_generation));
    if (next == Next::Retry) sleep_for(retry.delay(attempt + 1));
    return next;
  }

  http::BlockingTransport& transport;
  Semaphore requests;        // requests in flight (--concurrency)
  ByteBudget memory;         // bytes of file data held in memory (--max-memory)
  Semaphore open_multipart;  // multipart uploads open at once
  coro::RateLimiter rate;    // --limit-rate (only its thread-safe booking is used here)
  std::atomic<std::uint64_t> in_flight{0};  // requests under way (for the progress line)
  // --concurrency auto's controller, else null (set once the pool's workers have started).
  std::atomic<PoolController*> concurrency{nullptr};
  Queue queue;
  std::mutex sleep_mutex;
  std::condition_variable sleep_cv;
};

// The checksum header of a body (none for --checksum none); `value` receives the checksum.
s3::Headers checksum_headers(s3::ChecksumAlgorithm algorithm, std::span<const char> body,
                             std::string& value) {
  s3::Headers headers;
  if (algorithm == s3::ChecksumAlgorithm::None) return headers;
  value = s3::checksum_of(
      algorithm, {reinterpret_cast<const unsigned char*>(body.data()), body.size()});
  headers.emplace_back(std::string(s3::header_name(algorithm)), value);
  return headers;
}

// Requests of one thread: its own connections, the request throttle, the retry policy.
class Requests {
 public:
  Requests(ThreadedRun& run, s3::S3BlockingClient& s3) : run_(run), s3_(s3) {}

  // One request under a permit of the request throttle.
  template <class Send>
  s3::OpResult throttled(Send send) {
    run_.requests.acquire();
    SlotHold permit(run_.requests);
    run_.in_flight.fetch_add(1, std::memory_order_relaxed);
    struct Done {
      std::atomic<std::uint64_t>& n;
      ~Done() { n.fetch_sub(1, std::memory_order_relaxed); }
    } done{run_.in_flight};
    return send();
  }

  // A request with the retry policy, a permit per attempt; `send` re-signs on each call.
  template <class Send>
  s3::OpResult with_retries(Send send) {
    for (int attempt = 0;; ++attempt) {
      s3::OpResult r = throttled(send);
      if (r.ok) return r;
      const Next next = run_.settle_failure(r, attempt);
      if (!retrying(next)) return r;
    }
  }

  // --sync: whether the listed object already is the file (shared steps, blocking HeadObject).
  bool is_unchanged(const walker::Entry& entry, const std::string& key,
                    const s3::ListedObject& remote) {
    UnchangedCheck check = start_unchanged_check(run_.opt, entry, remote);
    if (check.decided) return *check.decided;
    // Retried like any request (a final failure counts as "changed": uploading is safe).
    s3::OpResult head;
    for (int attempt = 0;; ++attempt) {
      head = throttled([&] { return s3_.head_object(key, check.head_headers); });
      if (head.ok || head.status == 404) break;
      if (!retrying(run_.settle_failure(head, attempt))) break;
    }
    return unchanged_after_head(run_.opt, entry, head);
  }

  ThreadedRun& run() { return run_; }
  s3::S3BlockingClient& s3() { return s3_; }

 private:
  ThreadedRun& run_;
  s3::S3BlockingClient& s3_;
};

// --sync: the destination listing, merged with the walk on the producer's thread.
class BlockingListing {
 public:
  BlockingListing(Requests& requests, std::string prefix)
      : requests_(requests), prefix_(std::move(prefix)) {}

  std::optional<s3::ListedObject> find(const std::string& key) {
    for (;;) {
      if (failed_) return std::nullopt;
      switch (cursor_.seek(key)) {
        case ListingCursor::Seek::Found:
          return cursor_.object();
        case ListingCursor::Seek::Absent:
          return std::nullopt;
        case ListingCursor::Seek::NeedPage:
          break;
      }
      if (!fetch_page()) failed_ = true;
    }
  }

 private:
  bool fetch_page() {
    const std::string token = cursor_.continuation();
    auto& run = requests_.run();
    for (int attempt = 0;; ++attempt) {
      s3::OpResult r = requests_.throttled(
          [&] { return requests_.s3().run(s3::S3Call::list_objects_v2(prefix_, token)); });
      if (auto page = read_listing(r)) {
        cursor_.set_page(std::move(*page));
        return true;
      }
      const Next next = run.settle_failure(r, attempt);
      if (next == Next::Fail) run.fail_run(listing_failure(run.opt, prefix_, r));
      if (!retrying(next)) return false;
    }
  }

  Requests& requests_;
  std::string prefix_;
  ListingCursor cursor_;
  bool failed_ = false;
};

// One pool thread: its own connections, and the work it takes from the queue.
class Worker {
 public:
  Worker(ThreadedRun& run, s3::S3BlockingClient& s3) : run_(run), s3_(s3), requests_(run, s3) {}

  void work(Queue::Item item) {
    if (item.batch) {
      part(std::move(item.batch), item.index);
      return;
    }
    FileJob& job = *item.file;
    if (job.marker) {
      dir_marker(std::move(job));
      return;
    }
    if (job.remote && requests_.is_unchanged(job.entry, job.key, *job.remote)) {
      run_.report.unchanged(job.entry.size);
      if (run_.journal) run_.journal->record_finished(job.key, job.entry.size, job.entry.mtime_ns);
      return;
    }
    if (job.multipart_slot)
      multipart(std::move(job));
    else
      single(std::move(job));
  }

 private:
  template <class Send>
  s3::OpResult throttled(Send send) {
    return requests_.throttled(std::move(send));
  }
  template <class Send>
  s3::OpResult with_retries(Send send) {
    return requests_.with_retries(std::move(send));
  }

  // The zero-byte "dir/" object of an empty directory (--dir-markers).
  void dir_marker(FileJob job) {
    const s3::Headers headers = dir_marker_headers(run_.opt);
    for (int attempt = 0;; ++attempt) {
      const s3::OpResult r = throttled([&] { return s3_.put_object(job.key, {}, headers); });
      if (r.ok) {
        run_.report.dir_marker();
        return;
      }
      const Next next = run_.settle_failure(r, attempt);
      if (next == Next::Fail) run_.report.failed({job.entry.path, job.key, r.message});
      if (!retrying(next)) return;
    }
  }

  // One file, one PutObject: read, checksum, sign, send; retried from a fresh read.
  void single(FileJob job) {
    const walker::Entry& entry = job.entry;
    BudgetHold memory(run_.memory, std::max<std::uint64_t>(entry.size, 1));
    DataBuffer buffer(entry.size);
    const std::span<const char> body(buffer.data.get(), buffer.size);
    for (int attempt = 0;; ++attempt) {
      if (run_.stopping.load() && attempt > 0) {
        run_.report.failed({entry.path, job.key, "not completed: the run was stopped"});
        return;
      }
      // Wait for --limit-rate before reading, so the bytes sent are as fresh as possible.
      if (!run_.pace(buffer.size)) {
        run_.report.failed({entry.path, job.key, "not uploaded: the run was stopped"});
        return;
      }
      if (auto problem = read_range(entry, 0, buffer.span()); !problem.empty()) {
        run_.report.failed({entry.path, job.key, problem});
        return;
      }
      std::string checksum;
      s3::Headers headers = s3::object_headers(run_.opt.object, entry.rel, entry.mtime_ns);
      for (auto& h : checksum_headers(run_.opt.checksum, body, checksum))
        headers.push_back(std::move(h));
      // Named as the SDKs name it: some S3 implementations (moto) store the checksum, and
      // return it to HeadObject for --sync-checksum, only with this header.
      if (auto algo = s3::algorithm_header_value(run_.opt.checksum); !algo.empty())
        headers.emplace_back("x-amz-sdk-checksum-algorithm", std::string(algo));
      const s3::OpResult r = throttled([&] { return s3_.put_object(job.key, body, headers); });
      if (r.ok) {
        if (auto bad = verify_stored_checksum(run_.opt.checksum, checksum, r); !bad.empty()) {
          run_.report.failed({entry.path, job.key, bad});
        } else {
          run_.report.sent(entry.size);
          run_.report.uploaded(entry.size, false);
          if (run_.journal) run_.journal->record_finished(job.key, entry.size, entry.mtime_ns);
        }
        return;
      }
      const Next next = run_.settle_failure(r, attempt);
      if (next == Next::Fail) run_.report.failed({entry.path, job.key, r.message});
      if (!retrying(next)) return;
    }
  }

  // Creates the multipart upload and queues its parts for the pool.
  void multipart(FileJob job) {
    const PartPlan plan = plan_parts(job.entry.size, run_.opt.part_size);
    if (plan.part_count == 0) {
      run_.report.failed({job.entry.path, job.key, "file is larger than S3's 5 TiB object limit"});
      return;
    }
    // --concurrency auto starts with fewer workers when they send parts this large.
    if (PoolController* c = run_.concurrency.load()) c->request_size_hint(plan.part_size);
    auto upload = std::make_shared<Upload>();
    upload->plan = plan;
    upload->parts.resize(plan.part_count);
    const walker::Entry& entry = job.entry;
    // --journal: continue an upload an earlier run left open, from the parts S3 still holds.
    if (run_.journal) {
      if (auto open = run_.journal->open_upload(job.key); open && open->size == entry.size &&
                                                        open->mtime_ns == entry.mtime_ns &&
                                                        open->part_size == plan.part_size) {
        if (resume_parts(job.key, *open, plan, upload->parts)) upload->upload_id = open->upload_id;
      }
    }
    if (upload->upload_id.empty()) {
      s3::Headers create_headers = s3::object_headers(run_.opt.object, entry.rel, entry.mtime_ns);
      if (auto algo = s3::algorithm_header_value(run_.opt.checksum); !algo.empty())
        create_headers.emplace_back("x-amz-checksum-algorithm", std::string(algo));
      const s3::OpResult created =
          with_retries([&] { return s3_.create_multipart(job.key, create_headers); });
      if (!created.ok) {
        if (created.error_class != s3::ErrorClass::FatalForRun)
          run_.report.failed({entry.path, job.key, created.message});
        return;
      }
      upload->upload_id = *s3::parse_upload_id(created.body);
      for (auto& part : upload->parts) part = {};
      if (run_.journal)
        run_.journal->record_upload_started(
            {job.key, upload->upload_id, entry.size, entry.mtime_ns, plan.part_size, {}});
    }
    upload->entry = std::move(job.entry);
    upload->key = std::move(job.key);
    upload->remaining = plan.part_count;
    upload->slot = std::move(job.multipart_slot);
    run_.queue.push_batch(std::move(upload), plan.part_count);
  }

  // Fills `parts` with the parts of the journal's open upload that S3 still holds (ListParts,
  // ETag and size agreeing with the journal). Returns false when the upload is gone.
  bool resume_parts(const std::string& key, const JournalUpload& open, const PartPlan& plan,
                    std::vector<s3::CompletedPart>& parts) {
    int marker = 0;
    for (;;) {
      const s3::OpResult r = with_retries(
          [&] { return s3_.run(s3::S3Call::list_parts(key, open.upload_id, marker)); });
      if (!r.ok) return false;
      const auto page = s3::parse_list_parts(r.body);
      if (!page) return false;
      match_resumed_parts(page->parts, open, plan, run_.opt.checksum, parts);
      if (!page->truncated) return true;
      marker = page->next_part_number_marker;
    }
  }

  // One part; the worker finishing the last part of an upload completes or aborts it.
  void part(std::shared_ptr<Upload> upload, std::uint64_t index) {
    try {
      send_part(*upload, index);
    } catch (const std::exception& e) {
      upload->fail(std::string("internal error: ") + e.what());
    }
    if (upload->remaining.fetch_sub(1) == 1) finish(*upload);
  }

  void send_part(Upload& u, std::uint64_t index) {
    // Parts not started when the upload failed or the run stopped are skipped.
    if (u.failed.load() || run_.stopping.load()) return;
    const std::uint64_t length = u.plan.length(index);
    if (!u.parts[index].etag.empty()) {  // resumed: S3 holds this part already
      run_.report.sent(length);
      return;
    }
    const int number = static_cast<int>(index + 1);
    BudgetHold memory(run_.memory, std::max<std::uint64_t>(length, 1));
    DataBuffer buffer(length);
    const std::span<const char> body(buffer.data.get(), buffer.size);
    for (int attempt = 0;; ++attempt) {
      if (u.failed.load() || (attempt > 0 && run_.stopping.load())) return;
      if (!run_.pace(length)) return;  // the run stopped: the upload is aborted
      if (auto problem = read_range(u.entry, u.plan.offset(index), buffer.span()); !problem.empty()) {
        u.fail(problem);
        return;
      }
      std::string checksum;
      s3::Headers headers = checksum_headers(run_.opt.checksum, body, checksum);
      s3::OpResult r = throttled(
          [&] { return s3_.upload_part(u.key, u.upload_id, number, body, headers); });
      require_part_etag(r, number);
      if (r.ok) {
        if (auto bad = verify_stored_checksum(run_.opt.checksum, checksum, r); !bad.empty()) {
          u.fail("part " + std::to_string(number) + ": " + bad);
          return;
        }
        fill_part_slot(u.parts[index], number, r.etag, run_.opt.checksum, checksum);
        run_.report.sent(length);
        if (run_.journal)
          run_.journal->record_part(u.key, u.upload_id, {number, r.etag, checksum, length});
        return;
      }
      const Next next = run_.settle_failure(r, attempt);
      if (next == Next::Fail) u.fail("part " + std::to_string(number) + ": " + r.message);
      if (next == Next::Stop) u.fail("stopped: " + r.message);
      if (!retrying(next)) return;
    }
  }

  // Whether `key` exists as the multipart object we meant to complete: its size and its ETag's
  // part count ("...-N") match.
  bool object_is_complete(const std::string& key, std::uint64_t size, std::uint64_t parts) {
    const s3::OpResult head = with_retries([&] { return s3_.head_object(key); });
    if (!head.ok) return false;
    std::string etag = head.header("etag");
    while (!etag.empty() && etag.back() == '"') etag.pop_back();
    const std::string suffix = "-" + std::to_string(parts);
    return head.header("content-length") == std::to_string(size) && etag.size() > suffix.size() &&
           etag.compare(etag.size() - suffix.size(), suffix.size(), suffix) == 0;
  }

  // Completes the upload once every part landed; aborts it on failure or interruption so
  // nothing is left behind to be billed.
  void finish(Upload& u) {
    const auto abort = [&] {
      return with_retries([&] { return s3_.abort_multipart(u.key, u.upload_id); });
    };
    if (u.failed.load() || run_.stopping.load()) {
      std::string reason = u.failure.empty() ? "interrupted" : u.failure;
      const s3::OpResult aborted = abort();
      if (aborted.ok && run_.journal) run_.journal->record_upload_closed(u.key, u.upload_id);
      reason += aborted.ok ? "; multipart upload aborted"
                           : "; could not abort multipart upload " + u.upload_id + ": " +
                                 aborted.message;
      run_.report.failed({u.entry.path, u.key, reason});
      return;
    }
    s3::OpResult completed =
        with_retries([&] { return s3_.complete_multipart(u.key, u.upload_id, u.parts); });
    if (!completed.ok && completed.code == "NoSuchUpload") {
      // An earlier attempt may have completed the upload and lost its reply: look for the object.
      completed.ok = object_is_complete(u.key, u.entry.size, u.plan.part_count);
    }
    if (!completed.ok) {
      const s3::OpResult aborted = abort();
      if (aborted.ok && run_.journal) run_.journal->record_upload_closed(u.key, u.upload_id);
      run_.report.failed({u.entry.path, u.key,
                          completed.message + (aborted.ok ? "; multipart upload aborted"
                                                          : "; abort failed: " + aborted.message)});
      return;
    }
    run_.report.uploaded(u.entry.size, true);
    if (run_.journal) {
      run_.journal->record_finished(u.key, u.entry.size, u.entry.mtime_ns);
      run_.journal->record_upload_closed(u.key, u.upload_id);
    }
  }

  ThreadedRun& run_;
  s3::S3BlockingClient& s3_;
  Requests requests_;
};

void pool_thread(ThreadedRun& run, ElasticPool& pool, std::size_t index) {
  http::BlockingClient http(run.transport);
  s3::S3BlockingClient s3(http, run.protocol);
  Worker worker(run, s3);
  while (pool.wait_turn(index)) {
    auto item = run.queue.pop();
    if (!item) break;
    try {
      worker.work(std::move(*item));
    } catch (const std::exception& e) {
      run.fail_run(std::string("internal error: ") + e.what());
    }
    run.queue.done();
  }
}

// Walks the source on the calling thread and queues every file (waiting while the queue is
// full, and for a place among the open multipart uploads), until the walk ends or the run stops.
// With --sync, merges the walk (in key order) with the destination listing; with --dry-run,
// only lists what would be uploaded. Its requests go over connections of its own.
void produce(ThreadedRun& run, walker::Walker& walker, WalkTotals& totals) {
  http::BlockingClient http(run.transport);
  s3::S3BlockingClient s3(http, run.protocol);
  Requests requests(run, s3);
  std::optional<BlockingListing> listing;
  if (run.opt.sync != SyncMode::Off) listing.emplace(requests, run.opt.prefix);
  while (!run.stopping.load()) {
    auto entry = walker.next();
    totals.files.store(walker.files_seen(), std::memory_order_relaxed);
    totals.bytes.store(walker.bytes_seen(), std::memory_order_relaxed);
    if (!entry) break;
    auto accepted = accept_entry(run, *entry);
    if (!accepted) continue;
    std::optional<s3::ListedObject> remote;
    if (listing) remote = listing->find(accepted->key);
    if (run.stopping.load()) break;
    if (accepted->marker && remote) {  // an existing "dir/" object is the marker
      run.report.unchanged(0);
      continue;
    }
    if (run.opt.dry_run) {
      if (remote && requests.is_unchanged(*entry, accepted->key, *remote))
        run.report.unchanged(entry->size);
      else
        plan_entry(run, *entry, *accepted);
      continue;
    }
    FileJob job{std::move(*entry), std::move(accepted->key), accepted->marker, std::move(remote), {}};
    if (!job.marker && job.entry.size > run.opt.multipart_threshold) {
      while (!run.stopping.load() &&
             !run.open_multipart.try_acquire_for(std::chrono::milliseconds(100))) {
      }
      if (run.stopping.load()) break;
      job.multipart_slot = SlotHold(run.open_multipart);
    }
    if (!run.queue.push_file(std::move(job))) break;
  }
  totals.done.store(true, std::memory_order_release);
}

// SIGINT/SIGTERM as in the async engine: the first stops the run (in-flight requests finish,
// open multipart uploads are aborted, exit 130), a second exits at once. The signals are
// waited for on a thread of their own.
class SignalWatch {
 public:
  explicit SignalWatch(RunControl& run) : signals_(ioc_, SIGINT, SIGTERM) {
    watch_interrupts(signals_, run);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~SignalWatch() {
    asio::post(ioc_, [this] { signals_.cancel(); });
    thread_.join();
  }
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;

 private:
  asio::io_context ioc_{1};
  asio::signal_set signals_;
  std::thread thread_;
};

}  // namespace

RunSummary run_threaded(const ServiceOptions& service, const UploadOptions& opt) {
  walker::Walker walker(opt.source, walk_options(opt));
  // Throws JournalError (a run-wide problem) before anything is sent.
  std::unique_ptr<Journal> journal = open_journal(service, opt);
  const std::size_t workers = std::max<std::size_t>(1, opt.concurrency);
  AdaptiveConfig adaptive;
  adaptive.initial = workers;
  http::BlockingTransport transport(service.tls, service.timeouts);
  s3::S3Protocol protocol(s3::SigV4Signer(*service.credentials->current().credentials,
                                          service.region, "s3"),
                          service.endpoint, opt.bucket, service.path_style,
                          /*sign_payload=*/!service.endpoint_tls());
  protocol.use_credentials(service.credentials);
  Report report;
  // With --concurrency auto the pool's limit is the throttle: every worker holds at most one
  // request, so the request semaphore gets the most the limit can reach.
  ThreadedRun run(opt, protocol, report, transport, workers,
                  opt.adaptive_concurrency ? adaptive.max : workers);
  run.journal = journal.get();
  std::optional<SignalWatch> signals;
  if (opt.handle_signals) signals.emplace(run);

  const auto started = std::chrono::steady_clock::now();
  RunSummary summary;
  summary.started = std::chrono::system_clock::now();
  WalkTotals totals;
  std::optional<ProgressReporter> progress;
  start_progress(progress, opt, report, totals,
                 [&run]() -> std::uint64_t { return run.in_flight.load(std::memory_order_relaxed); },
                 started);
  std::optional<ElasticPool> pool;
  std::optional<PoolController> controller;
  try {
    pool.emplace(workers, [&run](ElasticPool& self, std::size_t index) {
      pool_thread(run, self, index);
    });
    if (opt.adaptive_concurrency) {
      controller.emplace(*pool, report, adaptive,
                         [&run] { return run.queue.items_queued() > 0; });
      controller->start();
      run.concurrency.store(&*controller);
    }
    produce(run, walker, totals);
  } catch (const std::exception& e) {
    run.fail_run(std::string("internal error: ") + e.what());
  }
  run.queue.close();
  // The controller adapts until the last item is done; then the pool (parked workers too) ends.
  if (pool) run.queue.wait_idle();
  run.concurrency.store(nullptr);
  if (controller) controller->stop();
  const std::size_t started_threads = pool ? pool->started() : 0;
  pool.reset();
  signals.reset();
  if (progress) progress->stop();
  if (journal) journal->close();

  finish_summary(summary, report, opt, started, run.interrupted.load());
  summary.engine = "threaded";
  summary.concurrency = controller ? controller->limit() : workers;
  summary.concurrency_peak = controller ? controller->peak() : workers;
  summary.threads = started_threads;
  return summary;
}

}  // namespace s3up::engine
