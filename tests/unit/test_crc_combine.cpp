// util::crc32_combine, crc32c_combine, crc64nvme_combine: the CRC of a concatenation from its
// pieces' CRCs equals the CRC computed over the bytes, for random splits (empty pieces included),
// many pieces in order (a multipart upload), and lengths far beyond what the test can hash
// (checked through associativity).
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "util/crc.hpp"
#include "util/crc64nvme.hpp"
#include "util/crc_combine.hpp"
#include "util/crypto.hpp"

namespace u = s3up::util;

namespace {

std::vector<unsigned char> random_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::vector<unsigned char> v(n);
  for (auto& c : v) c = static_cast<unsigned char>(rng());
  return v;
}

// The three CRCs through one interface, 64-bit wide.
struct Crc {
  const char* name;
  std::uint64_t (*of)(std::span<const unsigned char>);
  std::uint64_t (*combine)(std::uint64_t, std::uint64_t, std::uint64_t);
};
const Crc kCrcs[] = {
    {"crc32", [](std::span<const unsigned char> d) -> std::uint64_t { return u::crc32(d); },
     [](std::uint64_t a, std::uint64_t b, std::uint64_t n) -> std::uint64_t {
       return u::crc32_combine(static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(b), n);
     }},
    {"crc32c", [](std::span<const unsigned char> d) -> std::uint64_t { return u::crc32c(d); },
     [](std::uint64_t a, std::uint64_t b, std::uint64_t n) -> std::uint64_t {
       return u::crc32c_combine(static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(b), n);
     }},
    {"crc64nvme", [](std::span<const unsigned char> d) { return u::crc64nvme(d); },
     u::crc64nvme_combine},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(crc_combine)

BOOST_AUTO_TEST_CASE(known_values) {
  // From the bitwise Python model (and zlib for CRC-32): "test1", "test2", "test1test2".
  BOOST_TEST(u::crc64nvme_combine(0x7585D198A2D5B287u, 0xF436C0C0F28B290Cu, 5) ==
             0x215F4B83B86262F3u);
  BOOST_TEST(u::crc32_combine(u::crc32(u::as_bytes("1234")), u::crc32(u::as_bytes("56789")), 5) ==
             0xCBF43926u);
  BOOST_TEST(u::crc32c_combine(u::crc32c(u::as_bytes("12345678")), u::crc32c(u::as_bytes("9")),
                               1) == 0xE3069283u);
}

BOOST_AUTO_TEST_CASE(empty_pieces) {
  for (const auto& crc : kCrcs) {
    BOOST_TEST_CONTEXT(crc.name) {
      const auto x = crc.of(u::as_bytes("123456789"));
      BOOST_TEST(crc.combine(x, 0, 0) == x);  // B empty: crc(B) is 0
      BOOST_TEST(crc.combine(0, x, 9) == x);  // A empty
      BOOST_TEST(crc.combine(0, 0, 0) == 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(two_pieces_equal_direct) {
  const auto data = random_bytes(300000, 11);
  const std::span<const unsigned char> all(data);
  std::mt19937_64 rng(12);
  for (const auto& crc : kCrcs) {
    BOOST_TEST_CONTEXT(crc.name) {
      int mismatches = 0;
      for (int i = 0; i < 300; ++i) {
        const std::size_t len = i < 40 ? static_cast<std::size_t>(i) : rng() % all.size();
        const std::size_t cut = rng() % (len + 1);  // 0 and len: an empty piece
        const auto whole = all.first(len);
        const auto a = whole.first(cut), b = whole.subspan(cut);
        if (crc.combine(crc.of(a), crc.of(b), b.size()) != crc.of(whole)) ++mismatches;
      }
      BOOST_TEST(mismatches == 0);
    }
  }
}

// A multipart upload: parts of one size and a shorter last one (and some empty parts, which S3
// never has, to test the edge), combined left to right.
BOOST_AUTO_TEST_CASE(many_pieces_in_order) {
  const auto data = random_bytes(1 << 20, 13);
  const std::span<const unsigned char> all(data);
  std::mt19937_64 rng(14);
  for (const auto& crc : kCrcs) {
    BOOST_TEST_CONTEXT(crc.name) {
      for (std::size_t part : {std::size_t{1}, std::size_t{7}, std::size_t{4096},
                               std::size_t{100000}, std::size_t{1} << 20}) {
        std::uint64_t full = 0;
        for (std::size_t off = 0; off < all.size(); off += part) {
          const auto p = all.subspan(off, std::min(part, all.size() - off));
          full = crc.combine(full, crc.of(p), p.size());
          if (rng() % 5 == 0) full = crc.combine(full, 0, 0);
        }
        BOOST_TEST(full == crc.of(all), "part size " << part);
      }
    }
  }
}

// Up to 5 TiB: (A·B)·C == A·(B·C), with B and C standing for long runs whose CRCs are arbitrary.
BOOST_AUTO_TEST_CASE(associative_over_large_lengths) {
  std::mt19937_64 rng(15);
  for (const auto& crc : kCrcs) {
    BOOST_TEST_CONTEXT(crc.name) {
      const std::uint64_t mask = std::string_view(crc.name) == "crc64nvme" ? ~0ull : 0xFFFFFFFFull;
      for (int i = 0; i < 100; ++i) {
        const std::uint64_t a = rng() & mask, b = rng() & mask, c = rng() & mask;
        const std::uint64_t lb = rng() % (5ull << 40), lc = rng() % (5ull << 40);
        BOOST_TEST(crc.combine(crc.combine(a, b, lb), c, lc) ==
                   crc.combine(a, crc.combine(b, c, lc), lb + lc));
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
