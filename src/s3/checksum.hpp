// The integrity checksums S3 accepts on uploads: names, header names and values.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace s3up::util {
class Sha256;
class Md5;
}  // namespace s3up::util

namespace s3up::s3 {

enum class ChecksumAlgorithm { None, Crc32c, Crc32, Sha256, Md5, Crc64nvme };

// "crc32c", "crc32", "crc64nvme", "sha256", "md5", "none", in any case. Returns nullopt for
// anything else.
std::optional<ChecksumAlgorithm> parse_checksum_algorithm(std::string_view text);

// "crc32c", "crc32", "crc64nvme", "sha256", "md5", "none": the spelling parse_checksum_algorithm
// accepts.
std::string_view to_string(ChecksumAlgorithm algorithm);

// The request header carrying the value: "x-amz-checksum-crc32c", "x-amz-checksum-crc32",
// "x-amz-checksum-crc64nvme", "x-amz-checksum-sha256", "Content-MD5"; "" for None.
std::string_view header_name(ChecksumAlgorithm algorithm);

// The value of x-amz-checksum-algorithm / x-amz-sdk-checksum-algorithm: "CRC32C", "CRC32",
// "CRC64NVME", "SHA256"; "" for Md5 (plain Content-MD5, no algorithm header) and None.
std::string_view algorithm_header_value(ChecksumAlgorithm algorithm);

// The per-part element of a CompleteMultipartUpload body: "ChecksumCRC32C", "ChecksumCRC32",
// "ChecksumCRC64NVME", "ChecksumSHA256"; "" for Md5 and None.
std::string_view xml_element(ChecksumAlgorithm algorithm);

// Every spelling parse_checksum_algorithm accepts (in lower case), "none" included: the values
// the command line offers (--help, the manual page, shell completion).
std::vector<std::string_view> checksum_algorithm_names();

// Computes a checksum over data fed in pieces. value() is the base64 of the big-endian CRC or of
// the digest, as S3 expects it in headers and XML ("" for None). Not copyable; movable (a
// moved-from Checksummer may only be destroyed or assigned to).
class Checksummer {
 public:
  explicit Checksummer(ChecksumAlgorithm algorithm);
  ~Checksummer();
  Checksummer(Checksummer&&) noexcept;
  Checksummer& operator=(Checksummer&&) noexcept;

  ChecksumAlgorithm algorithm() const { return algorithm_; }

  // Adds bytes. Throws std::logic_error after value().
  void update(std::span<const unsigned char> data);

  // Finishes and returns the value. Call once: throws std::logic_error when called again.
  std::string value();

 private:
  ChecksumAlgorithm algorithm_;
  std::uint32_t crc_ = 0;                 // Crc32c, Crc32
  std::uint64_t crc64_ = 0;               // Crc64nvme
  std::unique_ptr<util::Sha256> sha256_;  // Sha256
  std::unique_ptr<util::Md5> md5_;        // Md5
  bool finished_ = false;
};

// One-shot Checksummer: the value S3 expects for `data` ("" for None).
std::string checksum_of(ChecksumAlgorithm algorithm, std::span<const unsigned char> data);

}  // namespace s3up::s3
