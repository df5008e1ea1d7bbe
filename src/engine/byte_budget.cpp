#include "engine/byte_budget.hpp"

#include <cassert>

namespace s3up::engine {

bool ByteBudget::fits(std::uint64_t n) const {
  if (n <= capacity_) return in_use_ + n <= capacity_;
  return in_use_ == 0;  // oversize: runs alone
}

void ByteBudget::acquire(std::uint64_t n) {
  if (n == 0) return;
  std::unique_lock lock(mutex_);
  const std::uint64_t ticket = next_ticket_++;
  cv_.wait(lock, [&] { return ticket == serving_ && fits(n); });
  in_use_ += n;
  ++serving_;
  // The next in line may fit too.
  cv_.notify_all();
}

bool ByteBudget::try_acquire(std::uint64_t n) {
  if (n == 0) return true;
  std::lock_guard lock(mutex_);
  if (serving_ != next_ticket_ || !fits(n)) return false;
  in_use_ += n;
  return true;
}

void ByteBudget::release(std::uint64_t n) {
  if (n == 0) return;
  {
    std::lock_guard lock(mutex_);
    assert(n <= in_use_);
    in_use_ = n <= in_use_ ? in_use_ - n : 0;
  }
  cv_.notify_all();
}

std::uint64_t ByteBudget::in_use() const {
  std::lock_guard lock(mutex_);
  return in_use_;
}

std::uint64_t ByteBudget::waiting() const {
  std::lock_guard lock(mutex_);
  return next_ticket_ - serving_;
}

}  // namespace s3up::engine
