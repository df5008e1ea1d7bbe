// s3::checksum: names, headers and values. Expected values were computed independently (a
// bitwise Python CRC model, Python's hashlib), not with this code.
#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "s3/checksum.hpp"
#include "util/crypto.hpp"

using namespace s3up::s3;
using s3up::util::as_bytes;

namespace {

std::vector<unsigned char> pattern() {  // 100000 bytes of (i * 31 + 7) mod 256
  std::vector<unsigned char> v(100000);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<unsigned char>(i * 31 + 7);
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(checksum)

BOOST_AUTO_TEST_CASE(parse_and_print) {
  BOOST_TEST((parse_checksum_algorithm("crc32c") == ChecksumAlgorithm::Crc32c));
  BOOST_TEST((parse_checksum_algorithm("CRC32C") == ChecksumAlgorithm::Crc32c));
  BOOST_TEST((parse_checksum_algorithm("Crc32") == ChecksumAlgorithm::Crc32));
  BOOST_TEST((parse_checksum_algorithm("SHA256") == ChecksumAlgorithm::Sha256));
  BOOST_TEST((parse_checksum_algorithm("md5") == ChecksumAlgorithm::Md5));
  BOOST_TEST((parse_checksum_algorithm("crc64nvme") == ChecksumAlgorithm::Crc64nvme));
  BOOST_TEST((parse_checksum_algorithm("CRC64NVME") == ChecksumAlgorithm::Crc64nvme));
  BOOST_TEST((parse_checksum_algorithm("None") == ChecksumAlgorithm::None));
  for (const char* bad : {"", "crc", "sha-256", "crc32c ", " md5", "sha1", "crc64", "crc64-nvme"}) {
    BOOST_TEST_CONTEXT(bad) { BOOST_TEST(!parse_checksum_algorithm(bad)); }
  }
  for (auto a : {ChecksumAlgorithm::None, ChecksumAlgorithm::Crc32c, ChecksumAlgorithm::Crc32,
                 ChecksumAlgorithm::Sha256, ChecksumAlgorithm::Md5, ChecksumAlgorithm::Crc64nvme}) {
    BOOST_TEST((parse_checksum_algorithm(to_string(a)) == a));
  }
  BOOST_TEST(to_string(ChecksumAlgorithm::Crc32c) == "crc32c");
  BOOST_TEST(to_string(ChecksumAlgorithm::None) == "none");
}

BOOST_AUTO_TEST_CASE(header_names_and_values) {
  BOOST_TEST(header_name(ChecksumAlgorithm::Crc32c) == "x-amz-checksum-crc32c");
  BOOST_TEST(header_name(ChecksumAlgorithm::Crc32) == "x-amz-checksum-crc32");
  BOOST_TEST(header_name(ChecksumAlgorithm::Sha256) == "x-amz-checksum-sha256");
  BOOST_TEST(header_name(ChecksumAlgorithm::Crc64nvme) == "x-amz-checksum-crc64nvme");
  BOOST_TEST(algorithm_header_value(ChecksumAlgorithm::Crc64nvme) == "CRC64NVME");
  BOOST_TEST(xml_element(ChecksumAlgorithm::Crc64nvme) == "ChecksumCRC64NVME");
  BOOST_TEST(header_name(ChecksumAlgorithm::Md5) == "Content-MD5");
  BOOST_TEST(header_name(ChecksumAlgorithm::None) == "");
  BOOST_TEST(algorithm_header_value(ChecksumAlgorithm::Crc32c) == "CRC32C");
  BOOST_TEST(algorithm_header_value(ChecksumAlgorithm::Crc32) == "CRC32");
  BOOST_TEST(algorithm_header_value(ChecksumAlgorithm::Sha256) == "SHA256");
  BOOST_TEST(algorithm_header_value(ChecksumAlgorithm::Md5) == "");
  BOOST_TEST(algorithm_header_value(ChecksumAlgorithm::None) == "");
  BOOST_TEST(xml_element(ChecksumAlgorithm::Crc32c) == "ChecksumCRC32C");
  BOOST_TEST(xml_element(ChecksumAlgorithm::Crc32) == "ChecksumCRC32");
  BOOST_TEST(xml_element(ChecksumAlgorithm::Sha256) == "ChecksumSHA256");
  BOOST_TEST(xml_element(ChecksumAlgorithm::Md5) == "");
  BOOST_TEST(xml_element(ChecksumAlgorithm::None) == "");
}

BOOST_AUTO_TEST_CASE(known_values) {
  BOOST_TEST(checksum_of(ChecksumAlgorithm::Crc32c, {}) == "AAAAAA==");
  BOOST_TEST(checksum_of(ChecksumAlgorithm::Crc32, {}) == "AAAAAA==");
  BOOST_TEST(checksum_of(ChecksumAlgorithm::Crc64nvme, {}) == "AAAAAAAAAAA=");
  BOOST_TEST(checksum_of(ChecksumAlgorithm::Md5, {}) == "1B2M2Y8AsgTpgAmY7PhCfg==");
  BOOST_TEST(checksum_of(ChecksumAlgorithm::Sha256, {}) ==
             "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  BOOST_TEST(checksum_of(ChecksumAlgorithm::None, as_bytes("x")) == "");

  const auto hw = as_bytes("hello world");
  BOOST_TEST(checksum_of(ChecksumAlgorithm::Crc32c, hw) == "yZRlqg==");  // 0xC99465AA
  BOOST_TEST(checksum_of(ChecksumAlgorithm::Crc32, hw) == "DUoRhQ==");   // 0x0D4A1185
  // botocore's test_httpchecksum.py value (8 big-endian bytes, base64).
  BOOST_TEST(checksum_of(ChecksumAlgorithm::Crc64nvme, hw) == "jSnVw/bqjr4=");
  BOOST_TEST(checksum_of(ChecksumAlgorithm::Md5, hw) == "XrY7u+Ae7tCTyyK7j1rNww==");
  BOOST_TEST(checksum_of(ChecksumAlgorithm::Sha256, hw) ==
             "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=");

  const auto nine = as_bytes("123456789");
  BOOST_TEST(checksum_of(ChecksumAlgorithm::Crc32c, nine) == "4waSgw==");  // 0xE3069283
  BOOST_TEST(checksum_of(ChecksumAlgorithm::Crc32, nine) == "y/Q5Jg==");   // 0xCBF43926
  BOOST_TEST(checksum_of(ChecksumAlgorithm::Crc64nvme, nine) == "rosUhgp5mIg=");  // 0xAE8B14860A799888
}

BOOST_AUTO_TEST_CASE(incremental_equals_one_shot) {
  const auto p = pattern();
  const std::span<const unsigned char> all(p);
  const struct {
    ChecksumAlgorithm algorithm;
    const char* expected;
  } cases[] = {
      {ChecksumAlgorithm::Crc32c, "88shCw=="},
      {ChecksumAlgorithm::Crc32, "koWIAA=="},
      {ChecksumAlgorithm::Crc64nvme, "DnZczS/QZoI="},
      {ChecksumAlgorithm::Sha256, "cxYgFhFV9o4SCfIrw0pya/Wlg/QKzyOuVWhLZ0/b6/I="},
      {ChecksumAlgorithm::Md5, "c1TxbQagEyMtqiPPp6CS3w=="},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(to_string(c.algorithm)) {
      BOOST_TEST(checksum_of(c.algorithm, all) == c.expected);
      Checksummer s(c.algorithm);
      for (std::size_t pos = 0, n = 1; pos < all.size(); pos += n, n = n * 3 % 9973 + 1) {
        s.update(all.subspan(pos, std::min(n, all.size() - pos)));
      }
      BOOST_TEST(s.value() == c.expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(value_only_once_and_movable) {
  Checksummer s(ChecksumAlgorithm::Crc32c);
  s.update(as_bytes("hello "));
  Checksummer moved(std::move(s));
  moved.update(as_bytes("world"));
  BOOST_TEST((moved.algorithm() == ChecksumAlgorithm::Crc32c));
  BOOST_TEST(moved.value() == "yZRlqg==");
  BOOST_CHECK_THROW(moved.value(), std::logic_error);
  BOOST_CHECK_THROW(moved.update(as_bytes("x")), std::logic_error);
}

BOOST_AUTO_TEST_SUITE_END()
