#include "util/crc.hpp"

#include <isa-l/crc.h>

#include <algorithm>

namespace s3up::util {
namespace {

// The largest length handed to crc32_iscsi at once: a multiple of 64 that fits in an int.
constexpr std::size_t kMaxIscsiChunk = std::size_t{1} << 30;

}  // namespace

namespace detail {

std::uint32_t crc32c_chunked(std::span<const unsigned char> data, std::uint32_t prev,
                             std::size_t max_chunk) {
  // crc32_iscsi neither pre- nor post-inverts: the register starts at ~0 and the finished CRC
  // is its complement, so a finished CRC is continued by complementing it back.
  std::uint32_t reg = ~prev;
  max_chunk = std::clamp<std::size_t>(max_chunk, 1, kMaxIscsiChunk);
  while (!data.empty()) {
    const std::size_t n = std::min(data.size(), max_chunk);
    // ISA-L's prototype takes a non-const pointer but only reads the buffer.
    reg = crc32_iscsi(const_cast<unsigned char*>(data.data()), static_cast<int>(n), reg);
    data = data.subspan(n);
  }
  return ~reg;
}

}  // namespace detail

std::uint32_t crc32c(std::span<const unsigned char> data, std::uint32_t prev) {
  return detail::crc32c_chunked(data, prev, kMaxIscsiChunk);
}

std::uint32_t crc32(std::span<const unsigned char> data, std::uint32_t prev) {
  // crc32_gzip_refl inverts on entry and exit itself, like zlib, and takes a 64-bit length.
  if (data.empty()) return prev;
  return crc32_gzip_refl(prev, data.data(), data.size());
}

}  // namespace s3up::util
