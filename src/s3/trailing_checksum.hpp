// A streamed body's flexible checksum sent after it, in an aws-chunked trailer
// (x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER, over HTTPS), as the AWS SDKs send
// large uploads: the checksum is computed from the bytes as they are sent, so the file is read
// once instead of twice (a first pass for a checksum header, then the body).
//
// The request carries Content-Encoding: aws-chunked, x-amz-decoded-content-length (the file's
// size), x-amz-trailer and x-amz-sdk-checksum-algorithm (S3Protocol::prepare adds them); its body
// is the file in chunks, then "0\r\n", "x-amz-checksum-crc32c:<base64>\r\n" and "\r\n"
// (PayloadBody frames it).
#pragma once
#include "net/payload_body.hpp"
#include "s3/checksum.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace s3up::s3 {

inline constexpr std::string_view kUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

class TrailingChecksum final : public http::BodyTrailer {
 public:
  // algorithm: a flexible checksum (not None, not Md5: Content-MD5 has no trailer form).
  explicit TrailingChecksum(ChecksumAlgorithm algorithm);

  void restart() override;
  void consume(std::span<const char> bytes) override;
  std::string lines() override;
  std::size_t size() const override { return size_; }

  ChecksumAlgorithm algorithm() const { return algorithm_; }
  // The value the trailer carried: "" until the whole body was sent.
  const std::string& value() const { return value_; }

 private:
  ChecksumAlgorithm algorithm_;
  std::optional<Checksummer> sum_;
  std::string value_;
  std::size_t size_;
};

}  // namespace s3up::s3
