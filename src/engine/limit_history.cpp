#include "engine/limit_history.hpp"

namespace s3up::engine {

void LimitHistory::start(std::size_t limit) {
  std::lock_guard lock(mutex_);
  t0_ = std::chrono::steady_clock::now();
  points_.clear();
  started_ = true;
  finished_ = false;
  add(limit);
}

void LimitHistory::record(std::size_t limit) {
  std::lock_guard lock(mutex_);
  if (!started_ || finished_ || points_.back().limit == limit) return;
  add(limit);
}

void LimitHistory::finish(std::size_t limit) {
  std::lock_guard lock(mutex_);
  if (!started_ || finished_) return;
  add(limit);
  finished_ = true;
}

std::vector<LimitPoint> LimitHistory::points() const {
  std::lock_guard lock(mutex_);
  return points_;
}

void LimitHistory::add(std::size_t limit) {
  if (points_.size() >= kMaxPoints) {
    // Keep the first point and every other one after it.
    std::size_t kept = 1;
    for (std::size_t i = 2; i < points_.size(); i += 2) points_[kept++] = points_[i];
    points_.resize(kept);
  }
  const std::chrono::duration<double> since = std::chrono::steady_clock::now() - t0_;
  points_.push_back({since.count(), limit});
}

}  // namespace s3up::engine
