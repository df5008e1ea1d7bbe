#include "engine/latency_histogram.hpp"

#include <algorithm>
#include <cmath>

namespace s3up::engine {

int LatencyHistogram::bucket_of(std::chrono::microseconds latency) {
  const auto us = std::max<std::int64_t>(latency.count(), 1);
  const int b = static_cast<int>(std::floor(std::log2(static_cast<double>(us)) * kPerOctave));
  return std::clamp(b, 0, kBuckets - 1);
}

double LatencyHistogram::bucket_middle(int bucket) {
  return std::exp2((bucket + 0.5) / kPerOctave);
}

void LatencyHistogram::record(std::chrono::microseconds latency) {
  counts_[static_cast<std::size_t>(bucket_of(latency))].fetch_add(1, std::memory_order_relaxed);
}

LatencyHistogram::Counts LatencyHistogram::snapshot() const {
  Counts out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = counts_[i].load(std::memory_order_relaxed);
  return out;
}

std::uint64_t LatencyHistogram::count(const Counts& later, const Counts& earlier) {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < later.size(); ++i)
    total += later[i] >= earlier[i] ? later[i] - earlier[i] : 0;
  return total;
}

double LatencyHistogram::quantile(const Counts& later, const Counts& earlier, double q) {
  const std::uint64_t total = count(later, earlier);
  if (total == 0) return 0;
  const double target = std::clamp(q, 0.0, 1.0) * static_cast<double>(total);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < later.size(); ++i) {
    seen += later[i] >= earlier[i] ? later[i] - earlier[i] : 0;
    if (static_cast<double>(seen) >= target && seen > 0) return bucket_middle(static_cast<int>(i));
  }
  return bucket_middle(kBuckets - 1);
}

}  // namespace s3up::engine
