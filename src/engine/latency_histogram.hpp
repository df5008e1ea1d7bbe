// Request latencies, counted lock-free in logarithmic buckets (8 per power of two, so a
// quantile is known within about 9%), for the adaptive concurrency controller: quantiles are
// taken over the values recorded between two snapshots.
#pragma once
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace s3up::engine {

class LatencyHistogram {
 public:
  static constexpr int kPerOctave = 8;
  static constexpr int kBuckets = kPerOctave * 40;  // 1 µs to 2^40 µs (12 days)
  using Counts = std::array<std::uint64_t, kBuckets>;

  // Thread-safe, wait-free.
  void record(std::chrono::microseconds latency);
  Counts snapshot() const;

  // The q-quantile (0 < q <= 1) of the values recorded between `earlier` and `later` (two
  // snapshots, or `earlier` all zeros), in microseconds: the geometric middle of the bucket
  // holding it. 0 when nothing was recorded in between.
  static double quantile(const Counts& later, const Counts& earlier, double q);
  static std::uint64_t count(const Counts& later, const Counts& earlier);

  static int bucket_of(std::chrono::microseconds latency);
  static double bucket_middle(int bucket);

 private:
  std::array<std::atomic<std::uint64_t>, kBuckets> counts_{};
};

}  // namespace s3up::engine
