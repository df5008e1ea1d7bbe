// Asynchronous counting semaphore for coroutines: the request throttle and the memory budget.
// Thread-safe: may be used from an io_context run by several threads at once.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace s3up::coro {

namespace net = boost::asio;

class AsyncSemaphore {
 public:
  // A semaphore with `permits` permits, all available. A capacity of 0 pauses all acquisitions
  // of one permit or more until set_capacity() grows it.
  explicit AsyncSemaphore(std::size_t permits);
  // Fails the waiters still queued with operation_aborted (as close() does). The semaphore must
  // outlive every coroutine that holds its permits or awaits acquire().
  ~AsyncSemaphore();
  AsyncSemaphore(const AsyncSemaphore&) = delete;
  AsyncSemaphore& operator=(const AsyncSemaphore&) = delete;

  // Waits until `n` permits are available and takes them. Waiters are served strictly FIFO: a
  // large request at the head blocks later small ones, so none starves. A request larger than
  // capacity() (but capacity() > 0) is granted when no permit at all is in use: it then runs
  // alone, in_use() temporarily exceeding capacity(), instead of deadlocking. n == 0 completes at
  // once. Completes without suspending when the permits are free and nobody waits; otherwise the
  // coroutine resumes through its executor (never inline inside release()).
  // Throws boost::system::system_error(operation_aborted) if close() is or was called, or if the
  // awaiting operation is cancelled (any cancellation type, delivered through its cancellation
  // slot: co_spawn with bind_cancellation_slot, awaitable_operators `||`, ...): a cancelled
  // waiter holds nothing. A cancellation arriving after the grant but before the coroutine
  // resumed also releases the permits and throws. As Asio requires, emit cancellation signals
  // on the awaiting coroutine's executor (or strand).
  // Once it returned, the caller owns n permits and must release(n) them: prefer
  // acquire_permit(), whose Permit also releases them when its result is discarded (e.g. by a
  // `||` whose other side won just after the grant).
  net::awaitable<void> acquire(std::size_t n = 1);

  // Takes `n` permits if they are available now and nobody is waiting (no barging past queued
  // waiters); returns whether it did. Returns false after close(); true for n == 0.
  bool try_acquire(std::size_t n = 1);

  // Returns `n` permits and grants queued waiters that now fit, in FIFO order. Releasing more
  // than in_use() is a bug (asserted; in_use() is clamped to 0 in release builds).
  void release(std::size_t n = 1);

  // Fails all current and future waiters with operation_aborted. Held permits may still be
  // released. Idempotent.
  void close();

  // Grows or shrinks the total. Growing grants waiters at once; shrinking takes effect as
  // permits are released (holders keep what they have).
  void set_capacity(std::size_t permits);

  std::size_t capacity() const;
  std::size_t available() const;  // capacity() - in_use(), or 0 when in use exceeds capacity
  std::size_t waiting() const;    // number of queued waiters
  std::size_t in_use() const;     // permits currently held
  // Acquisitions so far that found no permit free (or others queued) and had to queue, granted
  // or not since: a counter that only grows, so that a sampler can tell whether anyone waited
  // between two looks even when nobody waits at either.
  std::uint64_t queued_total() const;
  bool closed() const;

  struct State;  // shared with the cancellation hooks installed in waiters' slots

 private:
  std::shared_ptr<State> state_;
};

// RAII ownership of permits of an AsyncSemaphore. Move-only; releases its permits on
// destruction unless release() was called already.
class Permit {
 public:
  Permit() noexcept = default;  // holds nothing
  // Adopts `n` permits the caller already acquired from `semaphore`.
  Permit(AsyncSemaphore& semaphore, std::size_t n) noexcept;
  Permit(Permit&& other) noexcept;
  Permit& operator=(Permit&& other) noexcept;  // releases what *this held first
  ~Permit();

  // Releases the permits now; does nothing if they were released already.
  void release() noexcept;

  std::size_t count() const noexcept { return count_; }  // permits held (0 once released)
  explicit operator bool() const noexcept { return semaphore_ != nullptr && count_ != 0; }

 private:
  AsyncSemaphore* semaphore_ = nullptr;
  std::size_t count_ = 0;
};

// Acquires `n` permits (as AsyncSemaphore::acquire, same exceptions) and returns them as a
// Permit. `semaphore` must outlive the Permit.
net::awaitable<Permit> acquire_permit(AsyncSemaphore& semaphore, std::size_t n = 1);

}  // namespace s3up::coro
