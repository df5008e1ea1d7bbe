#include "engine/elastic_pool.hpp"

#include <algorithm>

namespace s3up::engine {

// ---- ElasticPool --------------------------------------------------------------------------

ElasticPool::ElasticPool(std::size_t limit, Body body, std::function<void()> lowered)
    : body_(std::move(body)),
      lowered_(std::move(lowered)),
      limit_(std::max<std::size_t>(1, limit)) {
  std::lock_guard lock(mutex_);
  start_up_to(limit_, false);
}

ElasticPool::~ElasticPool() { join(); }

void ElasticPool::start_up_to(std::size_t n, bool ahead) {
  threads_.reserve(n);
  while (threads_.size() < n) {
    const std::size_t index = threads_.size();
    started_ahead_.push_back(ahead);
    threads_.emplace_back([this, index] { body_(*this, index); });
  }
}

void ElasticPool::set_limit(std::size_t limit) {
  bool lowered = false;
  {
    std::lock_guard lock(mutex_);
    lowered = std::max<std::size_t>(1, limit) < limit_;
    limit_ = std::max<std::size_t>(1, limit);
    if (!closed_) start_up_to(limit_, false);  // a closed pool is winding down: no new threads
    turn_.notify_all();
  }
  // Outside the lock: the callee takes its own, under which it calls within_limit.
  if (lowered && lowered_) lowered_();
}

std::size_t ElasticPool::limit() const {
  std::lock_guard lock(mutex_);
  return limit_;
}

bool ElasticPool::within_limit(std::size_t index) const {
  std::lock_guard lock(mutex_);
  return index < limit_;
}

std::size_t ElasticPool::started() const {
  std::lock_guard lock(mutex_);
  return threads_.size();
}

void ElasticPool::start_ahead(std::size_t n) {
  std::lock_guard lock(mutex_);
  if (!closed_) start_up_to(n, true);
}

void ElasticPool::add_ahead(std::size_t n) {
  std::lock_guard lock(mutex_);
  if (!closed_) start_up_to(threads_.size() + n, true);
}

bool ElasticPool::ahead_of_limit(std::size_t index) const {
  std::lock_guard lock(mutex_);
  // A thread started for a limit that was cut before it ran is not ahead: it parks with nothing
  // readied (CI saw 394 'opened ahead' on loopback when 1,024 threads started for a limit cut
  // to 512 a window later).
  return index < started_ahead_.size() && started_ahead_[index] && index >= limit_;
}

bool ElasticPool::wait_turn(std::size_t index) {
  std::unique_lock lock(mutex_);
  turn_.wait(lock, [&] { return closed_ || index < limit_; });
  return index < limit_;
}

void ElasticPool::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  turn_.notify_all();
}

void ElasticPool::join() {
  close();
  // Threads are only added under the mutex and never once closed; join outside the lock so
  // that workers can take it.
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    threads.swap(threads_);
  }
  for (auto& t : threads)
    if (t.joinable()) t.join();
}

// ---- PoolController -----------------------------------------------------------------------

PoolController::PoolController(ElasticPool& pool, const Report& report, WrittenSource written,
                               AdaptiveConfig config, std::function<bool()> saturated,
                               std::function<std::uint64_t()> in_sight,
                               std::chrono::milliseconds window)
    : pool_(pool),
      sampler_(report, std::move(written)),
      policy_(config),
      saturated_(std::move(saturated)),
      in_sight_(std::move(in_sight)),
      window_(window),
      limit_(policy_.limit()),
      peak_(policy_.peak()),
      debug_(debug_concurrency()) {}

PoolController::~PoolController() { stop(); }

void PoolController::start() {
  pool_.set_limit(policy_.limit());
  history_.start(policy_.limit());
  thread_ = std::thread([this] { loop(); });
}

void PoolController::stop() {
  {
    std::lock_guard lock(mutex_);
    history_.finish(policy_.limit());  // once: later calls record nothing
    stopped_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PoolController::request_size_hint(std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  if (stopped_ || !policy_.request_size_hint(bytes)) return;
  const std::size_t limit = policy_.limit();
  pool_.set_limit(limit);
  limit_ = limit;
  history_.record(limit);
  if (debug_) print_start(bytes, limit);
}

void PoolController::loop() {
  sampler_.mark();
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, window_, [this] { return stopped_; })) {
    const Window w = sampler_.take(saturated_());
    sampler_.mark();
    const Decision d = policy_.observe(w);
    const std::size_t limit = policy_.limit();
    if (limit != pool_.limit()) pool_.set_limit(limit);
    limit_ = limit;
    peak_ = policy_.peak();
    history_.record(limit);
    if (debug_) print_window(w, d, limit);
    // One connection a worker: connections ahead are workers started ahead.
    const std::size_t ahead = in_sight_ ? policy_.connections_ahead(in_sight_())
                                        : policy_.connections_ahead();
    if (ahead > pool_.started())
      pool_.start_ahead(ahead);
    window_ = following_window(policy_, w, window_);
  }
}

}  // namespace s3up::engine
