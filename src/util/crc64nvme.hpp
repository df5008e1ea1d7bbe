// CRC-64/NVME, the CRC S3 calls CRC64NVME (its default checksum since 2025): polynomial
// 0xAD93D23594C93659, reflected, initial value and final XOR all ones; 0xAE8B14860A799888 for
// "123456789". No library on the build machine has it (ISA-L 2.30's crc64 functions use the
// ECMA-182, ISO and Jones polynomials), so it is computed here: by carry-less multiplication
// (PCLMULQDQ) when the CPU has it, else by a slicing-by-8 table.
#pragma once
#include <cstdint>
#include <span>

namespace s3up::util {

// CRC-64/NVME of `data`, continuing from `prev` (the CRC of the bytes before it; 0 for none), so
// crc64nvme(a + b) == crc64nvme(b, crc64nvme(a)). Never throws; any length.
std::uint64_t crc64nvme(std::span<const unsigned char> data, std::uint64_t prev = 0);

namespace detail {
// The portable path: 8 bytes per step through eight 256-entry tables.
std::uint64_t crc64nvme_table(std::span<const unsigned char> data, std::uint64_t prev);
// Whether crc64nvme_clmul can run on this CPU (x86-64 with PCLMULQDQ and SSE4.1).
bool crc64nvme_clmul_supported();
// The folding path (crc64nvme_clmul.cpp); only call it when crc64nvme_clmul_supported().
std::uint64_t crc64nvme_clmul(std::span<const unsigned char> data, std::uint64_t prev);
}  // namespace detail

}  // namespace s3up::util
