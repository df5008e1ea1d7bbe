// Counter of outstanding tasks that coroutines can wait on reaching zero. Thread-safe.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <memory>

namespace s3up::coro {

namespace net = boost::asio;

class WaitGroup {
 public:
  WaitGroup();
  // Fails the waiters still suspended with operation_aborted.
  ~WaitGroup();
  WaitGroup(const WaitGroup&) = delete;
  WaitGroup& operator=(const WaitGroup&) = delete;

  // Adds n outstanding tasks.
  void add(std::size_t n = 1);

  // Marks one task finished; when the count reaches zero, every waiter is resumed (posted to its
  // executor, never inline). Throws std::logic_error if the count is already zero.
  void done();

  // Completes when the count is zero: at once if it already is. Throws
  // boost::system::system_error(operation_aborted) if the wait is cancelled through its
  // cancellation slot (emit on the waiting coroutine's executor) or the group is destroyed.
  net::awaitable<void> wait();

  std::size_t count() const;

  struct State;  // shared with the cancellation hooks installed in waiters' slots

 private:
  std::shared_ptr<State> state_;
};

}  // namespace s3up::coro
