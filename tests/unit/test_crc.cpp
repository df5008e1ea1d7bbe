// util::crc32c / util::crc32. Expected values come from a separate bitwise Python model (and
// the published check values for "123456789"), not from ISA-L.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "util/crc.hpp"
#include "util/crypto.hpp"

using s3up::util::as_bytes;
using s3up::util::crc32;
using s3up::util::crc32c;

namespace {

// 100000 bytes of (i * 31 + 7) mod 256.
std::vector<unsigned char> pattern() {
  std::vector<unsigned char> v(100000);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<unsigned char>(i * 31 + 7);
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(crc)

BOOST_AUTO_TEST_CASE(check_values) {
  BOOST_TEST(crc32c(as_bytes("123456789")) == 0xE3069283u);
  BOOST_TEST(crc32(as_bytes("123456789")) == 0xCBF43926u);
}

BOOST_AUTO_TEST_CASE(empty_is_zero_and_keeps_prev) {
  BOOST_TEST(crc32c({}) == 0u);
  BOOST_TEST(crc32({}) == 0u);
  BOOST_TEST(crc32c({}, 0x12345678u) == 0x12345678u);
  BOOST_TEST(crc32({}, 0x12345678u) == 0x12345678u);
}

BOOST_AUTO_TEST_CASE(other_vectors) {
  BOOST_TEST(crc32c(as_bytes("a")) == 0xC1D04330u);
  BOOST_TEST(crc32(as_bytes("a")) == 0xE8B7BE43u);
  BOOST_TEST(crc32c(as_bytes("hello world")) == 0xC99465AAu);
  BOOST_TEST(crc32(as_bytes("hello world")) == 0x0D4A1185u);
  const auto p = pattern();
  BOOST_TEST(crc32c(p) == 0xF3CB210Bu);
  BOOST_TEST(crc32(p) == 0x92858800u);
}

BOOST_AUTO_TEST_CASE(incremental_equals_one_shot_over_random_splits) {
  const auto p = pattern();
  const std::span<const unsigned char> all(p);
  std::mt19937 rng(20240601);
  for (int round = 0; round < 200; ++round) {
    std::uint32_t c = 0, z = 0;
    std::size_t pos = 0;
    while (pos < all.size()) {
      // Mostly small pieces (odd lengths, 0) with the occasional large one.
      std::size_t n = rng() % 8 == 0 ? rng() % 40000 : rng() % 97;
      n = std::min(n, all.size() - pos);
      c = crc32c(all.subspan(pos, n), c);
      z = crc32(all.subspan(pos, n), z);
      pos += n;
    }
    BOOST_TEST(c == 0xF3CB210Bu);
    BOOST_TEST(z == 0x92858800u);
  }
}

BOOST_AUTO_TEST_CASE(two_part_split_points) {
  const std::string_view s = "123456789";
  for (std::size_t i = 0; i <= s.size(); ++i) {
    BOOST_TEST(crc32c(as_bytes(s.substr(i)), crc32c(as_bytes(s.substr(0, i)))) == 0xE3069283u);
    BOOST_TEST(crc32(as_bytes(s.substr(i)), crc32(as_bytes(s.substr(0, i)))) == 0xCBF43926u);
  }
}

BOOST_AUTO_TEST_CASE(chunked_loop_with_small_chunks) {
  using s3up::util::detail::crc32c_chunked;
  const auto p = pattern();
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7},
                            std::size_t{64}, std::size_t{4096}, std::size_t{99999},
                            std::size_t{100000}, std::size_t{1} << 30}) {
    BOOST_TEST_CONTEXT("chunk " << chunk) {
      BOOST_TEST(crc32c_chunked(p, 0, chunk) == 0xF3CB210Bu);
      BOOST_TEST(crc32c_chunked(as_bytes("123456789"), 0, chunk) == 0xE3069283u);
      const std::span<const unsigned char> all(p);
      BOOST_TEST(crc32c_chunked(all.subspan(5000), crc32c_chunked(all.first(5000), 0, chunk),
                                chunk) == 0xF3CB210Bu);
    }
  }
  BOOST_TEST(crc32c_chunked({}, 0xABCDEFu, 3) == 0xABCDEFu);
}

BOOST_AUTO_TEST_SUITE_END()
