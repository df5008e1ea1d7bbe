// State shared by every coroutine of one async run.
#pragma once
#include "coro/rate_limiter.hpp"
#include "coro/semaphore.hpp"
#include "coro/wait_group.hpp"
#include "engine/file_data.hpp"
#include "engine/journal.hpp"
#include "engine/options.hpp"
#include "engine/report.hpp"
#include "engine/retry.hpp"
#include "engine/run_control.hpp"
#include "s3/s3_client.hpp"
#include "walker/walker.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <functional>
#include <vector>

namespace s3up::engine {

namespace asio = boost::asio;

class ConcurrencyController;

// The async engine's throttles, shared by every upload of the run.
struct AsyncThrottles {
  explicit AsyncThrottles(const UploadOptions& options)
      : requests(options.concurrency),
        uploads(options.concurrency),
        memory(options.max_memory),
        open_multipart(std::max<std::size_t>(2, options.concurrency / 8)),
        rate(options.limit_rate) {}

  coro::AsyncSemaphore requests;        // requests in flight (--concurrency)
  // Single-request bodies in progress (files in one request, multipart parts): as many as
  // requests (with --concurrency auto the controller moves both), so no more bodies are read
  // ahead than requests may be sent.
  coro::AsyncSemaphore uploads;
  coro::AsyncSemaphore memory;          // bytes of file data held in memory (--max-memory)
  coro::AsyncSemaphore open_multipart;  // multipart uploads open at once
  coro::RateLimiter rate;               // --limit-rate
};

// Where the async engine's work runs: one io_context per I/O thread (--threads), each with its
// own connections, so a request's I/O stays on one thread; and the read pool.
class Lanes {
 public:
  std::vector<asio::any_io_executor> io;  // uploads and parts are spread over them in turn
  asio::any_io_executor file_io;          // where large reads run, off the I/O threads

  // The lane for the next upload or part (round robin).
  asio::any_io_executor next() {
    return io[next_.fetch_add(1, std::memory_order_relaxed) % io.size()];
  }

 private:
  std::atomic<std::size_t> next_{0};
};

// State shared by every coroutine of one async run: what both engines share (RunControl:
// settings, report, protocol, retry policy, journal, stop state), and the async engine's own
// client, throttles, lanes and uploads in progress.
struct RunContext : RunControl {
  RunContext(const UploadOptions& options, s3::S3Client& client, Report& report)
      : RunControl(options, client.protocol(), report), s3(client), throttles(options) {}

  s3::S3Client& s3;
  AsyncThrottles throttles;
  Lanes lanes;
  coro::WaitGroup inflight;  // file uploads started and not finished
  // Single-request uploads of large bodies in progress (start_order.hpp).
  std::atomic<std::size_t> large_uploads{0};
  ConcurrencyController* concurrency = nullptr;  // --concurrency auto's controller, else null
  // Opens connections for `parts` parts about to be sent (the shared steps' Io::parts_coming),
  // set by the engine; empty: none opened ahead.
  std::function<void(std::uint64_t parts)> parts_coming;
};

// after_failure(ctx, r, attempt): see run_control.hpp.

// Sleeps for the policy's backoff before retry number `retry`.
asio::awaitable<void> backoff(RetryPolicy policy, int retry);

// The retry step after failed attempt number `attempt` (0-based): decides with after_failure and,
// for Next::Retry, sleeps the backoff before returning. The caller attempts again when the result
// is Retry or RetryNow (see retrying); Fail and Stop are left to the caller to report.
asio::awaitable<Next> settle_failure(RunContext& ctx, s3::OpResult r, int attempt);

// Uploads one file: skipped when --sync finds `remote` (the object listed at its key)
// unchanged, else one PutObject or a multipart upload. `slot` is its place among the uploads in
// progress, or for a multipart file among open multipart uploads.
asio::awaitable<void> upload_file(RunContext& ctx, walker::Entry entry, std::string key,
                                  std::optional<s3::ListedObject> remote, bool multipart,
                                  coro::Permit slot);

// Writes the zero-byte "dir/" object of an empty directory (--dir-markers).
asio::awaitable<void> upload_dir_marker(RunContext& ctx, walker::Entry entry, std::string key,
                                        coro::Permit slot);

// read_and_digest (see file_data.hpp) for the async engine. Bodies of 1 MiB and more are read
// and hashed on `file_io` (a small thread pool; null: inline), so that an I/O thread keeps
// pumping its other connections meanwhile; smaller ones inline.
asio::awaitable<ReadDigest> read_and_digest_async(asio::any_io_executor file_io, DigestNeeds needs,
                                                  walker::Entry entry, std::uint64_t offset,
                                                  std::span<char> out);

// digest_range (see file_data.hpp) on `file_io` (inline when null): a streamed body's first
// pass (a large PutObject, a part) over `file`, which must outlive the call.
asio::awaitable<ReadDigest> digest_range_async(asio::any_io_executor file_io, DigestNeeds needs,
                                               const walker::FileReader* file,
                                               walker::Entry entry, std::uint64_t offset,
                                               std::uint64_t length);

// Uploads one file as a multipart upload: the shared steps (upload_steps.hpp), its parts
// spread over the lanes. `slot` is its place among open multipart uploads.
asio::awaitable<void> upload_multipart(RunContext& ctx, walker::Entry entry, std::string key,
                                       coro::Permit slot);

}  // namespace s3up::engine
