#include "coro/wait_group.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdint>
#include <map>
#include <mutex>
#include <stdexcept>

#include "coro/waiter.hpp"

namespace s3up::coro {

struct WaitGroup::State {
  // Called from a waiter's cancellation slot: fails it if it is still waiting.
  void cancel(std::uint64_t id) {
    detail::Completions ready;
    std::lock_guard lock(mutex);
    auto it = waiters.find(id);
    if (it == waiters.end()) return;
    ready.add(std::move(it->second), net::error::operation_aborted);
    waiters.erase(it);
  }

  // Moves every waiter to `ready` with `ec` (mutex held).
  void wake_all(detail::Completions& ready, boost::system::error_code ec) {
    for (auto& [id, waiter] : waiters) ready.add(std::move(waiter), ec);
    waiters.clear();
  }

  mutable std::mutex mutex;
  std::size_t count = 0;
  std::uint64_t next_id = 0;
  std::map<std::uint64_t, detail::Waiter> waiters;
};

namespace {

struct InitiateWait {
  std::shared_ptr<WaitGroup::State> state;

  template <typename Handler>
  void operator()(Handler&& handler) const {
    detail::Waiter waiter = detail::make_waiter(std::forward<Handler>(handler));
    detail::Completions ready;
    std::lock_guard lock(state->mutex);
    if (state->count == 0) {
      ready.add(std::move(waiter), {});
      return;
    }
    const std::uint64_t id = state->next_id++;
    auto& stored = state->waiters.emplace(id, std::move(waiter)).first->second;
    detail::on_cancel(stored, std::weak_ptr(state), id);
  }
};

}  // namespace

WaitGroup::WaitGroup() : state_(std::make_shared<State>()) {}

WaitGroup::~WaitGroup() {
  detail::Completions ready;
  std::lock_guard lock(state_->mutex);
  state_->wake_all(ready, net::error::operation_aborted);
}

void WaitGroup::add(std::size_t n) {
  std::lock_guard lock(state_->mutex);
  state_->count += n;
}

void WaitGroup::done() {
  detail::Completions ready;
  std::lock_guard lock(state_->mutex);
  if (state_->count == 0) throw std::logic_error("WaitGroup::done() called more often than add()");
  if (--state_->count == 0) state_->wake_all(ready, {});
}

net::awaitable<void> WaitGroup::wait() {
  if (count() == 0) co_return;
  InitiateWait initiation{state_};  // named: see AsyncSemaphore::acquire
  co_await net::async_initiate<const net::use_awaitable_t<>&, void(boost::system::error_code)>(
      initiation, net::use_awaitable);
}

std::size_t WaitGroup::count() const {
  std::lock_guard lock(state_->mutex);
  return state_->count;
}

}  // namespace s3up::coro
