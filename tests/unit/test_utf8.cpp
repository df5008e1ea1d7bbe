// util::utf8_error_offset: RFC 3629 validation edge cases.
#include <boost/test/unit_test.hpp>

#include <string>

#include "util/utf8.hpp"

using s3up::util::is_valid_utf8;
using s3up::util::utf8_error_offset;

BOOST_AUTO_TEST_SUITE(utf8)

BOOST_AUTO_TEST_CASE(valid_boundaries) {
  const std::string valid[] = {
      "",
      "plain ascii ~!@#$%^&*()",
      std::string("nul\0inside", 10),
      "\x7F",              // U+007F
      "\xC2\x80",          // U+0080, smallest 2-byte
      "\xDF\xBF",          // U+07FF
      "\xE0\xA0\x80",      // U+0800, smallest 3-byte
      "\xED\x9F\xBF",      // U+D7FF, just below the surrogates
      "\xEE\x80\x80",      // U+E000, just above them
      "\xEF\xBF\xBF",      // U+FFFF
      "\xF0\x90\x80\x80",  // U+10000, smallest 4-byte
      "\xF4\x8F\xBF\xBF",  // U+10FFFF, the largest code point
      "caf\xC3\xA9 \xF0\x9F\x98\x80 \xE6\x97\xA5",
  };
  for (const auto& s : valid) {
    BOOST_TEST_CONTEXT("case of size " << s.size()) {
      BOOST_TEST(is_valid_utf8(s));
      BOOST_TEST(!utf8_error_offset(s));
    }
  }
}

BOOST_AUTO_TEST_CASE(invalid_sequences) {
  const std::string invalid[] = {
      "\x80",              // lone continuation
      "\xBF",              //
      "\xC0\x80",          // overlong U+0000
      "\xC1\xBF",          // overlong U+007F
      "\xE0\x80\x80",      // overlong 3-byte
      "\xE0\x9F\xBF",      // overlong U+07FF
      "\xF0\x80\x80\x80",  // overlong 4-byte
      "\xF0\x8F\xBF\xBF",  // overlong U+FFFF
      "\xED\xA0\x80",      // U+D800, high surrogate
      "\xED\xBF\xBF",      // U+DFFF, low surrogate
      "\xF4\x90\x80\x80",  // U+110000
      "\xF5\x80\x80\x80",  // lead byte beyond U+10FFFF
      "\xF8\x88\x80\x80\x80",
      "\xFE",
      "\xFF",
      "\xC3",              // truncated
      "\xE2\x82",          //
      "\xF0\x9F\x98",      //
      "\xC3(",             // continuation missing
      "\xE2\x28\xA1",      //
      "\xF0\x9F\x98(",     //
  };
  for (const auto& s : invalid) {
    BOOST_TEST_CONTEXT("case of size " << s.size()) {
      BOOST_TEST(!is_valid_utf8(s));
      BOOST_TEST(utf8_error_offset(s).value_or(999) == 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(offset_of_first_error) {
  BOOST_TEST(utf8_error_offset("ab\xC3").value_or(999) == 2u);
  BOOST_TEST(utf8_error_offset("caf\xC3\xA9\x80").value_or(999) == 5u);
  BOOST_TEST(utf8_error_offset("\xF0\x9F\x98\x80x\xED\xA0\x80").value_or(999) == 5u);
  BOOST_TEST(utf8_error_offset("ok\xC3\xA9\xE2\x82").value_or(999) == 4u);
}

BOOST_AUTO_TEST_CASE(printable_escapes_invalid_bytes_and_controls) {
  using s3up::util::printable;
  BOOST_TEST(printable("plain caf\xc3\xa9 \xf0\x9f\x9a\x80") == "plain caf\xc3\xa9 \xf0\x9f\x9a\x80");
  BOOST_TEST(printable("bad-\xff\xfe.txt") == "bad-\\xff\\xfe.txt");
  BOOST_TEST(printable("a\nb\tc\x01") == "a\\nb\\tc\\x01");
  BOOST_TEST(printable("\xc3") == "\\xc3");  // truncated sequence
  BOOST_TEST(s3up::util::is_valid_utf8(printable("\xed\xa0\x80 \xc0\xaf")));
}

BOOST_AUTO_TEST_SUITE_END()
