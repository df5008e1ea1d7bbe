#include "engine/retry.hpp"

#include <algorithm>
#include <random>

namespace s3up::engine {

std::chrono::milliseconds RetryPolicy::delay(int retry) const {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const int shift = std::clamp(retry - 1, 0, 30);
  const std::int64_t ceiling =
      std::min<std::int64_t>(cap.count(), base.count() * (std::int64_t{1} << shift));
  std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(ceiling, 0));
  return std::chrono::milliseconds(pick(rng));
}

}  // namespace s3up::engine
