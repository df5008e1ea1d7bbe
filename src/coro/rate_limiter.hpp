// A shared bandwidth cap for coroutines: each consumer books its bytes on one timeline that
// starts when the limiter is made, and sleeps until its booking ends before sending, so the
// bytes sent by any moment never exceed the rate times the time elapsed: the total rate over
// the run stays at or under the limit. Only idle time earns credit (at most `burst`).
// Thread-safe.
#pragma once
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

namespace s3up::coro {

class RateLimiter {
 public:
  // bytes_per_second == 0 means unlimited. `burst` bytes may go at once after idle time.
  explicit RateLimiter(std::uint64_t bytes_per_second, std::uint64_t burst = 1 << 20);

  // Waits until `bytes` more may be sent without exceeding the rate. Throws on cancellation.
  boost::asio::awaitable<void> consume(std::uint64_t bytes);

  // The same, but the wait ends early once `stop` is set (checked at least every 100 ms).
  // Returns false when `stop` was set: the caller should not send.
  boost::asio::awaitable<bool> consume(std::uint64_t bytes, const std::atomic<bool>& stop);

  // Books `bytes` at time `now` and returns how long their sender must wait: until the end of
  // the booking (exposed for tests; consume() uses it).
  std::chrono::nanoseconds reserve(std::uint64_t bytes, std::chrono::steady_clock::time_point now);

  bool unlimited() const { return rate_ == 0; }

 private:
  std::uint64_t rate_;
  std::chrono::nanoseconds burst_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point next_free_{};
};

}  // namespace s3up::coro
