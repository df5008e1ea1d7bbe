// The async engine's backoff and retry step. The decision itself (after_failure) is shared by both engines and
// lives in run_control.cpp.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "engine/run_context.hpp"

namespace s3up::engine {

asio::awaitable<void> backoff(RunContext& ctx, int retry) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(ctx.retry.delay(retry));
  co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<Next> settle_failure(RunContext& ctx, const s3::OpResult& r, int attempt) {
  const Next next = after_failure(ctx, r, attempt);
  if (next == Next::Retry) co_await backoff(ctx, attempt + 1);
  co_return next;
}

}  // namespace s3up::engine
