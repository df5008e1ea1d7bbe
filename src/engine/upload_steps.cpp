#include "engine/upload_steps.hpp"

namespace s3up::engine::steps {

s3::Headers put_headers(const UploadOptions& opt, const walker::Entry& entry,
                        const std::string& checksum) {
  s3::Headers headers = s3::object_headers(opt.object, entry.rel, entry.mtime_ns);
  if (opt.checksum != s3::ChecksumAlgorithm::None) {
    headers.emplace_back(std::string(s3::header_name(opt.checksum)), checksum);
    // Named as the SDKs name it: some S3 implementations (moto) store the checksum, and return
    // it to HeadObject for --sync-checksum, only with this header.
    if (auto algo = s3::algorithm_header_value(opt.checksum); !algo.empty())
      headers.emplace_back("x-amz-sdk-checksum-algorithm", std::string(algo));
  }
  return headers;
}

void MultipartUpload::fail(std::string reason) {
  std::lock_guard lock(mutex_);
  if (!failed.exchange(true)) failure_ = std::move(reason);
}

std::string MultipartUpload::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

std::optional<std::uint64_t> MultipartUpload::missing_part() const {
  for (std::uint64_t i = 0; i < parts.size(); ++i)
    if (parts[i].etag.empty()) return i;
  return std::nullopt;
}

}  // namespace s3up::engine::steps
