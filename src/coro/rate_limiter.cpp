#include "coro/rate_limiter.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace s3up::coro {

using namespace std::chrono;

RateLimiter::RateLimiter(std::uint64_t bytes_per_second, std::uint64_t burst)
    : rate_(bytes_per_second),
      burst_(bytes_per_second ? nanoseconds(static_cast<std::int64_t>(
                                    static_cast<long double>(burst) * 1e9L / bytes_per_second))
                              : nanoseconds(0)),
      next_free_(steady_clock::now()) {}  // no credit for the time before the run

nanoseconds RateLimiter::reserve(std::uint64_t bytes, steady_clock::time_point now) {
  if (rate_ == 0) return nanoseconds(0);
  const auto cost =
      nanoseconds(static_cast<std::int64_t>(static_cast<long double>(bytes) * 1e9L / rate_));
  std::lock_guard lock(mutex_);
  // Idle time earns at most `burst` worth of credit.
  if (next_free_ < now - burst_) next_free_ = now - burst_;
  next_free_ += cost;
  // The bytes go when their booking ends: going at its start would let every request (and a
  // whole file smaller than a part) out at full speed ahead of the rate.
  return next_free_ > now ? duration_cast<nanoseconds>(next_free_ - now) : nanoseconds(0);
}

boost::asio::awaitable<void> RateLimiter::consume(std::uint64_t bytes) {
  const auto wait = reserve(bytes, steady_clock::now());
  if (wait.count() <= 0) co_return;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  timer.expires_after(wait);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

boost::asio::awaitable<bool> RateLimiter::consume(std::uint64_t bytes,
                                                 const std::atomic<bool>& stop) {
  if (stop.load()) co_return false;
  const auto until = steady_clock::now() + reserve(bytes, steady_clock::now());
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  for (auto now = steady_clock::now(); now < until; now = steady_clock::now()) {
    timer.expires_after(std::min<std::chrono::nanoseconds>(until - now, std::chrono::milliseconds(100)));
    co_await timer.async_wait(boost::asio::use_awaitable);
    if (stop.load()) co_return false;
  }
  co_return !stop.load();
}

}  // namespace s3up::coro
