// s3::object_headers (the headers of a PutObject / CreateMultipartUpload), the checks of the
// object settings, and the x-amz-meta-mtime format they carry (rclone's).
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "s3/object_settings.hpp"

using namespace s3up::s3;

namespace {

constexpr std::int64_t kMtime = 1'700'000'000'123'456'789;

// parse_mtime's result as text, "<none>" for nullopt.
std::string mt(const char* text) {
  const auto t = parse_mtime(text);
  return t ? std::to_string(*t) : "<none>";
}

std::string problem(const ObjectSettings& s) {
  const auto p = settings_problem(s);
  return p ? *p : "<ok>";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(object_settings)

BOOST_AUTO_TEST_CASE(defaults_guess_the_type_and_carry_the_mtime) {
  const ObjectSettings s;
  const Headers expected = {{"content-type", "text/html"},
                            {"x-amz-meta-mtime", "1700000000.123456789"}};
  BOOST_TEST((object_headers(s, "site/index.html", kMtime) == expected));
  // The extension decides, in any case, whatever the folders are called.
  BOOST_TEST((object_headers(s, "a.json/INDEX.HTML", kMtime) == expected));
}

BOOST_AUTO_TEST_CASE(no_type_when_the_extension_is_unknown_or_absent) {
  const ObjectSettings s;
  const Headers mtime_only = {{"x-amz-meta-mtime", "1700000000.123456789"}};
  BOOST_TEST((object_headers(s, "data.unknown-ext", kMtime) == mtime_only));
  BOOST_TEST((object_headers(s, "Makefile", kMtime) == mtime_only));
  BOOST_TEST((object_headers(s, "dir.d/.bashrc", kMtime) == mtime_only));
}

BOOST_AUTO_TEST_CASE(no_guess_without_guessing) {
  ObjectSettings s;
  s.guess_content_type = false;
  const Headers expected = {{"x-amz-meta-mtime", "1700000000.123456789"}};
  BOOST_TEST((object_headers(s, "index.html", kMtime) == expected));
}

BOOST_AUTO_TEST_CASE(a_forced_type_wins) {
  ObjectSettings s;
  s.content_type = "application/octet-stream";
  Headers expected = {{"content-type", "application/octet-stream"},
                      {"x-amz-meta-mtime", "1700000000.123456789"}};
  BOOST_TEST((object_headers(s, "index.html", kMtime) == expected));
  s.guess_content_type = false;  // --content-type with --no-guess-mime-type
  BOOST_TEST((object_headers(s, "index.html", kMtime) == expected));
  BOOST_TEST((object_headers(s, "no-extension", kMtime) == expected));
}

BOOST_AUTO_TEST_CASE(every_setting_in_order) {
  ObjectSettings s;
  s.content_type = "text/csv; charset=utf-8";
  s.cache_control = "max-age=3600, public";
  s.content_encoding = "gzip";
  s.metadata = {{"Owner", "Data Team"}, {"x-Build_ID", "42"}, {"empty", ""}};
  s.storage_class = "GLACIER_IR";
  s.sse = "aws:kms";
  s.sse_kms_key_id = "arn:aws:kms:eu-west-1:111122223333:key/abcd";
  s.acl = "bucket-owner-full-control";
  const Headers expected = {
      {"content-type", "text/csv; charset=utf-8"},
      {"cache-control", "max-age=3600, public"},
      {"content-encoding", "gzip"},
      {"x-amz-meta-owner", "Data Team"},  // names in lower case, values as given
      {"x-amz-meta-x-build_id", "42"},
      {"x-amz-meta-empty", ""},
      {"x-amz-meta-mtime", "1700000000.123456789"},
      {"x-amz-storage-class", "GLACIER_IR"},
      {"x-amz-server-side-encryption", "aws:kms"},
      {"x-amz-server-side-encryption-aws-kms-key-id", "arn:aws:kms:eu-west-1:111122223333:key/abcd"},
      {"x-amz-acl", "bucket-owner-full-control"},
  };
  BOOST_TEST((object_headers(s, "t.csv", kMtime) == expected));
}

BOOST_AUTO_TEST_CASE(sse_s3_without_a_key) {
  ObjectSettings s;
  s.guess_content_type = false;
  s.sse = "AES256";
  const Headers expected = {{"x-amz-meta-mtime", "0.000000000"},
                            {"x-amz-server-side-encryption", "AES256"}};
  BOOST_TEST((object_headers(s, "f", 0) == expected));
}

BOOST_AUTO_TEST_CASE(mtime_is_seconds_with_nine_decimals) {
  BOOST_TEST(format_mtime(0) == "0.000000000");
  BOOST_TEST(format_mtime(1) == "0.000000001");
  BOOST_TEST(format_mtime(1'000'000'000) == "1.000000000");
  BOOST_TEST(format_mtime(kMtime) == "1700000000.123456789");
  BOOST_TEST(format_mtime(-1) == "-0.000000001");  // before 1970
  BOOST_TEST(format_mtime(-1'500'000'000) == "-1.500000000");
  BOOST_TEST(format_mtime(std::numeric_limits<std::int64_t>::max()) == "9223372036.854775807");
  BOOST_TEST(format_mtime(std::numeric_limits<std::int64_t>::min()) == "-9223372036.854775808");
}

BOOST_AUTO_TEST_CASE(mtime_parses_back) {
  for (const std::int64_t t :
       {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, kMtime, -kMtime,
        std::int64_t{-1'500'000'000}, std::numeric_limits<std::int64_t>::max(),
        std::numeric_limits<std::int64_t>::min() + 1}) {
    BOOST_TEST_CONTEXT(t) {
      const auto back = parse_mtime(format_mtime(t));
      BOOST_TEST_REQUIRE(back.has_value());
      BOOST_TEST(*back == t);
    }
  }
}

BOOST_AUTO_TEST_CASE(mtime_with_fewer_or_more_decimals) {
  BOOST_TEST(mt("1700000000") == "1700000000000000000");
  BOOST_TEST(mt("1700000000.5") == "1700000000500000000");
  BOOST_TEST(mt("1.") == "1000000000");
  BOOST_TEST(mt("-0.25") == "-250000000");
  // Digits past the nanosecond are dropped.
  BOOST_TEST(mt("2.1234567899") == "2123456789");
}

BOOST_AUTO_TEST_CASE(mtime_that_is_not_a_number) {
  for (const char* text : {"", "-", "abc", ".5", "1.2.3", "1e9", " 1", "1 ", "+1", "1.-5", "0x10",
                           "1,5"}) {
    BOOST_TEST_CONTEXT("'" << text << "'") { BOOST_TEST(!parse_mtime(text).has_value()); }
  }
}

// x-amz-meta-mtime comes from the bucket (HeadObject for --sync): a value beyond what int64
// nanoseconds hold (year 2262 on) is not a time this program can compare, and must give nullopt
// rather than a wrapped-around number.
BOOST_AUTO_TEST_CASE(mtime_out_of_range_is_rejected) {
  BOOST_TEST(!parse_mtime("10000000000").has_value());
  BOOST_TEST(!parse_mtime("-99999999999.5").has_value());
}

BOOST_AUTO_TEST_CASE(mtime_up_to_the_int64_limits) {
  BOOST_TEST(mt("9223372036.854775807") == "9223372036854775807");
  BOOST_TEST(mt("-9223372036.854775808") == "-9223372036854775808");
  BOOST_TEST(!parse_mtime("9223372036.854775808").has_value());
  BOOST_TEST(!parse_mtime("-9223372036.854775809").has_value());
  BOOST_TEST(!parse_mtime("9223372037").has_value());
  BOOST_TEST(!parse_mtime("99999999999999999999999").has_value());
  BOOST_TEST(mt("-0") == "0");
}

// One sign at most: "--1" is not a time (nor +1 s).
BOOST_AUTO_TEST_CASE(mtime_with_two_signs_is_rejected) {
  BOOST_TEST(!parse_mtime("--1").has_value());
}

BOOST_AUTO_TEST_CASE(settings_that_s3_accepts) {
  ObjectSettings s;
  BOOST_TEST(problem(s) == "<ok>");
  for (const char* c : {"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA",
                        "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "OUTPOSTS",
                        "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE"}) {
    s.storage_class = c;
    BOOST_TEST(problem(s) == "<ok>", c);
  }
  for (const char* acl : {"private", "public-read", "public-read-write", "authenticated-read",
                          "aws-exec-read", "bucket-owner-read", "bucket-owner-full-control"}) {
    s.acl = acl;
    BOOST_TEST(problem(s) == "<ok>", acl);
  }
  s.sse = "AES256";
  BOOST_TEST(problem(s) == "<ok>");
  s.sse = "aws:kms";
  s.sse_kms_key_id = "alias/mine";
  BOOST_TEST(problem(s) == "<ok>");
  s.metadata = {{"a-b_c.d~!#$%&'*+^`|", "any value, even \"quoted\""}};
  BOOST_TEST(problem(s) == "<ok>");
}

BOOST_AUTO_TEST_CASE(settings_that_s3_refuses) {
  ObjectSettings s;
  s.storage_class = "standard";  // case matters
  BOOST_TEST(problem(s) == "--storage-class: 'standard' is not an S3 storage class");
  s = {};
  s.acl = "public";
  BOOST_TEST(problem(s) == "--acl: 'public' is not a canned ACL (private, public-read, ...)");
  s = {};
  s.sse = "aes256";
  BOOST_TEST(problem(s) == "--sse: 'aes256' is not AES256 or aws:kms");
  s = {};
  s.sse_kms_key_id = "alias/k";
  BOOST_TEST(problem(s) == "--sse-kms-key-id needs --sse aws:kms");
  s.sse = "AES256";
  BOOST_TEST(problem(s) == "--sse-kms-key-id needs --sse aws:kms");
  s = {};
  for (const char* name : {"", "has space", "colon:", "slash/", "caf\xC3\xA9", "new\nline"}) {
    s.metadata = {{name, "v"}};
    BOOST_TEST(problem(s) == "--metadata: '" + std::string(name) + "' is not a valid metadata name");
  }
  s.metadata = {{"ok", "v"}, {"note", "two\r\nlines"}};
  BOOST_TEST(problem(s) == "--metadata: the value of 'note' holds a line break");
  s.metadata = {{"note", "a\nb"}};
  BOOST_TEST(problem(s) == "--metadata: the value of 'note' holds a line break");
}

BOOST_AUTO_TEST_SUITE_END()
