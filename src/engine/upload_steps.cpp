#include "engine/upload_steps.hpp"

namespace s3up::engine::steps {

void add_checksum_headers(s3::Headers& headers, const BodyChecks& checks, const ReadDigest& read,
                          bool sdk_algorithm) {
  if (checks.flexible != s3::ChecksumAlgorithm::None) {
    headers.emplace_back(std::string(s3::header_name(checks.flexible)), read.checksum);
    // Named as the SDKs name it: some S3 implementations (moto) store the checksum, and return
    // it to HeadObject for --sync-checksum, only with this header.
    if (sdk_algorithm)
      headers.emplace_back("x-amz-sdk-checksum-algorithm",
                           std::string(s3::algorithm_header_value(checks.flexible)));
  }
  if (checks.content_md5) headers.emplace_back("Content-MD5", read.md5);
}

s3::Headers put_headers(const UploadOptions& opt, const walker::Entry& entry,
                        const BodyChecks& checks, const ReadDigest& read) {
  s3::Headers headers = s3::object_headers(opt.object, entry.rel, entry.mtime_ns);
  add_checksum_headers(headers, checks, read, /*sdk_algorithm=*/true);
  return headers;
}

void MultipartUpload::checked(Integrity level) {
  int seen = integrity.load();
  while (static_cast<int>(level) < seen &&
         !integrity.compare_exchange_weak(seen, static_cast<int>(level))) {
  }
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
