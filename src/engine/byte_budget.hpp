// A blocking, FIFO, weighted semaphore counting bytes: the threaded engine's --max-memory. The
// same rules as the async engine's AsyncSemaphore: waiters are served strictly in order (a large
// request at the head holds back later small ones, so none starves), and a request larger than
// the capacity is granted when nothing is in use, running alone instead of deadlocking.
// Thread-safe.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace s3up::engine {

class ByteBudget {
 public:
  explicit ByteBudget(std::uint64_t capacity) : capacity_(capacity) {}
  ByteBudget(const ByteBudget&) = delete;
  ByteBudget& operator=(const ByteBudget&) = delete;

  // Blocks until `n` bytes fit (in FIFO order) and takes them. n == 0 returns at once.
  void acquire(std::uint64_t n);
  // Takes `n` bytes if they fit now and nobody waits.
  bool try_acquire(std::uint64_t n);
  void release(std::uint64_t n);

  std::uint64_t capacity() const { return capacity_; }
  std::uint64_t in_use() const;
  std::uint64_t waiting() const;

 private:
  bool fits(std::uint64_t n) const;

  const std::uint64_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::uint64_t in_use_ = 0;
  std::uint64_t next_ticket_ = 0;  // handed to the next waiter
  std::uint64_t serving_ = 0;      // the ticket at the head of the line
};

// Bytes of a ByteBudget held for a scope.
class BudgetHold {
 public:
  BudgetHold(ByteBudget& budget, std::uint64_t n) : budget_(budget), n_(n) { budget_.acquire(n_); }
  ~BudgetHold() { budget_.release(n_); }
  BudgetHold(const BudgetHold&) = delete;
  BudgetHold& operator=(const BudgetHold&) = delete;

 private:
  ByteBudget& budget_;
  std::uint64_t n_;
};

}  // namespace s3up::engine
