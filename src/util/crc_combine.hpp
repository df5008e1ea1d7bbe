// The CRC of a concatenation from the CRCs of its pieces: crc(A || B) from crc(A), crc(B) and
// len(B), without the bytes. A multipart upload's full-object checksum is built this way from
// its parts' CRCs, which finish in any order, some of them in an earlier run (--journal).
#pragma once
#include <cstdint>

namespace s3up::util {

// For each CRC of crc.hpp / crc64nvme.hpp: crc(A || B) given crc_a = crc(A), crc_b = crc(B) and
// len_b = len(B) in bytes (below 2^61). len_b == 0 gives crc_a. O(log len_b).
std::uint32_t crc32_combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b);
std::uint32_t crc32c_combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b);
std::uint64_t crc64nvme_combine(std::uint64_t crc_a, std::uint64_t crc_b, std::uint64_t len_b);

}  // namespace s3up::util
