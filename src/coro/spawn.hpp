// Detached coroutine launch whose exceptions go to a callback instead of being lost or
// terminating the program.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <exception>
#include <functional>
#include <utility>

namespace s3up::coro {

namespace net = boost::asio;

// Called with the exception that ended a spawned coroutine. Runs on the coroutine's executor;
// must not throw (an exception thrown here propagates out of io_context::run()).
using ErrorCallback = std::function<void(std::exception_ptr)>;

namespace detail {

// Completion handler of spawn(): forwards a failure to the callback, or rethrows it from the
// handler (out of io_context::run()) when there is no callback, so it is never silently lost.
struct ForwardError {
  ErrorCallback on_error;

  void operator()(std::exception_ptr error) const {
    if (!error) return;
    if (on_error) {
      on_error(error);
    } else {
      std::rethrow_exception(error);
    }
  }
};

}  // namespace detail

// Starts `task` on `executor` without waiting for it. Returns at once; `on_error` receives the
// exception if the task throws (nothing is called when it succeeds).
template <typename Executor>
void spawn(Executor executor, net::awaitable<void> task, ErrorCallback on_error) {
  net::co_spawn(std::move(executor), std::move(task), detail::ForwardError{std::move(on_error)});
}

// As above, with the task cancellable through `slot` (e.g. a net::cancellation_signal's slot).
// The signal must outlive the task and be emitted on the task's executor.
template <typename Executor>
void spawn(Executor executor, net::awaitable<void> task, ErrorCallback on_error,
           net::cancellation_slot slot) {
  net::co_spawn(std::move(executor), std::move(task),
                net::bind_cancellation_slot(slot, detail::ForwardError{std::move(on_error)}));
}

}  // namespace s3up::coro
