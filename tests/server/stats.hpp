// Request counters served as JSON on GET /__stats.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace s3up::testserver {

enum class Operation {
  PutObject,
  CreateMultipartUpload,
  UploadPart,
  CompleteMultipartUpload,
  AbortMultipartUpload,
  ListMultipartUploads,
  ListParts,
  ListObjectsV2,
  HeadObject,
  GetObject,
  DeleteObject,
  CreateBucket,
  HeadBucket,
  ListBuckets,
  GetBucketLocation,
  Unknown,
  Count_
};

std::string_view operation_name(Operation op);

class Stats {
 public:
  void count_request(Operation op) {
    requests_.fetch_add(1, std::memory_order_relaxed);
    by_op_[static_cast<std::size_t>(op)].fetch_add(1, std::memory_order_relaxed);
  }
  void count_fault() { faults_.fetch_add(1, std::memory_order_relaxed); }
  void count_bytes(std::uint64_t n) { bytes_.fetch_add(n, std::memory_order_relaxed); }
  void reset();

  // {"requests":..,"by_operation":{..},"faults_injected":..,"bytes_received":..,
  //  "objects":..,"open_uploads":..}; by_operation lists every operation, 0 for unseen ones.
  std::string to_json(std::uint64_t objects, std::uint64_t open_uploads) const;

 private:
  std::atomic<std::uint64_t> requests_{0};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Operation::Count_)> by_op_{};
  std::atomic<std::uint64_t> faults_{0};
  std::atomic<std::uint64_t> bytes_{0};
};

}  // namespace s3up::testserver
