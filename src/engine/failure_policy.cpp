// The async engine's backoff and retry step. The decision itself (after_failure) is shared by both engines and
// lives in run_control.cpp.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "engine/run_context.hpp"

namespace s3up::engine {

asio::awaitable<void> backoff(RetryPolicy policy, int retry) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(policy.delay(retry));
  co_await timer.async_wait(asio::use_awaitable);
}

namespace {

// CredentialsSource::renew blocks until the refresher has new credentials: it waits on the read
// pool, so that the I/O thread keeps serving its other connections meanwhile.
asio::awaitable<bool> renew_on_pool(s3::CredentialsSource* source, std::uint64_t generation) {
  co_return source->renew(generation);
}

asio::awaitable<bool> renew_credentials(RunContext& ctx, std::uint64_t generation) {
  s3::CredentialsSource* source = ctx.protocol.credentials_source();
  if (!ctx.lanes.file_io) co_return source->renew(generation);
  const bool renewed = co_await asio::co_spawn(ctx.lanes.file_io, renew_on_pool(source, generation),
                                               asio::use_awaitable);
  co_return renewed;
}

}  // namespace

asio::awaitable<Next> settle_failure(RunContext& ctx, s3::OpResult r, int attempt) {
  Next next = after_failure(ctx, r, attempt);
  if (next == Next::Renew) {
    const bool renewed = co_await renew_credentials(ctx, r.credentials_generation);
    next = after_renewal(ctx, r, renewed);
  }
  if (next == Next::Retry) co_await backoff(ctx.retry, attempt + 1);
  co_return next;
}

}  // namespace s3up::engine
