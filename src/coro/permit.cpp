// Permit (RAII ownership of semaphore permits) and acquire_permit().
#include <utility>

#include "coro/semaphore.hpp"

namespace s3up::coro {

Permit::Permit(AsyncSemaphore& semaphore, std::size_t n) noexcept
    : semaphore_(&semaphore), count_(n) {}

Permit::Permit(Permit&& other) noexcept
    : semaphore_(std::exchange(other.semaphore_, nullptr)),
      count_(std::exchange(other.count_, 0)) {}

Permit& Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    release();
    semaphore_ = std::exchange(other.semaphore_, nullptr);
    count_ = std::exchange(other.count_, 0);
  }
  return *this;
}

Permit::~Permit() { release(); }

void Permit::release() noexcept {
  if (semaphore_ != nullptr && count_ != 0) semaphore_->release(count_);
  semaphore_ = nullptr;
  count_ = 0;
}

net::awaitable<Permit> acquire_permit(AsyncSemaphore& semaphore, std::size_t n) {
  co_await semaphore.acquire(n);
  co_return Permit(semaphore, n);
}

}  // namespace s3up::coro
