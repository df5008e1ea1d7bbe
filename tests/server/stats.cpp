#include "server/stats.hpp"

#include <boost/json.hpp>

namespace s3up::testserver {

std::string_view operation_name(Operation op) {
  static constexpr std::string_view names[] = {
      "PutObject",        "CreateMultipartUpload", "UploadPart",        "CompleteMultipartUpload",
      "AbortMultipartUpload", "ListMultipartUploads", "ListParts",     "ListObjectsV2",
      "HeadObject",       "GetObject",             "DeleteObject",      "CreateBucket",
      "HeadBucket",       "ListBuckets",           "GetBucketLocation", "Unknown"};
  static_assert(std::size(names) == static_cast<std::size_t>(Operation::Count_));
  return names[static_cast<std::size_t>(op)];
}

void Stats::reset() {
  requests_ = 0;
  for (auto& n : by_op_) n = 0;
  faults_ = 0;
  bytes_ = 0;
}

std::string Stats::to_json(std::uint64_t objects, std::uint64_t open_uploads) const {
  boost::json::object by_op;
  for (std::size_t i = 0; i < by_op_.size(); ++i) {
    by_op[operation_name(static_cast<Operation>(i))] = by_op_[i].load(std::memory_order_relaxed);
  }
  boost::json::object o;
  o["requests"] = requests_.load(std::memory_order_relaxed);
  o["by_operation"] = std::move(by_op);
  o["faults_injected"] = faults_.load(std::memory_order_relaxed);
  o["bytes_received"] = bytes_.load(std::memory_order_relaxed);
  o["objects"] = objects;
  o["open_uploads"] = open_uploads;
  return boost::json::serialize(o);
}

}  // namespace s3up::testserver
