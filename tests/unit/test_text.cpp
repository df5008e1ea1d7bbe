// ASCII case for protocol text (util/text.hpp): only A-Z change, whatever the locale.
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <locale>
#include <memory>
#include <string>
#include <string_view>

#include "util/text.hpp"

using namespace s3up::util;

BOOST_AUTO_TEST_SUITE(text)

BOOST_AUTO_TEST_CASE(only_ascii_letters_are_lowered) {
  BOOST_TEST(ascii_lower("Content-MD5") == "content-md5");
  BOOST_TEST(ascii_lower("X-Amz-Meta-ÉTÉ") == "x-amz-meta-\xc3\x89t\xc3\x89");  // UTF-8 kept
  BOOST_TEST(ascii_lower("") == "");
  BOOST_TEST(ascii_lower(std::string("A\0B", 3)) == std::string("a\0b", 3));
  BOOST_TEST(ascii_lower("[]^_`@{") == "[]^_`@{");  // the bytes beside A-Z and a-z
}

BOOST_AUTO_TEST_CASE(names_compare_equal_but_for_the_case_of_ascii_letters) {
  BOOST_TEST(iequals_ascii("TRUE", "true"));
  BOOST_TEST(iequals_ascii("LocalHost", "localhost"));
  BOOST_TEST(iequals_ascii("", ""));
  BOOST_TEST(!iequals_ascii("true", "true "));
  BOOST_TEST(!iequals_ascii("truE", "trUF"));
  BOOST_TEST(!iequals_ascii("[", "{"));  // 0x5B and 0x7B differ by the case bit, not letters
  BOOST_TEST(!iequals_ascii("\xc3\x89", "\xc3\xa9"));  // É and é: not ASCII
}

BOOST_AUTO_TEST_CASE(a_comparison_reads_nothing_past_either_string) {
  // Bytes of exactly their length on the heap (AddressSanitizer reports a byte read past them):
  // Beast 1.81's iequals reads one past both once they differ in case, as on "S3://".
  const auto exact = [](std::string_view s) {
    auto bytes = std::make_unique<char[]>(s.size());
    std::memcpy(bytes.get(), s.data(), s.size());
    return bytes;
  };
  const auto upper = exact("S3://"), lower = exact("s3://");
  BOOST_TEST(iequals_ascii(std::string_view(upper.get(), 5), std::string_view(lower.get(), 5)));
  BOOST_TEST(!iequals_ascii(std::string_view(upper.get(), 5), std::string_view(lower.get(), 4)));
}

BOOST_AUTO_TEST_CASE(every_byte_is_lowered_as_the_classic_locale_lowers_it) {
  // The classic locale's ctype facet as the oracle: each of the 256 bytes lowers as it does, and
  // of all 65,536 pairs of bytes exactly those compare equal whose lowerings are equal.
  const auto& classic = std::use_facet<std::ctype<char>>(std::locale::classic());
  int lowered_otherwise = 0;
  for (int x = 0; x < 256; ++x) {
    const char c = static_cast<char>(x);
    if (ascii_lower(std::string(1, c)) != std::string(1, classic.tolower(c))) ++lowered_otherwise;
  }
  BOOST_TEST(lowered_otherwise == 0);
  int disagreements = 0;
  int equal_pairs = 0;
  for (int x = 0; x < 256; ++x) {
    for (int y = 0; y < 256; ++y) {
      const char a = static_cast<char>(x), b = static_cast<char>(y);
      const bool folded = iequals_ascii(std::string_view(&a, 1), std::string_view(&b, 1));
      if (folded != (classic.tolower(a) == classic.tolower(b))) ++disagreements;
      if (folded) ++equal_pairs;
    }
  }
  BOOST_TEST(disagreements == 0);
  BOOST_TEST(equal_pairs == 256 + 2 * 26);  // each byte with itself, and A-Z with a-z both ways
}

BOOST_AUTO_TEST_SUITE_END()
