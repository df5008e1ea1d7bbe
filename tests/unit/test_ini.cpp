// util::parse_ini / read_ini_file: the AWS config-file dialect of INI.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "util/ini.hpp"

using s3up::util::IniDocument;
using s3up::util::parse_ini;

namespace {

std::string get(const IniDocument& doc, std::string_view section, std::string_view key) {
  const auto* s = doc.find(section);
  if (!s) return "<no section>";
  const auto it = s->find(key);
  return it == s->end() ? "<no key>" : it->second;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ini)

BOOST_AUTO_TEST_CASE(sections_keys_comments_whitespace) {
  const auto doc = parse_ini(
      "# leading comment\n"
      "; another\n"
      "\n"
      "[default]\n"
      "region = eu-west-1\n"
      "output=json\n"
      "   # indented comment\n"
      "Aws_Access_Key_ID   =   AKIDEXAMPLE   \n"
      "colon: value with = sign\n"
      "url = http://h:9000/x\n"
      "empty =\n"
      "[ profile dev ]\n"
      "region = us-west-2 # not a comment\n"
      "\t[profile tabbed]\n"
      "x = 1\n");
  BOOST_TEST(get(doc, "default", "region") == "eu-west-1");
  BOOST_TEST(get(doc, "default", "output") == "json");
  BOOST_TEST(get(doc, "default", "aws_access_key_id") == "AKIDEXAMPLE");
  BOOST_TEST(get(doc, "default", "colon") == "value with = sign");
  BOOST_TEST(get(doc, "default", "url") == "http://h:9000/x");
  BOOST_TEST(get(doc, "default", "empty") == "");
  BOOST_TEST(get(doc, "profile dev", "region") == "us-west-2 # not a comment");
  BOOST_TEST(get(doc, "profile tabbed", "x") == "1");
  BOOST_TEST(doc.sections.size() == 3u);
  BOOST_TEST(doc.find("nope") == nullptr);
}

BOOST_AUTO_TEST_CASE(nested_blocks) {
  const auto doc = parse_ini(
      "[default]\n"
      "region = us-east-1\n"
      "s3 =\n"
      "  max_concurrent_requests = 64\n"
      "\n"
      "  # comment inside the block\n"
      "  Addressing_Style=path\n"
      "  garbage line without equals\n"
      "output = text\n"
      "[profile other]\n"
      "s3 =\n"
      "    multipart_chunksize = 16MB\n");
  BOOST_TEST(get(doc, "default", "s3.max_concurrent_requests") == "64");
  BOOST_TEST(get(doc, "default", "s3.addressing_style") == "path");
  BOOST_TEST(get(doc, "default", "output") == "text");
  BOOST_TEST(get(doc, "default", "region") == "us-east-1");
  BOOST_TEST(get(doc, "profile other", "s3.multipart_chunksize") == "16MB");
  BOOST_TEST(doc.find("default")->size() == 5u);  // region, s3, 2 nested, output
}

BOOST_AUTO_TEST_CASE(continuation_of_a_value) {
  const auto doc = parse_ini("[a]\nk = first\n  second\nj = 2\n");
  BOOST_TEST(get(doc, "a", "k") == "first\nsecond");
  BOOST_TEST(get(doc, "a", "j") == "2");
}

BOOST_AUTO_TEST_CASE(tolerates_junk) {
  const auto doc = parse_ini(
      "\xEF\xBB\xBF"
      "orphan = before any section\r\n"
      "[broken\r\n"
      "key = after broken header\r\n"
      "[]\r\n"
      "[ok]\r\n"
      "no delimiter here\r\n"
      "= no key\r\n"
      "k = v\r\n"
      "[ok]\r\n"
      "k2 = v2\r\n"
      "k = v-again\r\n");
  BOOST_TEST(get(doc, "ok", "k") == "v-again");
  BOOST_TEST(get(doc, "ok", "k2") == "v2");
  BOOST_TEST(doc.find("ok")->size() == 2u);
  BOOST_TEST(doc.find("broken") == nullptr);
  BOOST_TEST(parse_ini("").sections.empty());
  BOOST_TEST(parse_ini("[x]").find("x") != nullptr);
}

BOOST_AUTO_TEST_CASE(read_file) {
  const auto dir = std::filesystem::temp_directory_path() / "s3up_ini_test";
  std::filesystem::create_directories(dir);
  const auto file = dir / "config";
  { std::ofstream(file) << "[default]\nregion = ap-south-1\n"; }
  const auto doc = s3up::util::read_ini_file(file);
  BOOST_REQUIRE(doc);
  BOOST_TEST(get(*doc, "default", "region") == "ap-south-1");
  BOOST_TEST(!s3up::util::read_ini_file(dir / "missing"));
  BOOST_CHECK_THROW(s3up::util::read_ini_file(dir), std::runtime_error);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
