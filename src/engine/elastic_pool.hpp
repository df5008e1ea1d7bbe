// The threaded engine's worker threads with a limit that can move (--concurrency auto).
//
// ElasticPool starts threads on demand, up to the limit; each calls wait_turn before taking an
// item, where a worker numbered at or above the limit parks (holding no connection) until the
// limit comes back up. PoolController is the threaded engine's sampling loop around the same
// AdaptiveConcurrency policy as the async engine's ConcurrencyController: one thread, one
// window at a time, applying the limit to the pool.
#pragma once
#include "engine/adaptive_concurrency.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace s3up::engine {

class ElasticPool {
 public:
  using Body = std::function<void(ElasticPool&, std::size_t index)>;
  // `body(pool, index)` is one worker's whole life; it calls pool.wait_turn(index) before each
  // item. `limit` threads start at once. `lowered` is called (without the pool's lock) after each
  // fall of the limit: workers waiting for an item elsewhere (WorkQueue::pop) check
  // within_limit again, so that a worker above the new limit takes none.
  ElasticPool(std::size_t limit, Body body, std::function<void()> lowered = {});
  ~ElasticPool();
  ElasticPool(const ElasticPool&) = delete;
  ElasticPool& operator=(const ElasticPool&) = delete;

  // Moves the limit (at least 1), starting threads up to it unless closed. Thread-safe.
  void set_limit(std::size_t limit);
  std::size_t limit() const;
  // Whether worker `index` is below the limit (may take an item).
  bool within_limit(std::size_t index) const;
  std::size_t started() const;
  // Starts threads up to `n` (beyond the limit) unless closed: a worker started so, while still
  // at or above the limit, finds ahead_of_limit(index) true, readies what it will need (a
  // connection, pooled for whichever worker sends next: see
  // AdaptiveConcurrency::connections_ahead) and parks until the limit reaches
  // it. Threads started by set_limit are never ahead, even when a cut left them above it.
  void start_ahead(std::size_t n);
  // The same for `n` threads more than are started now.
  void add_ahead(std::size_t n);
  bool ahead_of_limit(std::size_t index) const;

  // Parks worker `index` while it is at or above the limit. Returns false when the worker should
  // end: the pool is closed and the worker is above the limit.
  bool wait_turn(std::size_t index);

  // No more parking: workers above the limit end; the others end when their body returns.
  void close();
  // Closes and waits for every thread.
  void join();

 private:
  void start_up_to(std::size_t n, bool ahead);  // with mutex_ held

  Body body_;
  std::function<void()> lowered_;
  mutable std::mutex mutex_;
  std::condition_variable turn_;
  std::size_t limit_;
  bool closed_ = false;
  std::vector<std::thread> threads_;
  std::vector<bool> started_ahead_;  // by index: started by start_ahead
};

class PoolController {
 public:
  // `saturated()` says whether work is waiting for a worker; `in_sight()` counts the requests in
  // flight and the work waiting (workers are started ahead for no more than that; empty: no
  // bound); `written` gives the transport's bytes written. `report` and `pool` must outlive the
  // controller. S3UP_DEBUG_CONCURRENCY prints every window, as in the async engine.
  PoolController(ElasticPool& pool, const Report& report, WrittenSource written,
                 AdaptiveConfig config, std::function<bool()> saturated,
                 std::function<std::uint64_t()> in_sight,
                 std::chrono::milliseconds window = kSlowStartWindow);
  ~PoolController();
  PoolController(const PoolController&) = delete;
  PoolController& operator=(const PoolController&) = delete;

  void start();
  void stop();  // idempotent; waits for the loop's thread

  // AdaptiveConcurrency::request_size_hint, applied to the pool. Thread-safe.
  void request_size_hint(std::uint64_t bytes);

  std::size_t limit() const { return limit_.load(); }
  std::size_t peak() const { return peak_.load(); }
  // The limit's course from start() to stop() (LimitHistory).
  std::vector<LimitPoint> history() const { return history_.points(); }

 private:
  void loop();

  ElasticPool& pool_;
  WindowSampler sampler_;
  AdaptiveConcurrency policy_;
  std::function<bool()> saturated_;
  std::function<std::uint64_t()> in_sight_;
  std::chrono::milliseconds window_;
  std::atomic<std::size_t> limit_;
  std::atomic<std::size_t> peak_;
  LimitHistory history_;
  const bool debug_;  // S3UP_DEBUG_CONCURRENCY
  std::mutex mutex_;  // held by the loop except while it waits; guards policy_
  std::condition_variable wake_;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace s3up::engine
