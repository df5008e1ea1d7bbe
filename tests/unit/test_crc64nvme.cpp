// util::crc64nvme, both paths. Expected values are published ones, each with its source:
//  - the CRC catalogue's check value for "123456789" (reveng.sourceforge.io, CRC-64/NVME);
//  - awslabs/aws-checksums tests/crc64_test.c: 32 zeros, the bytes 0..31, "Hello world";
//  - awslabs/aws-c-s3 tests/s3_checksums_crc64nvme_tests.c ("NIST" cases): "" and "aaaaaaaaaa";
//  - boto/botocore tests/unit/test_httpchecksum.py: "hello world" is "jSnVw/bqjr4=" (base64, as
//    S3 headers carry it);
//  - NVM Express NVM Command Set Specification 1.0, 5.2.1.3.5 "64b CRC Test Cases" (as quoted
//    by Linux's lib/crc64 test and SPDK's crc64 unit test): 4096 bytes of 0x00, 0xFF,
//    incrementing and decrementing.
// The 1 MiB of zeros and the 100,000-byte pattern come from a separate bitwise Python model.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "util/crc64nvme.hpp"
#include "util/crypto.hpp"

using s3up::util::as_bytes;
namespace detail = s3up::util::detail;

namespace {

std::vector<unsigned char> pattern() {  // 100000 bytes of (i * 31 + 7) mod 256
  std::vector<unsigned char> v(100000);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<unsigned char>(i * 31 + 7);
  return v;
}

std::vector<unsigned char> filled(std::size_t n, int start, int step) {
  std::vector<unsigned char> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<unsigned char>(start + step * static_cast<int>(i));
  return v;
}

std::string b64_be(std::uint64_t v) {
  unsigned char be[8];
  for (int i = 0; i < 8; ++i) be[i] = static_cast<unsigned char>(v >> (56 - 8 * i));
  return s3up::util::base64(be);
}

// Every implementation under test: the dispatching one, the table, and the folding one when the
// CPU has it.
struct Impl {
  const char* name;
  std::uint64_t (*fn)(std::span<const unsigned char>, std::uint64_t);
};
std::vector<Impl> impls() {
  std::vector<Impl> v{{"crc64nvme", [](std::span<const unsigned char> d, std::uint64_t p) {
                         return s3up::util::crc64nvme(d, p);
                       }},
                      {"table", detail::crc64nvme_table}};
  if (detail::crc64nvme_clmul_supported()) v.push_back({"clmul", detail::crc64nvme_clmul});
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(crc64nvme)

BOOST_AUTO_TEST_CASE(published_vectors) {
  const auto zeros32 = filled(32, 0, 0);
  const auto values32 = filled(32, 0, 1);
  for (const auto& impl : impls()) {
    BOOST_TEST_CONTEXT(impl.name) {
      const auto f = [&](std::span<const unsigned char> d) { return impl.fn(d, 0); };
      BOOST_TEST(f(as_bytes("123456789")) == 0xAE8B14860A799888u);
      BOOST_TEST(f(zeros32) == 0xCF3473434D4ECF3Bu);
      BOOST_TEST(f(values32) == 0xB9D9D4A8492CBD7Fu);
      BOOST_TEST(f(as_bytes("Hello world")) == 0x38E259D03F312ADBu);
      BOOST_TEST(f({}) == 0u);
      BOOST_TEST(f(as_bytes("aaaaaaaaaa")) == 0x0C1A80036D65C555u);
      BOOST_TEST(b64_be(f(as_bytes("hello world"))) == "jSnVw/bqjr4=");
      BOOST_TEST(f(filled(4096, 0, 0)) == 0x6482D367EB22B64Eu);
      BOOST_TEST(f(filled(4096, 0xFF, 0)) == 0xC0DDBA7302ECA3ACu);
      BOOST_TEST(f(filled(4096, 0, 1)) == 0x3E729F5F6750449Cu);
      BOOST_TEST(f(filled(4096, 0xFF, -1)) == 0x9A2DF64B8E9E517Eu);
      BOOST_TEST(f(filled(1 << 20, 0, 0)) == 0xBD7696385DA31B46u);
      BOOST_TEST(f(pattern()) == 0x0E765CCD2FD06682u);
    }
  }
}

BOOST_AUTO_TEST_CASE(empty_keeps_prev) {
  for (const auto& impl : impls()) {
    BOOST_TEST_CONTEXT(impl.name) { BOOST_TEST(impl.fn({}, 0x0123456789ABCDEFu) == 0x0123456789ABCDEFu); }
  }
}

// The folding path against the table on random bytes: every length up to 1,100 (all tails, one to
// eight 128-byte blocks and more), at 16 alignments, from several previous CRCs, then large
// random lengths.
BOOST_AUTO_TEST_CASE(fast_path_equals_table) {
  if (!detail::crc64nvme_clmul_supported()) {
    BOOST_TEST_MESSAGE("no PCLMULQDQ on this CPU: the folding path is not exercised");
    return;
  }
  std::mt19937_64 rng(64);
  std::vector<unsigned char> buf(1 << 20);
  for (auto& c : buf) c = static_cast<unsigned char>(rng());
  const std::span<const unsigned char> all(buf);
  int mismatches = 0;
  for (std::size_t align = 0; align < 16; ++align)
    for (std::size_t len = 0; len <= 1100; ++len) {
      const std::uint64_t prev = (len % 3 == 0) ? 0 : rng();
      const auto d = all.subspan(align, len);
      if (detail::crc64nvme_clmul(d, prev) != detail::crc64nvme_table(d, prev)) ++mismatches;
    }
  for (int i = 0; i < 200; ++i) {
    const std::size_t off = rng() % 4096, len = rng() % (all.size() - off);
    const std::uint64_t prev = rng();
    const auto d = all.subspan(off, len);
    if (detail::crc64nvme_clmul(d, prev) != detail::crc64nvme_table(d, prev)) ++mismatches;
  }
  BOOST_TEST(mismatches == 0);
}

BOOST_AUTO_TEST_CASE(incremental_equals_one_shot) {
  const auto p = pattern();
  const std::span<const unsigned char> all(p);
  std::mt19937 rng(7);
  for (const auto& impl : impls()) {
    BOOST_TEST_CONTEXT(impl.name) {
      for (int round = 0; round < 50; ++round) {
        std::uint64_t c = 0;
        for (std::size_t pos = 0; pos < all.size();) {
          std::size_t n = rng() % 8 == 0 ? rng() % 40000 : rng() % 200;
          n = std::min(n, all.size() - pos);
          c = impl.fn(all.subspan(pos, n), c);
          pos += n;
        }
        BOOST_TEST(c == 0x0E765CCD2FD06682u);
      }
      const std::string_view s = "123456789";
      for (std::size_t i = 0; i <= s.size(); ++i)
        BOOST_TEST(impl.fn(as_bytes(s.substr(i)), impl.fn(as_bytes(s.substr(0, i)), 0)) ==
                   0xAE8B14860A799888u);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
