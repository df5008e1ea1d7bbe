// The check the store performed on an uploaded body, as the report names it.
#pragma once
#include <string>

#include "s3/checksum.hpp"

namespace s3up::engine {

// Weakest first: a multipart object gets the weakest of its parts' checks.
enum class Integrity { None = 0, EtagCompared = 1, Md5Verified = 2, ChecksumVerified = 3 };
inline constexpr int kIntegrityLevels = 4;

// "none", "etag-md5-compared", "md5-verified", "<algo>-verified" ("crc32c-verified"...).
std::string integrity_name(Integrity level, s3::ChecksumAlgorithm algorithm);

// The full check for `algorithm`: ChecksumVerified for the flexible checksums, Md5Verified for
// md5, None for none.
Integrity full_integrity(s3::ChecksumAlgorithm algorithm);

}  // namespace s3up::engine
