// Test data whose bytes differ from one offset to the next with no short period (xorshift32), so
// that no piece, window or page boundary can hide a byte out of place.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace s3up::test {

inline std::vector<char> varied_bytes(std::size_t size) {
  std::vector<char> bytes(size);
  std::uint32_t x = 2463534242u;
  for (auto& b : bytes) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<char>(x);
  }
  return bytes;
}

}  // namespace s3up::test
