// The course of --concurrency auto's limit over a run, for the report: the limit when the
// controller started, every change after, and the limit at the end, each with the seconds
// since the start. Bounded: once kMaxPoints are held, every other point after the first is
// dropped (the whole run kept at half the resolution), so an hours-long run's report stays
// small. Thread-safe.
#pragma once
#include <chrono>
#include <cstddef>
#include <mutex>
#include <vector>

namespace s3up::engine {

struct LimitPoint {
  double seconds = 0;  // since the controller started
  std::size_t limit = 0;
};

class LimitHistory {
 public:
  static constexpr std::size_t kMaxPoints = 2048;

  // Time zero, with the limit the run starts at (a second call starts over).
  void start(std::size_t limit);
  // The limit now: recorded when it differs from the last one recorded.
  void record(std::size_t limit);
  // The run's end: the limit then, recorded even when unchanged, so that the course spans the
  // run. Nothing is recorded after it.
  void finish(std::size_t limit);

  std::vector<LimitPoint> points() const;

 private:
  void add(std::size_t limit);  // with mutex_ held

  mutable std::mutex mutex_;
  std::chrono::steady_clock::time_point t0_;
  std::vector<LimitPoint> points_;
  bool started_ = false, finished_ = false;
};

}  // namespace s3up::engine
