// util::parse_size and format_bytes (SIZE options, summaries), and util::uri_encode / uri_decode
// (RFC 3986 percent-encoding as SigV4 and S3 want it) on their own; the object paths built from
// them are covered in test_location.cpp.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>

#include "util/units.hpp"
#include "util/uri.hpp"

using namespace s3up::util;

namespace {

constexpr std::uint64_t KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024, TiB = GiB * 1024;
constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

std::string size_of(const char* text) {
  const auto v = parse_size(text);
  return v ? std::to_string(*v) : "<none>";
}

std::string s(std::uint64_t v) { return std::to_string(v); }

}  // namespace

BOOST_AUTO_TEST_SUITE(units_uri)

BOOST_AUTO_TEST_CASE(plain_bytes) {
  BOOST_TEST(size_of("0") == "0");
  BOOST_TEST(size_of("4096") == "4096");
  BOOST_TEST(size_of("5242880") == "5242880");
  BOOST_TEST(size_of("10B") == "10");
  BOOST_TEST(size_of("10b") == "10");
  BOOST_TEST(size_of("007") == "7");
}

BOOST_AUTO_TEST_CASE(binary_suffixes) {
  BOOST_TEST(size_of("1K") == s(KiB));
  BOOST_TEST(size_of("1k") == s(KiB));
  BOOST_TEST(size_of("1Ki") == s(KiB));
  BOOST_TEST(size_of("1KiB") == s(KiB));
  BOOST_TEST(size_of("8MiB") == s(8 * MiB));
  BOOST_TEST(size_of("5M") == s(5 * MiB));
  BOOST_TEST(size_of("5mi") == s(5 * MiB));
  BOOST_TEST(size_of("1GiB") == s(GiB));
  BOOST_TEST(size_of("1gib") == s(GiB));
  BOOST_TEST(size_of("3G") == s(3 * GiB));
  BOOST_TEST(size_of("2TiB") == s(2 * TiB));
  BOOST_TEST(size_of("2t") == s(2 * TiB));
}

BOOST_AUTO_TEST_CASE(decimal_suffixes) {
  BOOST_TEST(size_of("1kB") == "1000");
  BOOST_TEST(size_of("1KB") == "1000");
  BOOST_TEST(size_of("64MB") == "64000000");
  BOOST_TEST(size_of("64mb") == "64000000");
  BOOST_TEST(size_of("2GB") == "2000000000");
  BOOST_TEST(size_of("3TB") == "3000000000000");
}

BOOST_AUTO_TEST_CASE(fractions_round_down_to_whole_bytes) {
  BOOST_TEST(size_of("1.5GB") == "1500000000");
  BOOST_TEST(size_of("1.5GiB") == s(GiB + GiB / 2));
  BOOST_TEST(size_of("0.5KiB") == "512");
  BOOST_TEST(size_of("2.75K") == "2816");
  BOOST_TEST(size_of("1.5") == "1");
  BOOST_TEST(size_of("0.1KiB") == "102");  // 102.4
}

// "0.3MB" is 300,000 bytes exactly, even though binary floating point cannot hold 0.3: never a
// byte short of the written value.
BOOST_AUTO_TEST_CASE(decimal_fractions_are_exact) {
  BOOST_TEST(size_of("0.3MB") == "300000");
  BOOST_TEST(size_of("0.7MB") == "700000");
  BOOST_TEST(size_of("2.3GB") == "2300000000");
  BOOST_TEST(size_of("0.001TB") == "1000000000");
  BOOST_TEST(size_of("1.000000000000000000000000000001KiB") == "1024");
  BOOST_TEST(size_of("0.999999999999999999999999999999KiB") == "1023");
  BOOST_TEST(size_of("0.0009765625KiB") == "1");  // 2^-10 KiB: exactly one byte
  BOOST_TEST(size_of(".5KiB") == "512");
  BOOST_TEST(size_of("3.KB") == "3000");
  BOOST_TEST(size_of("16777215.9999999TiB") == s(16777215 * TiB + TiB - 109952));
  BOOST_TEST(size_of("16777215.99999999999999TiB") == s(kMax));
  BOOST_TEST(size_of("16777216.0TiB") == "<none>");
}

BOOST_AUTO_TEST_CASE(spaces_around_and_before_the_unit) {
  BOOST_TEST(size_of(" 8MiB") == s(8 * MiB));
  BOOST_TEST(size_of("8MiB\t") == s(8 * MiB));
  BOOST_TEST(size_of("8 MiB") == s(8 * MiB));
  BOOST_TEST(size_of("  64  MB  ") == "64000000");
}

BOOST_AUTO_TEST_CASE(what_is_not_a_size) {
  for (const char* text : {"", "   ", "MiB", "B", "-1", "+5", "1PiB", "1P", "1EiB", "1MiBs", "1 M B",
                           "8 Mi B", "1.2.3", ".", "1..5", "abc", "0x10", "1e3", "1_000", "1,5",
                           "1 000", "5 mebibytes", "1iB", "1bk"}) {
    BOOST_TEST_CONTEXT("'" << text << "'") { BOOST_TEST(size_of(text) == "<none>"); }
  }
}

BOOST_AUTO_TEST_CASE(sizes_up_to_the_largest_64_bit_value) {
  BOOST_TEST(size_of("18446744073709551615") == s(kMax));
  BOOST_TEST(size_of("18446744073709551615B") == s(kMax));
  BOOST_TEST(size_of("16777215TiB") == s(16777215 * TiB));
  BOOST_TEST(size_of("17179869183GiB") == s(17179869183 * GiB));
}

BOOST_AUTO_TEST_CASE(overflow_is_no_size) {
  BOOST_TEST(size_of("18446744073709551616") == "<none>");
  BOOST_TEST(size_of("99999999999999999999999") == "<none>");
  BOOST_TEST(size_of("18446744073709551615K") == "<none>");
  BOOST_TEST(size_of("16777216TiB") == "<none>");  // 2^64
  BOOST_TEST(size_of("17179869184GiB") == "<none>");
  BOOST_TEST(size_of("18446744073709552000.0") == "<none>");
  BOOST_TEST(size_of("20000000TB") == "<none>");
}

BOOST_AUTO_TEST_CASE(format_bytes_in_binary_units) {
  BOOST_TEST(format_bytes(0) == "0 B");
  BOOST_TEST(format_bytes(1) == "1 B");
  BOOST_TEST(format_bytes(1023) == "1023 B");
  BOOST_TEST(format_bytes(1024) == "1.0 KiB");
  BOOST_TEST(format_bytes(1536) == "1.5 KiB");
  BOOST_TEST(format_bytes(10 * MiB) == "10.0 MiB");
  BOOST_TEST(format_bytes(5 * GiB + 600 * MiB) == "5.6 GiB");
  BOOST_TEST(format_bytes(TiB) == "1.0 TiB");
  BOOST_TEST(format_bytes(1024 * TiB) == "1.0 PiB");
  BOOST_TEST(format_bytes(kMax) == "16384.0 PiB");  // no unit above PiB
}

// Just under a unit, the one-decimal rounding reaches 1024 of the smaller unit: one byte under a
// MiB reads "1.0 MiB", not "1024.0 KiB".
// parse_seconds: what --connect-timeout, --read-timeout and --request-timeout read.
BOOST_AUTO_TEST_CASE(seconds_are_plain_decimal_numbers) {
  BOOST_TEST(parse_seconds("10").value_or(-99) == 10);
  BOOST_TEST(parse_seconds("0.25").value_or(-99) == 0.25);
  BOOST_TEST(parse_seconds("2.").value_or(-99) == 2);
  BOOST_TEST(parse_seconds(".5").value_or(-99) == 0.5);
  BOOST_TEST(parse_seconds("-1").value_or(-99) == -1);  // the caller's range message
  for (const char* bad : {"", ".", "-", "-.", "1e3", "inf", "nan", "1.2.3", " 1", "1 ", "+1", "1s",
                          "--1", "0x10"}) {
    BOOST_TEST_CONTEXT(bad) { BOOST_TEST(!parse_seconds(bad).has_value()); }
  }
}

BOOST_AUTO_TEST_CASE(format_bytes_never_shows_1024_of_a_unit) {
  BOOST_TEST(format_bytes(MiB - 1) == "1.0 MiB");
  BOOST_TEST(format_bytes(GiB - 1) == "1.0 GiB");
  BOOST_TEST(format_bytes(MiB - 52) == "1023.9 KiB");  // 1023.949...
  BOOST_TEST(format_bytes(MiB - 51) == "1.0 MiB");      // 1023.950...
  BOOST_TEST(format_bytes(1024 * TiB - 1) == "1.0 PiB");
  BOOST_TEST(format_bytes(TiB - 1) == "1.0 TiB");
}

BOOST_AUTO_TEST_CASE(unreserved_characters_stay) {
  const std::string unreserved =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
  BOOST_TEST(uri_encode(unreserved, false) == unreserved);
  BOOST_TEST(uri_encode(unreserved, true) == unreserved);
  BOOST_TEST(uri_encode("", false) == "");
  BOOST_TEST(uri_encode("", true) == "");
}

BOOST_AUTO_TEST_CASE(slash_is_kept_in_paths_only) {
  BOOST_TEST(uri_encode("a/b/c/", false) == "a/b/c/");
  BOOST_TEST(uri_encode("a/b/c/", true) == "a%2Fb%2Fc%2F");
  BOOST_TEST(uri_encode("/", true) == "%2F");
}

BOOST_AUTO_TEST_CASE(every_other_byte_is_escaped_in_upper_case_hex) {
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    char escaped[8];
    std::snprintf(escaped, sizeof escaped, "%%%02X", static_cast<unsigned>(b));
    const std::string one(1, c);
    BOOST_TEST_CONTEXT("byte " << b) {
      BOOST_TEST(uri_encode(one, true) == (unreserved ? one : std::string(escaped)));
      BOOST_TEST(uri_encode(one, false) == (unreserved || c == '/' ? one : std::string(escaped)));
    }
  }
}

BOOST_AUTO_TEST_CASE(characters_that_sigv4_and_s3_care_about) {
  BOOST_TEST(uri_encode("a b", true) == "a%20b");  // never '+'
  BOOST_TEST(uri_encode("a+b", true) == "a%2Bb");
  BOOST_TEST(uri_encode("100%", true) == "100%25");
  BOOST_TEST(uri_encode("*", true) == "%2A");       // SigV4: '*' is escaped
  BOOST_TEST(uri_encode("k=v&x=y", true) == "k%3Dv%26x%3Dy");
  BOOST_TEST(uri_encode("2026-01-01T00:00:00Z", true) == "2026-01-01T00%3A00%3A00Z");
  BOOST_TEST(uri_encode("AKID/20260101/us-east-1/s3/aws4_request", true) ==
             "AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request");
  BOOST_TEST(uri_encode(std::string("a\0b", 3), true) == "a%00b");
}

BOOST_AUTO_TEST_CASE(utf8_is_escaped_byte_by_byte) {
  BOOST_TEST(uri_encode("caf\xC3\xA9", true) == "caf%C3%A9");
  BOOST_TEST(uri_encode("\xE6\x97\xA5\xE6\x9C\xAC/x", false) == "%E6%97%A5%E6%9C%AC/x");
  BOOST_TEST(uri_encode("\xF0\x9F\x98\x80", true) == "%F0%9F%98%80");
  BOOST_TEST(uri_encode("\xFF\xFE", true) == "%FF%FE");  // invalid UTF-8 too, byte by byte
}

BOOST_AUTO_TEST_CASE(decode_escapes_only) {
  BOOST_TEST(uri_decode("%41%42c") == "ABc");
  BOOST_TEST(uri_decode("caf%c3%a9") == "caf\xC3\xA9");  // lower-case hex too
  BOOST_TEST(uri_decode("caf%C3%A9") == "caf\xC3\xA9");
  BOOST_TEST(uri_decode("a+b") == "a+b");               // '+' is not a space
  BOOST_TEST(uri_decode("a%20b") == "a b");
  BOOST_TEST(uri_decode("a%2Fb%2f") == "a/b/");
  BOOST_TEST(uri_decode("%00") == std::string(1, '\0'));
  BOOST_TEST(uri_decode("") == "");
}

BOOST_AUTO_TEST_CASE(decode_keeps_invalid_escapes) {
  BOOST_TEST(uri_decode("100%") == "100%");
  BOOST_TEST(uri_decode("%") == "%");
  BOOST_TEST(uri_decode("%4") == "%4");
  BOOST_TEST(uri_decode("%zz") == "%zz");
  BOOST_TEST(uri_decode("%4g") == "%4g");
  BOOST_TEST(uri_decode("%%41") == "%A");
  BOOST_TEST(uri_decode("%2541") == "%41");  // decoded once
  BOOST_TEST(uri_decode("ab%4") == "ab%4");
  BOOST_TEST(uri_decode("ab%41") == "abA");  // an escape at the very end
}

BOOST_AUTO_TEST_CASE(decode_undoes_encode) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  BOOST_TEST(uri_decode(uri_encode(all, true)) == all);
  BOOST_TEST(uri_decode(uri_encode(all, false)) == all);
  const std::string key = "dir/sub dir/100% done+more?#&=;\xE6\x97\xA5.txt";
  BOOST_TEST(uri_decode(uri_encode(key, false)) == key);
}

BOOST_AUTO_TEST_SUITE_END()
