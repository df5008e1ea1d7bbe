#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "engine/run_context.hpp"

namespace s3up::engine {

Next after_failure(RunContext& ctx, const s3::OpResult& r, int attempt) {
  switch (r.error_class) {
    case s3::ErrorClass::FatalForRun:
      // S3 names the bucket's region when we signed for another: follow it. A request that
      // flew while another one switched the region is simply sent again.
      if (!r.region_hint.empty() && r.region_hint != r.signed_region) {
        if (r.region_hint != ctx.s3.region()) ctx.s3.set_region(r.region_hint);
        return Next::RetryNow;
      }
      ctx.fail_run(r.message);
      return Next::Stop;
    case s3::ErrorClass::Retryable:
      if (ctx.stopping.load()) return Next::Fail;
      if (attempt >= ctx.retry.max_retries) {
        // An endpoint that cannot be reached at all concerns every file: stop with one message.
        if (r.transport == http::Failure::Resolve || r.transport == http::Failure::Connect) {
          ctx.fail_run(r.message + " (after " + std::to_string(attempt + 1) + " attempts)");
          return Next::Stop;
        }
        return Next::Fail;
      }
      ctx.report.retried();
      return Next::Retry;
    case s3::ErrorClass::FailFile:
      return Next::Fail;
  }
  return Next::Fail;
}

asio::awaitable<void> backoff(RunContext& ctx, int retry) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(ctx.retry.delay(retry));
  co_await timer.async_wait(asio::use_awaitable);
}

}  // namespace s3up::engine
