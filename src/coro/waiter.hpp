// Building blocks shared by the coroutine synchronisation primitives (AsyncSemaphore, WaitGroup):
// a suspended coroutine stored as a type-erased completion handler, the batch of completions
// delivered once a lock is released, and the cancellation-slot hook that removes a waiter.
#pragma once
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace s3up::coro::detail {

namespace net = boost::asio;

using WaitHandler = net::any_completion_handler<void(boost::system::error_code)>;

// A suspended operation: its completion handler and the executor it must resume on.
struct Waiter {
  WaitHandler handler;
  net::any_io_executor executor;
};

// Wraps a concrete completion handler, remembering its associated executor. The handler must have
// an associated executor convertible to any_io_executor (true of use_awaitable handlers).
template <typename Handler>
Waiter make_waiter(Handler&& handler) {
  net::any_io_executor executor = net::get_associated_executor(handler);
  return Waiter{WaitHandler(std::forward<Handler>(handler)), std::move(executor)};
}

// Completions collected while a lock is held and delivered afterwards. Declare it before the
// lock guard: its destructor runs after the lock is released and posts every handler to its own
// executor (never inline, so no coroutine is resumed inside the caller).
class Completions {
 public:
  Completions() = default;
  Completions(const Completions&) = delete;
  Completions& operator=(const Completions&) = delete;
  ~Completions();

  void add(Waiter waiter, boost::system::error_code ec);

  // Posts the collected completions now; returns how many there were.
  std::size_t post_all();

 private:
  std::vector<std::pair<Waiter, boost::system::error_code>> items_;
};

// Cancellation-slot handler of a waiter: calls state->cancel(id) if the state still exists.
// The state decides, under its own lock, whether the waiter is still queued (then it fails it
// with operation_aborted) or was already granted (then the call does nothing).
template <typename State>
class CancelWaiter {
 public:
  CancelWaiter(std::weak_ptr<State> state, std::uint64_t id) : state_(std::move(state)), id_(id) {}

  void operator()(net::cancellation_type_t) const {
    if (auto state = state_.lock()) state->cancel(id_);
  }

 private:
  std::weak_ptr<State> state_;
  std::uint64_t id_;
};

// Installs a CancelWaiter in the waiter's cancellation slot when one is connected. The state is
// held weakly: the hook may stay in the slot after the waiter completed and the owner is gone.
template <typename State>
void on_cancel(Waiter& waiter, std::weak_ptr<State> state, std::uint64_t id) {
  net::cancellation_slot slot = waiter.handler.get_cancellation_slot();
  if (slot.is_connected()) slot.template emplace<CancelWaiter<State>>(std::move(state), id);
}

}  // namespace s3up::coro::detail
