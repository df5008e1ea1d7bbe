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

}  // namespace s3up::engine
