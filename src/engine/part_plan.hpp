// How a file is cut into S3 multipart parts.
#pragma once
#include <cstddef>
#include <cstdint>

namespace s3up::engine {

inline constexpr std::uint64_t kMiB = 1024ull * 1024;
inline constexpr std::uint64_t kGiB = 1024ull * kMiB;
inline constexpr std::uint64_t kMinPartSize = 5 * kMiB;        // S3: every part but the last
inline constexpr std::uint64_t kMaxPartSize = 5 * kGiB;        // S3: largest part
inline constexpr std::uint64_t kMaxParts = 10'000;             // S3: most parts per upload
inline constexpr std::uint64_t kMaxObjectSize = 5ull * 1024 * kGiB;  // S3: 5 TiB
inline constexpr std::uint64_t kMaxSinglePut = 5 * kGiB;      // S3: largest PutObject

struct PartPlan {
  std::uint64_t part_size = 0;  // every part but the last has this size
  std::uint64_t part_count = 0;
  std::uint64_t last_part_size = 0;

  std::uint64_t offset(std::uint64_t part_index) const { return part_index * part_size; }
  std::uint64_t length(std::uint64_t part_index) const {
    return part_index + 1 == part_count ? last_part_size : part_size;
  }
};

// Plans the parts of an object of object_size bytes, starting from the requested part size:
// clamped to S3's 5 MiB..5 GiB, then grown (in whole MiB) until no more than 10,000 parts are
// needed. An empty object gets one empty part. Returns nullopt-like part_count 0 only when the
// object is larger than S3's maximum object size.
PartPlan plan_parts(std::uint64_t object_size, std::uint64_t requested_part_size);

// With `spread` (the part size not chosen by the user: --part-size absent), an object smaller
// than kSpreadParts parts of the requested size is cut into kSpreadParts parts instead (each a
// whole number of MiB, at least kMinPartSize, so 2-4 parts below 20 MiB): on a WAN one request
// is one TCP connection, and a file of 8-64 MiB sent alone (the last of a run, or behind a
// link shared with hundreds of connections) takes seconds where its parts on several
// connections take a fraction of that. At and above kSpreadParts parts the plan is
// plan_parts(object_size, requested_part_size).
inline constexpr std::uint64_t kSpreadParts = 4;
PartPlan plan_parts(std::uint64_t object_size, std::uint64_t requested_part_size, bool spread);

// How many connections to open ahead for `parts` parts about to be sent, each holding
// `part_memory` bytes while under way (a streamed part's window, kStreamMemory) (opened while
// CreateMultipartUpload is under way, so that the parts do not then wait for TCP's and TLS's
// round trips): as many parts as can be under way at once, those whose memory fits in
// `max_memory`, and no more than `limit` (the most requests in flight the run may reach:
// --concurrency N, or auto's ceiling) leaves beyond the connections `open` already (open, or
// being opened).
std::size_t connections_for_parts(std::uint64_t parts, std::uint64_t part_memory,
                                  std::uint64_t max_memory, std::size_t limit, std::size_t open);

}  // namespace s3up::engine
