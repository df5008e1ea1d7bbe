// util::sha256 / md5 / hmac_sha256 on OpenSSL's algorithms fetched once, with one HMAC context
// per thread given a new key at each call. Expected values: RFC 4231 (HMAC-SHA-256), FIPS 180-2
// and RFC 1321 (the "abc" digests). Hex both ways.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "util/crypto.hpp"

using s3up::util::as_bytes;
using s3up::util::hex_lower;
using s3up::util::hmac_sha256;

namespace {

struct HmacCase {
  std::string key;
  std::string data;
  std::string_view expected;
};

std::vector<HmacCase> rfc4231() {
  return {
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      // A key longer than SHA-256's block: hashed first.
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
  };
}

std::string hmac_hex(const HmacCase& c) { return hex_lower(hmac_sha256(as_bytes(c.key), c.data)); }

}  // namespace

BOOST_AUTO_TEST_SUITE(crypto)

BOOST_AUTO_TEST_CASE(digests_of_the_standards_examples) {
  BOOST_TEST(hex_lower(s3up::util::sha256(std::string_view("abc"))) ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(hex_lower(s3up::util::sha256(std::string_view(""))) ==
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(hex_lower(s3up::util::md5(as_bytes("abc"))) == "900150983cd24fb0d6963f7d28e17f72");
  s3up::util::Sha256 pieces;
  pieces.update(as_bytes("a"));
  pieces.update(as_bytes("bc"));
  BOOST_TEST(hex_lower(pieces.finish()) ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

BOOST_AUTO_TEST_CASE(hmac_sha256_rfc4231) {
  for (const auto& c : rfc4231()) BOOST_TEST(hmac_hex(c) == c.expected);
}

BOOST_AUTO_TEST_CASE(each_call_uses_its_own_key_on_the_threads_reused_context) {
  // Alternating keys on one thread: nothing of a key stays in the context for the next call.
  const auto cases = rfc4231();
  for (int round = 0; round < 3; ++round)
    for (const auto& c : cases) BOOST_TEST(hmac_hex(c) == c.expected);
}

BOOST_AUTO_TEST_CASE(threads_sign_at_once_with_their_own_contexts) {
  const auto cases = rfc4231();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&cases, &wrong, t] {
      for (int i = 0; i < 2000; ++i) {
        const auto& c = cases[static_cast<std::size_t>(i + t) % cases.size()];
        if (hmac_hex(c) != c.expected) ++wrong;
      }
    });
  for (auto& th : threads) th.join();
  BOOST_TEST(wrong.load() == 0);
}

BOOST_AUTO_TEST_CASE(hex_both_ways) {
  const std::string bytes("\x00\x7f\x80\xff\xab", 5);
  BOOST_TEST(hex_lower(as_bytes(bytes)) == "007f80ffab");
  BOOST_TEST(s3up::util::hex_decode("007f80ffab").value() == bytes);
  BOOST_TEST(s3up::util::hex_decode("007F80FFAB").value() == bytes);  // either case
  BOOST_TEST(s3up::util::hex_decode("").value().empty());
  BOOST_TEST(!s3up::util::hex_decode("abc"));  // odd count
  BOOST_TEST(!s3up::util::hex_decode("zz"));
  BOOST_TEST(!s3up::util::hex_decode("a-"));
}

BOOST_AUTO_TEST_SUITE_END()
