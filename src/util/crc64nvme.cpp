#include "util/crc64nvme.hpp"

#include <array>
#include <bit>
#include <cstring>

#include "util/crc_poly.hpp"

namespace s3up::util {
namespace {

constexpr std::uint64_t kPoly = crc_poly::reflect<std::uint64_t>(0xAD93D23594C93659);

// kTables[k][b]: the register contribution of byte b followed by k zero bytes, so eight bytes
// XORed into the register are advanced together with one lookup each (slicing-by-8).
using Tables = std::array<std::array<std::uint64_t, 256>, 8>;
constexpr Tables make_tables() {
  Tables t{};
  for (std::uint64_t b = 0; b < 256; ++b) {
    std::uint64_t r = b;
    for (int i = 0; i < 8; ++i) r = crc_poly::times_x(r, kPoly);
    t[0][b] = r;
  }
  for (std::size_t k = 1; k < t.size(); ++k)
    for (std::size_t b = 0; b < 256; ++b)
      t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
  return t;
}
constexpr Tables kTables = make_tables();

std::uint64_t load_le64(const unsigned char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

}  // namespace

namespace detail {

std::uint64_t crc64nvme_table(std::span<const unsigned char> data, std::uint64_t prev) {
  std::uint64_t reg = ~prev;  // a finished CRC is the complement of the register
  const unsigned char* p = data.data();
  std::size_t n = data.size();
  for (; n >= 8; n -= 8, p += 8) {
    // In the reflected order the register's low byte meets the first data byte.
    reg ^= load_le64(p);
    reg = kTables[7][reg & 0xFF] ^ kTables[6][(reg >> 8) & 0xFF] ^
          kTables[5][(reg >> 16) & 0xFF] ^ kTables[4][(reg >> 24) & 0xFF] ^
          kTables[3][(reg >> 32) & 0xFF] ^ kTables[2][(reg >> 40) & 0xFF] ^
          kTables[1][(reg >> 48) & 0xFF] ^ kTables[0][reg >> 56];
  }
  for (; n > 0; --n, ++p) reg = (reg >> 8) ^ kTables[0][(reg ^ *p) & 0xFF];
  return ~reg;
}

}  // namespace detail

std::uint64_t crc64nvme(std::span<const unsigned char> data, std::uint64_t prev) {
  // Decided once: whether the CPU folds with PCLMULQDQ.
  static const bool fast = detail::crc64nvme_clmul_supported();
  return fast ? detail::crc64nvme_clmul(data, prev) : detail::crc64nvme_table(data, prev);
}

}  // namespace s3up::util
