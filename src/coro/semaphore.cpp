#include "coro/semaphore.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <cassert>
#include <cstdint>
#include <map>
#include <mutex>

#include "coro/waiter.hpp"

namespace s3up::coro {

// All mutable state, under one mutex. Shared so that cancellation hooks left in waiters'
// cancellation slots (held weakly) never outlive what they point to.
struct AsyncSemaphore::State {
  struct Queued {
    std::size_t n;
    detail::Waiter waiter;
  };

  explicit State(std::size_t permits) : capacity(permits) {}

  // Whether a request for n permits may be granted now (mutex held).
  bool fits(std::size_t n) const {
    if (n <= capacity) return in_use + n <= capacity;
    return capacity > 0 && in_use == 0;  // oversize request: runs alone
  }

  // Grants queued waiters in FIFO order while the head fits (mutex held).
  void grant(detail::Completions& ready) {
    while (!queue.empty()) {
      auto head = queue.begin();
      if (!fits(head->second.n)) break;
      in_use += head->second.n;
      ready.add(std::move(head->second.waiter), {});
      queue.erase(head);
    }
  }

  // Called from a waiter's cancellation slot: fails it if it is still queued.
  void cancel(std::uint64_t id) {
    detail::Completions ready;
    std::lock_guard lock(mutex);
    auto it = queue.find(id);
    if (it == queue.end()) return;  // granted (or failed) already: nothing to undo here
    const bool was_head = it == queue.begin();
    ready.add(std::move(it->second.waiter), net::error::operation_aborted);
    queue.erase(it);
    if (was_head) grant(ready);  // a large head may have been blocking smaller ones
  }

  mutable std::mutex mutex;
  std::size_t capacity;
  std::size_t in_use = 0;
  bool closed = false;
  std::uint64_t next_id = 0;  // also the number of acquisitions that queued (queued_total)
  std::map<std::uint64_t, Queued> queue;  // keyed by arrival: begin() is the head
};

namespace {

// async_initiate initiation of AsyncSemaphore::acquire's suspension.
struct InitiateAcquire {
  std::shared_ptr<AsyncSemaphore::State> state;
  std::size_t n;

  template <typename Handler>
  void operator()(Handler&& handler) const {
    detail::Waiter waiter = detail::make_waiter(std::forward<Handler>(handler));
    detail::Completions ready;
    std::lock_guard lock(state->mutex);
    if (state->closed) {
      ready.add(std::move(waiter), net::error::operation_aborted);
    } else if (state->queue.empty() && state->fits(n)) {
      state->in_use += n;
      ready.add(std::move(waiter), {});
    } else {
      const std::uint64_t id = state->next_id++;
      auto& queued = state->queue.emplace(id, AsyncSemaphore::State::Queued{n, std::move(waiter)})
                         .first->second;
      detail::on_cancel(queued.waiter, std::weak_ptr(state), id);
    }
  }
};

[[noreturn]] void throw_aborted() {
  throw boost::system::system_error(net::error::operation_aborted, "semaphore acquire");
}

}  // namespace

AsyncSemaphore::AsyncSemaphore(std::size_t permits) : state_(std::make_shared<State>(permits)) {}

AsyncSemaphore::~AsyncSemaphore() { close(); }

net::awaitable<void> AsyncSemaphore::acquire(std::size_t n) {
  if (n == 0) co_return;
  if (try_acquire(n)) co_return;
  auto cancellation = co_await net::this_coro::cancellation_state;
  const bool cancelled_before = cancellation.cancelled() != net::cancellation_type::none;
  // Named on purpose: GCC 12 destroys a temporary initiation passed to async_initiate inside a
  // co_await expression once too often (here: a double release of the shared state).
  InitiateAcquire initiation{state_, n};
  try {
    co_await net::async_initiate<const net::use_awaitable_t<>&, void(boost::system::error_code)>(
        initiation, net::use_awaitable);
  } catch (const boost::system::system_error& e) {
    if (e.code() == net::error::operation_aborted) throw_aborted();
    throw;
  }
  // Granted, but the cancellation may have been requested after the grant was decided.
  if (!cancelled_before && cancellation.cancelled() != net::cancellation_type::none) {
    release(n);
    throw_aborted();
  }
}

bool AsyncSemaphore::try_acquire(std::size_t n) {
  std::lock_guard lock(state_->mutex);
  if (state_->closed) return false;
  if (n == 0) return true;
  if (!state_->queue.empty() || !state_->fits(n)) return false;
  state_->in_use += n;
  return true;
}

void AsyncSemaphore::release(std::size_t n) {
  detail::Completions ready;
  std::lock_guard lock(state_->mutex);
  assert(n <= state_->in_use && "released more permits than held");
  state_->in_use -= std::min(n, state_->in_use);
  state_->grant(ready);
}

void AsyncSemaphore::close() {
  detail::Completions ready;
  std::lock_guard lock(state_->mutex);
  state_->closed = true;
  for (auto& [id, queued] : state_->queue) {
    ready.add(std::move(queued.waiter), net::error::operation_aborted);
  }
  state_->queue.clear();
}

void AsyncSemaphore::set_capacity(std::size_t permits) {
  detail::Completions ready;
  std::lock_guard lock(state_->mutex);
  state_->capacity = permits;
  state_->grant(ready);
}

std::size_t AsyncSemaphore::capacity() const {
  std::lock_guard lock(state_->mutex);
  return state_->capacity;
}

std::size_t AsyncSemaphore::available() const {
  std::lock_guard lock(state_->mutex);
  return state_->in_use < state_->capacity ? state_->capacity - state_->in_use : 0;
}

std::size_t AsyncSemaphore::waiting() const {
  std::lock_guard lock(state_->mutex);
  return state_->queue.size();
}

std::size_t AsyncSemaphore::in_use() const {
  std::lock_guard lock(state_->mutex);
  return state_->in_use;
}

std::uint64_t AsyncSemaphore::queued_total() const {
  std::lock_guard lock(state_->mutex);
  return state_->next_id;
}

bool AsyncSemaphore::closed() const {
  std::lock_guard lock(state_->mutex);
  return state_->closed;
}

}  // namespace s3up::coro
