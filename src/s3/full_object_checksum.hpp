// Multipart checksums from the parts' checksums. A multipart upload created with
// x-amz-checksum-type: FULL_OBJECT (CRC32, CRC32C, CRC64NVME) stores the CRC of the whole object,
// the same value a single PUT of the file stores; one created COMPOSITE (the only type SHA-256
// has) stores the checksum of the parts' binary checksums followed by "-<part count>".
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "s3/checksum.hpp"

namespace s3up::s3 {

// Whether a multipart upload with `algorithm` can (and then does) store a full-object
// checksum: the CRCs, whose values combine.
bool supports_full_object(ChecksumAlgorithm algorithm);

// "FULL_OBJECT" or "COMPOSITE", the value of x-amz-checksum-type for a multipart upload with
// `algorithm` ("" for Md5 and None, which send no algorithm).
std::string_view multipart_checksum_type(ChecksumAlgorithm algorithm);

// One part as the full-object or composite checksum needs it: its checksum (base64, as S3 writes
// it) and its length in bytes.
struct PartChecksum {
  std::string_view value;
  std::uint64_t length = 0;
};

// The CRC of the parts' bytes in order (base64), combined from their CRCs without the bytes
// (util/crc_combine.hpp). nullopt when the algorithm is not a CRC, there are no parts, or a value
// is not a base64 CRC of that algorithm.
std::optional<std::string> full_object_checksum(ChecksumAlgorithm algorithm,
                                                std::span<const PartChecksum> parts);

// "<checksum of the parts' decoded checksums>-<count>", as S3 computes a COMPOSITE checksum.
// nullopt when there are no parts, the algorithm sends no checksum, or a value is not base64.
std::optional<std::string> composite_checksum(ChecksumAlgorithm algorithm,
                                              std::span<const PartChecksum> parts);

}  // namespace s3up::s3
