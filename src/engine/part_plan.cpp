#include "engine/part_plan.hpp"

#include <algorithm>

namespace s3up::engine {

PartPlan plan_parts(std::uint64_t object_size, std::uint64_t requested_part_size) {
  PartPlan plan;
  if (object_size > kMaxObjectSize) return plan;
  std::uint64_t part = std::clamp(requested_part_size, kMinPartSize, kMaxPartSize);
  if ((object_size + part - 1) / part > kMaxParts) {
    // The smallest whole-MiB part size that fits the object in 10,000 parts.
    const std::uint64_t needed = (object_size + kMaxParts - 1) / kMaxParts;
    part = std::min(kMaxPartSize, (needed + kMiB - 1) / kMiB * kMiB);
  }
  plan.part_size = part;
  plan.part_count = object_size == 0 ? 1 : (object_size + part - 1) / part;
  plan.last_part_size = object_size - (plan.part_count - 1) * part;
  return plan;
}

PartPlan plan_parts(std::uint64_t object_size, std::uint64_t requested_part_size, bool spread) {
  if (spread && object_size < kSpreadParts * requested_part_size) {
    const std::uint64_t share = (object_size + kSpreadParts - 1) / kSpreadParts;
    requested_part_size = std::max(kMinPartSize, (share + kMiB - 1) / kMiB * kMiB);
  }
  return plan_parts(object_size, requested_part_size);
}

std::size_t connections_for_parts(std::uint64_t parts, std::uint64_t part_memory,
                                  std::uint64_t max_memory, std::size_t limit, std::size_t open) {
  if (open >= limit) return 0;
  const std::uint64_t fit =
      std::max<std::uint64_t>(1, max_memory / std::max<std::uint64_t>(part_memory, 1));
  return static_cast<std::size_t>(std::min<std::uint64_t>({parts, fit, limit - open}));
}

}  // namespace s3up::engine
