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

// The shared part (options, report, retry policy, journal, stop flags, fail_run) is RunControl.
struct RunContext : RunControl {
  RunContext(const UploadOptions& options, s3::S3Client& client, Report& report)
      : RunControl(options, client.protocol(), report),
        s3(client),
        requests(options.concurrency),
        uploads(options.adaptive_concurrency ? kMaxUploadsAdaptive : options.concurrency),
        memory(options.max_memory),
        open_multipart(std::max<std::size_t>(2, options.concurrency / 8)),
        rate(options.limit_rate) {}

  s3::S3Client& s3;
  // Uploads in progress at most with --concurrency auto (the request limit moves up to 1,024).
  static constexpr std::size_t kMaxUploadsAdaptive = 1024;

  coro::AsyncSemaphore requests;        // requests in flight (--concurrency)
  coro::AsyncSemaphore uploads;         // single-request uploads in progress (as many)
  coro::AsyncSemaphore memory;          // bytes of file data held in memory (--max-memory)
  coro::AsyncSemaphore open_multipart;  // multipart uploads open at once
  coro::WaitGroup inflight;             // file uploads started and not finished
  asio::any_io_executor file_io;        // where large reads run, off the I/O threads
  ConcurrencyController* concurrency = nullptr;  // --concurrency auto's controller, else null
  // One io_context per I/O thread (--threads): uploads and parts are spread over them in turn,
  // and each keeps its connections, so a request's I/O stays on one thread.
  std::vector<asio::any_io_executor> lanes;

  // The lane for the next upload or part (round robin).
  asio::any_io_executor next_lane() {
    return lanes[next_lane_.fetch_add(1, std::memory_order_relaxed) % lanes.size()];
  }

 private:
  std::atomic<std::size_t> next_lane_{0};

 public:
  coro::RateLimiter rate;               // --limit-rate
};

// after_failure(ctx, r, attempt) and accept_entry(ctx, entry): see run_control.hpp.

// Sleeps for the policy's backoff before retry number `retry`.
asio::awaitable<void> backoff(RunContext& ctx, int retry);

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
// and hashed on ctx.file_io (a small thread pool), so that an I/O thread keeps pumping its other
// connections meanwhile; smaller ones inline.
asio::awaitable<ReadDigest> read_and_digest_async(RunContext& ctx, walker::Entry entry,
                                                  std::uint64_t offset, std::span<char> out);

// Uploads one file as a multipart upload: the shared steps (upload_steps.hpp), its parts
// spread over the lanes. `slot` is its place among open multipart uploads.
asio::awaitable<void> upload_multipart(RunContext& ctx, walker::Entry entry, std::string key,
                                       coro::Permit slot);

}  // namespace s3up::engine
