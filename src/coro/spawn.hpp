// Detached coroutine launch whose exceptions go to a callback instead of being lost or
// terminating the program.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <exception>
#include <functional>
#include <string>
#include <utility>

namespace s3up::coro {

namespace net = boost::asio;

// Called with the exception that ended a spawned coroutine. Runs on the coroutine's executor;
// must not throw (an exception thrown here propagates out of io_context::run()).
using ErrorCallback = std::function<void(std::exception_ptr)>;
// Called when a spawned coroutine has ended, however it ended, after the ErrorCallback.
using FinishCallback = std::function<void()>;

// The message of an exception ("unknown exception" for one not derived from std::exception).
inline std::string exception_message(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

namespace detail {

// Completion handler of spawn(): forwards a failure to the callback, or rethrows it from the
// handler (out of io_context::run()) when there is no callback, so it is never silently lost.
struct ForwardError {
  ErrorCallback on_error;
  FinishCallback on_finish;

  void operator()(std::exception_ptr error) const {
    if (error) {
      if (!on_error) std::rethrow_exception(error);
      on_error(error);
    }
    if (on_finish) on_finish();
  }
};

}  // namespace detail

// Starts `task` on `executor` without waiting for it. Returns at once; `on_error` receives the
// exception if the task throws (nothing is called when it succeeds).
template <typename Executor>
void spawn(Executor executor, net::awaitable<void> task, ErrorCallback on_error) {
  net::co_spawn(std::move(executor), std::move(task),
                detail::ForwardError{std::move(on_error), nullptr});
}

// As above, then `on_finish` once the task has ended (after `on_error` for a failure): e.g. a
// wait group's done(), which must come after the failure is recorded.
template <typename Executor>
void spawn(Executor executor, net::awaitable<void> task, ErrorCallback on_error,
           FinishCallback on_finish) {
  net::co_spawn(std::move(executor), std::move(task),
                detail::ForwardError{std::move(on_error), std::move(on_finish)});
}

// As above, with the task cancellable through `slot` (e.g. a net::cancellation_signal's slot).
// The signal must outlive the task and be emitted on the task's executor.
template <typename Executor>
void spawn(Executor executor, net::awaitable<void> task, ErrorCallback on_error,
           net::cancellation_slot slot) {
  net::co_spawn(std::move(executor), std::move(task),
                net::bind_cancellation_slot(slot, detail::ForwardError{std::move(on_error), nullptr}));
}

}  // namespace s3up::coro
