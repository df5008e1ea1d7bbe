// The threaded engine: the same upload as run_async, with another concurrency model. A pool of
// --concurrency OS threads takes work from a queue (files from the walker, and the parts of
// open multipart uploads) and does blocking requests over its own keep-alive connections, each
// request under a std::counting_semaphore of --concurrency permits, as the original
// one-thread-per-file script did under its semaphore. With --concurrency auto the pool is
// elastic (ElasticPool): the async engine's policy moves the number of working threads.
// What each file sends is the shared steps' (upload_steps.hpp), driven through BlockingIo; this
// file holds only how the threaded engine waits and schedules.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <atomic>
#include <condition_variable>
#include <functional>
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
#include "coro/sync_task.hpp"
#include "engine/byte_budget.hpp"
#include "engine/elastic_pool.hpp"
#include "engine/engine.hpp"
#include "engine/file_data.hpp"
#include "engine/multipart_parts.hpp"
#include "engine/part_plan.hpp"
#include "engine/progress.hpp"
#include "engine/run_control.hpp"
#include "engine/run_setup.hpp"
#include "engine/upload_steps.hpp"
#include "engine/work_queue.hpp"
#include "net/blocking_http_client.hpp"
#include "s3/object_settings.hpp"
#include "s3/s3_blocking_client.hpp"

namespace s3up::engine {
namespace {

namespace asio = boost::asio;
using Semaphore = std::counting_semaphore<>;
// Files between the walker and the workers: also what the start order chooses from
// (start_order.hpp), as many as the async engine looks ahead.
constexpr std::size_t kWalkQueue = 4096;

// Something held (a permit) until destroyed or reset, or handed on (move-only): the threaded
// engine's Io::Permit, and a multipart upload's place among the open ones.
class Hold {
 public:
  Hold() = default;
  explicit Hold(std::function<void()> release) : release_(std::move(release)) {}
  Hold(Hold&& o) noexcept : release_(std::exchange(o.release_, nullptr)) {}
  Hold& operator=(Hold&& o) noexcept {
    if (this != &o) {
      reset();
      release_ = std::exchange(o.release_, nullptr);
    }
    return *this;
  }
  ~Hold() { reset(); }
  explicit operator bool() const { return static_cast<bool>(release_); }
  void reset() {
    if (auto release = std::exchange(release_, nullptr)) release();
  }

 private:
  std::function<void()> release_;
};

// A file (or directory marker) to upload; a multipart one holds its place among the open
// multipart uploads. `remote` is the object --sync listed at its key.
struct FileJob {
  walker::Entry entry;
  std::string key;
  bool marker = false;
  std::optional<s3::ListedObject> remote;
  Hold multipart_slot;
};

// A multipart upload in progress (the shared steps' state); its parts are the items of a batch of
// the work queue. The worker that finishes the last part completes (or aborts) it. Or, with
// `connections`, a batch whose items each open a connection ahead for the parts of an upload
// being created (ThreadedRun::parts_coming).
struct Upload {
  std::shared_ptr<steps::MultipartUpload> multipart;
  std::atomic<std::uint64_t> remaining{0};  // parts not finished (uploaded, failed or skipped)
  Hold slot;
  bool connections = false;
};

using Queue = WorkQueue<FileJob, Upload>;

struct ThreadedRun : RunControl {
  ThreadedRun(const UploadOptions& options, s3::S3Protocol& protocol, Report& report,
              http::BlockingTransport& transport, std::size_t workers,
              std::size_t request_permits)
      : RunControl(options, protocol, report),
        transport(transport),
        most_in_flight(request_permits),
        requests(static_cast<std::ptrdiff_t>(request_permits)),
        memory(options.max_memory),
        open_multipart(static_cast<std::ptrdiff_t>(std::max<std::size_t>(2, workers / 8))),
        rate(options.limit_rate),
        queue(kWalkQueue) {
    // (Files queued and dropped by stop() were never taken up: counted as not attempted.)
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

  // Io::parts_coming: the connections to open ahead for the parts of an upload being created
  // (connections_for_parts, part_plan.hpp). Queued for the workers free meanwhile, no more than
  // there are: a worker opening a connection is blocked for its round trips, and parts queued
  // behind openings left for busy workers would wait for them (with auto's first limit of 8
  // such parts, 2 x 100 MiB at 80 ms took 1-2 s longer). With auto, the rest by workers started
  // beyond the limit (workers_ahead), as the async engine opens them whatever its limit: parts
  // that wait for the limit's first growth then find their connections open (at 80 ms, parts
  // that opened theirs 0.3 s after the others finished 2-3 s after them).
  void parts_coming(std::uint64_t parts) {
    const std::size_t queued = connections_queued.load();
    const std::size_t open = transport.connections_open_or_opening() + queued;
    const PoolController* c = concurrency.load();
    const std::size_t limit = c ? c->limit() : most_in_flight;
    const std::size_t busy = queue.items_active() + queued;
    const std::size_t free_workers = limit > busy ? limit - busy : 0;
    const std::size_t wanted =
        connections_for_parts(parts, kStreamMemory, opt.max_memory, most_in_flight, open);
    const std::size_t more = std::min(free_workers, wanted);
    if (more > 0) {
      connections_queued.fetch_add(more);
      auto batch = std::make_shared<Upload>();
      batch->connections = true;
      queue.push_batch(std::move(batch), more);
    }
    if (wanted > more && workers_ahead) workers_ahead(wanted - more);
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
  // --concurrency N, or auto's ceiling (Io::parts_coming opens connections up to it).
  const std::size_t most_in_flight;
  std::atomic<std::size_t> connections_queued{0};  // by parts_coming, no worker opening them yet
  Semaphore requests;        // requests in flight (--concurrency)
  ByteBudget memory;         // bytes of file data held in memory (--max-memory)
  Semaphore open_multipart;  // multipart uploads open at once
  coro::RateLimiter rate;    // --limit-rate (only its thread-safe booking is used here)
  std::atomic<std::uint64_t> in_flight{0};  // requests under way (for the progress line)
  // --concurrency auto's controller, else null (set once the pool's workers have started).
  std::atomic<PoolController*> concurrency{nullptr};
  // --concurrency auto: starts n more workers beyond the limit, each opening a connection and
  // parking until the limit reaches it (ElasticPool::add_ahead). Set before the walk starts.
  std::function<void(std::size_t)> workers_ahead;
  Queue queue;
  WalkTotals walk;  // what the walk found, and the files taken up
  std::mutex sleep_mutex;
  std::condition_variable sleep_cv;
};

// The threaded engine's Io for the shared upload steps (upload_steps.hpp): every wait blocks the
// calling thread (std::counting_semaphore, ByteBudget, condition-variable sleeps, blocking HTTP),
// and every task has finished when it is returned.
struct BlockingIo {
  template <class T>
  using Task = coro::SyncTask<T>;
  using Permit = Hold;

  ThreadedRun* threaded;
  s3::S3BlockingClient* s3;

  RunControl& run() const { return *threaded; }
  Task<Permit> memory(std::uint64_t bytes) const {
    ThreadedRun* r = threaded;
    r->memory.acquire(bytes);
    co_return Hold([r, bytes] { r->memory.release(bytes); });
  }
  Task<bool> pace(std::uint64_t bytes) const { co_return threaded->pace(bytes); }
  Task<ReadDigest> read(walker::Entry entry, std::uint64_t offset, std::span<char> out,
                        DigestNeeds needs) const {
    co_return read_and_digest(entry, offset, out, needs);
  }
  Task<ReadDigest> digest(const walker::FileReader* file, walker::Entry entry, std::uint64_t offset,
                          std::uint64_t length, DigestNeeds needs) const {
    co_return digest_range(entry, *file, offset, length, needs);
  }
  Task<Permit> request() const {
    ThreadedRun* r = threaded;
    r->requests.acquire();
    r->in_flight.fetch_add(1, std::memory_order_relaxed);
    co_return Hold([r] {
      r->in_flight.fetch_sub(1, std::memory_order_relaxed);
      r->requests.release();
    });
  }
  Task<s3::OpResult> send(s3::S3Call call) const { co_return s3->run(call); }
  Task<Next> settle(s3::OpResult r, int attempt) const {
    co_return threaded->settle_failure(r, attempt);
  }
  Task<bool> journal_durable(std::uint64_t seq) const {
    co_return threaded->wait_journal_durable(seq);
  }
  void part_size_hint(std::uint64_t bytes) const {
    if (PoolController* c = threaded->concurrency.load()) c->request_size_hint(bytes);
  }
  void parts_coming(std::uint64_t parts) const {
    threaded->parts_coming(parts);
  }
};

// One pool thread's work: files from the walker and parts of open multipart uploads, each by
// the shared steps over the transport's pooled connections.
class Worker {
 public:
  Worker(ThreadedRun& run, http::BlockingClient& http, s3::S3BlockingClient& s3)
      : run_(run), http_(http), io_{&run, &s3} {}

  void work(Queue::Item item) {
    if (item.batch && item.batch->connections) {
      run_.connections_queued.fetch_sub(1);
      if (!run_.stopping.load()) http_.open_ahead(run_.protocol.target());
      return;
    }
    if (item.batch) {
      part(std::move(item.batch), item.index);
      return;
    }
    FileJob& job = *item.file;
    if (!job.marker) run_.walk.attempted.fetch_add(1, std::memory_order_relaxed);
    if (job.marker) {
      steps::put_dir_marker(io_, std::move(job.entry), std::move(job.key)).get();
      return;
    }
    if (steps::skip_unchanged(io_, job.entry, job.key, std::move(job.remote)).get()) return;
    if (job.multipart_slot)
      multipart(std::move(job));
    else
      steps::put_file(io_, std::move(job.entry), std::move(job.key)).get();
  }

 private:
  // Starts (or resumes) the multipart upload and queues its parts for the pool.
  void multipart(FileJob job) {
    auto upload = std::make_shared<steps::MultipartUpload>();
    upload->plan = plan_parts(job.entry.size, run_.opt.part_size, run_.opt.spread_parts);
    upload->entry = std::move(job.entry);
    upload->key = std::move(job.key);
    if (!steps::start_multipart(io_, upload).get()) return;
    auto batch = std::make_shared<Upload>();
    batch->multipart = upload;
    batch->remaining = upload->plan.part_count;
    batch->slot = std::move(job.multipart_slot);
    run_.queue.push_batch(std::move(batch), upload->plan.part_count);
  }

  // One part; the worker finishing the last part of an upload completes or aborts it.
  void part(std::shared_ptr<Upload> batch, std::uint64_t index) {
    try {
      steps::upload_part(io_, batch->multipart, index, Hold()).get();
    } catch (const std::exception& e) {
      batch->multipart->fail(std::string("internal error: ") + e.what());
    }
    if (batch->remaining.fetch_sub(1) == 1) steps::finish_multipart(io_, batch->multipart).get();
  }

  ThreadedRun& run_;
  http::BlockingClient& http_;
  BlockingIo io_;
};

void pool_thread(ThreadedRun& run, ElasticPool& pool, std::size_t index) {
  http::BlockingClient http(run.transport);
  s3::S3BlockingClient s3(http, run.protocol);
  Worker worker(run, http, s3);
  // Started ahead of the limit (--concurrency auto on a WAN): the connection first.
  if (pool.ahead_of_limit(index)) http.open_ahead(run.protocol.target());
  while (pool.wait_turn(index)) {
    // Waiting for an item, the limit may fall below this worker (--concurrency auto's first
    // limit for large parts, a cut): it then takes none and parks in wait_turn.
    auto item = run.queue.pop(pool.limit(), [&pool, index] { return pool.within_limit(index); });
    if (!item) break;
    if (!item->file && !item->batch) continue;
    const bool large = item->large;
    try {
      worker.work(std::move(*item));
    } catch (const std::exception& e) {
      run.fail_run(std::string("internal error: ") + e.what());
    }
    run.queue.done(large);
  }
}

// Walks the source on the calling thread and queues every file (waiting while the queue is
// full, and for a place among the open multipart uploads), until the walk ends or the run stops.
// With --sync, merges the walk (in key order) with the destination listing; with --dry-run,
// only lists what would be uploaded. Its requests share the pooled connections.
void produce(ThreadedRun& run, walker::Walker& walker, WalkTotals& totals) {
  http::BlockingClient http(run.transport);
  s3::S3BlockingClient s3(http, run.protocol);
  const BlockingIo io{&run, &s3};
  std::optional<steps::Listing> listing;
  if (run.opt.sync != SyncMode::Off) listing.emplace(steps::Listing{run.opt.prefix, {}, false});
  while (!run.stopping.load()) {
    auto entry = walker.next();
    totals.files.store(walker.files_seen(), std::memory_order_relaxed);
    totals.bytes.store(walker.bytes_seen(), std::memory_order_relaxed);
    if (!entry) break;
    const bool file = entry->kind == walker::EntryKind::File;
    auto planned = steps::plan_upload(io, listing ? &*listing : nullptr, &*entry).get();
    if (run.stopping.load()) break;
    if (!planned) {  // settled here (a worker counts the ones it takes up)
      if (file) totals.attempted.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    const std::uint64_t large_bytes = planned->large ? entry->size : 0;
    FileJob job{std::move(*entry), std::move(planned->key), planned->marker,
                std::move(planned->remote), {}};
    if (planned->multipart) {
      while (!run.stopping.load() &&
             !run.open_multipart.try_acquire_for(std::chrono::milliseconds(100))) {
      }
      if (run.stopping.load()) break;
      job.multipart_slot = Hold([slots = &run.open_multipart] { slots->release(); });
    }
    const bool queued = planned->multipart ? run.queue.push_first(std::move(job))
                                           : run.queue.push_file(std::move(job), large_bytes);
    if (!queued) break;
  }
  // Stopped early: the rest of the tree is only counted.
  if (run.stopping.load()) count_rest_of_walk(walker, totals);
  totals.done.store(true, std::memory_order_release);
}

// SIGINT/SIGTERM as in the async engine: the first stops the run (in-flight requests finish,
// open multipart uploads are aborted, exit 130), a second exits at once. The signals are
// waited for on a thread of their own.
class SignalWatch {
 public:
  explicit SignalWatch(RunControl& run) : signals_(ioc_, SIGINT, SIGTERM) {
    watch_interrupts(signals_, run, run.opt.warning);
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
  DataBuffer::hold_at_most(opt.max_memory);  // buffers in use and reused within --max-memory
  const std::size_t workers = std::max<std::size_t>(1, opt.concurrency);
  AdaptiveConfig adaptive;
  adaptive.initial = workers;
  adaptive.max = opt.concurrency_ceiling;
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
  run.attach_journal(journal.get());
  std::optional<SignalWatch> signals;
  if (opt.handle_signals) signals.emplace(run);

  const auto started = std::chrono::steady_clock::now();
  RunSummary summary;
  summary.started = std::chrono::system_clock::now();
  WalkTotals& totals = run.walk;
  std::optional<ProgressReporter> progress;
  start_progress(progress, opt, report, totals,
                 [&run]() -> std::uint64_t { return run.in_flight.load(std::memory_order_relaxed); },
                 started);
  std::optional<ElasticPool> pool;
  std::optional<PoolController> controller;
  try {
    pool.emplace(
        workers, [&run](ElasticPool& self, std::size_t index) { pool_thread(run, self, index); },
        [&run] { run.queue.wake(); });
    if (opt.adaptive_concurrency) {
      controller.emplace(*pool, report, [&transport] { return transport.bytes_written(); },
                         adaptive,
                         [&run] { return run.queue.items_queued() > 0; },
                         [&run]() -> std::uint64_t {
                           return run.in_flight.load(std::memory_order_relaxed) +
                                  run.queue.items_queued();
                         });
      controller->start();
      run.concurrency.store(&*controller);
      run.workers_ahead = [&pool](std::size_t n) { pool->add_ahead(n); };
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
  close_journal(journal.get(), report);
  if (run.stopping.load()) count_not_attempted(report, walker, totals);

  finish_summary(summary, report, opt, started, run.interrupted.load());
  summary.engine = "threaded";
  summary.concurrency = controller ? controller->limit() : workers;
  summary.concurrency_peak = controller ? controller->peak() : workers;
  if (controller) summary.concurrency_history = controller->history();
  summary.threads = started_threads;
  summary.connections_opened = transport.connections_opened();
  summary.connections_peak_open = transport.connections_peak_open();
  summary.connections_opened_ahead = transport.connections_opened_ahead();
  summary.connections_awaited = transport.connections_awaited();
  summary.tls_handshakes = transport.tls_handshakes();
  summary.tls_resumed = transport.tls_resumed();
  summary.connections_paced = transport.connections_paced();
  summary.stragglers_resent = transport.stragglers_resent();
  return summary;
}

}  // namespace s3up::engine
