// CRC-32C (Castagnoli, as S3's CRC32C checksum) and CRC-32 (IEEE/zlib, as S3's CRC32 checksum),
// computed by ISA-L. Both are incremental: crc(a + b) == crc(b, crc(a)), and start from 0.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace s3up::util {

// CRC-32C of `data`, continuing from `prev` (the CRC of the bytes before it; 0 for none).
// Returns the finished CRC (0xE3069283 for "123456789"). Never throws; any length.
std::uint32_t crc32c(std::span<const unsigned char> data, std::uint32_t prev = 0);

// CRC-32 (IEEE 802.3, reflected, as zlib's crc32()) of `data`, continuing from `prev`.
// Returns the finished CRC (0xCBF43926 for "123456789"). Never throws; any length.
std::uint32_t crc32(std::span<const unsigned char> data, std::uint32_t prev = 0);

namespace detail {
// crc32c() feeding ISA-L at most `max_chunk` (> 0) bytes per call, since ISA-L takes an `int`
// length. crc32c() uses the largest safe chunk; exposed so tests can exercise the loop.
std::uint32_t crc32c_chunked(std::span<const unsigned char> data, std::uint32_t prev,
                             std::size_t max_chunk);
}  // namespace detail

}  // namespace s3up::util
