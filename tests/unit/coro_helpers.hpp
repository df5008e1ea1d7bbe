// Small helpers for the coroutine unit tests.
#pragma once
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <exception>
#include <thread>
#include <vector>

namespace s3up::test {

namespace net = boost::asio;

// Suspends the calling coroutine and resumes it through its executor's queue.
inline net::awaitable<void> yield() {
  auto executor = co_await net::this_coro::executor;
  co_await net::post(executor, net::use_awaitable);
}

// Runs `ctx` on `threads` threads (the caller's excluded) until it runs out of work.
inline void run_on_threads(net::io_context& ctx, int threads) {
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back([&ctx] { ctx.run(); });
  for (auto& thread : pool) thread.join();
}

// Raises `max` to at least `value`.
inline void raise_max(std::atomic<std::size_t>& max, std::size_t value) {
  std::size_t seen = max.load();
  while (seen < value && !max.compare_exchange_weak(seen, value)) {
  }
}

// Whether `error` holds a boost::system::system_error with operation_aborted.
inline bool is_aborted(const std::exception_ptr& error) {
  if (!error) return false;
  try {
    std::rethrow_exception(error);
  } catch (const boost::system::system_error& e) {
    return e.code() == net::error::operation_aborted;
  } catch (...) {
    return false;
  }
}

}  // namespace s3up::test
