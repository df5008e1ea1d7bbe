// The checksum of a multipart object, as S3 decides it: the upload's checksum type, chosen at
// CreateMultipartUpload, and at CompleteMultipartUpload either the CRC of the whole object
// (FULL_OBJECT: CRC32, CRC32C, CRC64NVME) or the checksum of the parts' checksums with "-N"
// (COMPOSITE: CRC32, CRC32C, SHA1, SHA256), checked against what the Complete request names.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "server/store.hpp"

namespace s3up::testserver {

// The type an upload gets from CreateMultipartUpload's x-amz-checksum-algorithm ("CRC32C"..., or
// "") and x-amz-checksum-type (any case, or ""): as requested, else FULL_OBJECT for CRC64NVME
// (its only type) and COMPOSITE for the others; "" without an algorithm. Throws S3Error 400
// InvalidRequest for a type the algorithm does not have, or an unknown one.
std::string upload_checksum_type(std::string_view algorithm, std::string_view requested_type);

// The checksums the completed object stores ("x-amz-checksum-crc64nvme" -> value) and their
// type, from the upload's algorithm and type and its parts (each carrying the checksums
// UploadPart verified), checked against `sent`: a checksum type other than the upload's, or a
// checksum other than the computed one, is 400 BadDigest, as S3 answers.
struct ObjectChecksums {
  Headers checksums;
  std::string type;  // "FULL_OBJECT", "COMPOSITE" or "" (none)
};
ObjectChecksums object_checksums(const std::string& algorithm, const std::string& type,
                                 const std::vector<PartInfo>& parts,
                                 const CompleteChecksum& sent);

}  // namespace s3up::testserver
