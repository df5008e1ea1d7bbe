// s3::location: s3:// URLs, bucket and key rules, endpoints, addressing and request paths.
// Expected encodings were produced independently with Python's urllib.parse.quote(safe='/~').
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "s3/location.hpp"

using namespace s3up::s3;

namespace {

std::string str(const std::optional<std::string>& v) { return v ? *v : "<ok>"; }

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// The UsageError message of f(); fails the test when nothing is thrown.
template <class F>
std::string usage_error(F&& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  BOOST_ERROR("no UsageError thrown");
  return {};
}

Endpoint aws() { return default_endpoint("us-east-1"); }

}  // namespace

BOOST_AUTO_TEST_SUITE(location)

BOOST_AUTO_TEST_CASE(s3_url_examples) {
  const struct {
    const char* url;
    const char* bucket;
    const char* prefix;
  } cases[] = {
      {"s3://b12", "b12", ""},
      {"s3://b12/", "b12", ""},
      {"s3://b12/p", "b12", "p/"},
      {"s3://b12/p/", "b12", "p/"},
      {"s3://b12/a/b/", "b12", "a/b/"},
      {"s3://b12/a/b", "b12", "a/b/"},
      {"S3://my.bucket-1/x y/", "my.bucket-1", "x y/"},
      {"s3://b12/100%/q?#", "b12", "100%/q?#/"},
      {"s3://b12//", "b12", "/"},
      {"s3://b12/caf\xC3\xA9", "b12", "caf\xC3\xA9/"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.url) {
      const auto u = parse_s3_url(c.url);
      BOOST_TEST(u.bucket == c.bucket);
      BOOST_TEST(u.prefix == c.prefix);
    }
  }
}

BOOST_AUTO_TEST_CASE(s3_url_errors) {
  const struct {
    const char* url;
    const char* expected;  // part of the message
  } cases[] = {
      {"", "must start with s3://"},
      {"b12/p", "must start with s3://"},
      {"s3:/b12", "must start with s3://"},
      {"https://b12/p", "must start with s3://"},
      {" s3://b12", "must start with s3://"},
      {"s3://", "no bucket name"},
      {"s3:///p", "no bucket name"},
      {"s3://ab", "3 to 63 characters"},
      {"s3://My-Bucket/p", "lowercase"},
      {"s3://under_score", "not '_'"},
      {"s3://-abc", "start and end"},
      {"s3://a..b", "'..'"},
      {"s3://192.168.5.4", "IP address"},
      {"s3://xn--abc", "'xn--'"},
      {"s3://arn:aws:s3:us-west-2:123456789012:accesspoint/ap", "ARNs are not supported"},
      {"s3://b12/bad\xFF", "not valid UTF-8 (at byte 3)"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.url) {
      const auto message = usage_error([&] { parse_s3_url(c.url); });
      BOOST_TEST(contains(message, c.expected));
      BOOST_TEST(contains(message, std::string("'") + c.url + "'"));
    }
  }
  const std::string long_prefix = "s3://b12/" + std::string(1024, 'p');
  BOOST_TEST(contains(usage_error([&] { parse_s3_url(long_prefix); }), "1025 bytes"));
  BOOST_TEST(parse_s3_url("s3://b12/" + std::string(1023, 'p')).prefix.size() == 1024u);
}

BOOST_AUTO_TEST_CASE(bucket_rules) {
  for (const char* good : {"abc", "a-b", "a.b.c", "123", "my-bucket.example.com", "a1b2c3",
                           "bucket-s3alias-not-at-end", "1.2.3", "1.2.3.4.5", "1000.2.3.4"}) {
    BOOST_TEST_CONTEXT(good) { BOOST_TEST(str(bucket_name_problem(good)) == "<ok>"); }
  }
  BOOST_TEST(str(bucket_name_problem(std::string(63, 'a'))) == "<ok>");
  const struct {
    std::string bucket;
    const char* expected;
  } bad[] = {
      {"", "3 to 63 characters long, not 0"},
      {"ab", "not 2"},
      {std::string(64, 'a'), "not 64"},
      {"Abc", "not 'A'"},
      {"a_bc", "not '_'"},
      {"a bc", "not ' '"},
      {"ab/c", "not '/'"},
      {"abc\xC3\xA9", "lowercase letters"},
      {"-abc", "start and end"},
      {"abc-", "start and end"},
      {".abc", "start and end"},
      {"abc.", "start and end"},
      {"a..bc", "'..'"},
      {"192.168.5.4", "IP address"},
      {"10.0.0.1", "IP address"},
      {"xn--bucket", "'xn--'"},
      {"sthree-bucket", "'sthree-'"},
      {"sthree-configurator-x", "'sthree-'"},
      {"amzn-s3-demo-bucket", "'amzn-s3-demo-'"},
      {"bucket-s3alias", "'-s3alias'"},
      {"bucket--ol-s3", "'--ol-s3'"},
      {"bucket.mrap", "'.mrap'"},
      {"bucket--usw2-az1--x-s3", "'--x-s3'"},
      {"bucket--table-s3", "'--table-s3'"},
  };
  for (const auto& b : bad) {
    BOOST_TEST_CONTEXT(b.bucket) {
      const auto problem = bucket_name_problem(b.bucket);
      BOOST_TEST(problem.has_value());
      BOOST_TEST(contains(str(problem), b.expected));
    }
  }
}

BOOST_AUTO_TEST_CASE(keys) {
  BOOST_TEST(make_key("", "a/b.txt") == "a/b.txt");
  BOOST_TEST(make_key("p/q/", "a/b.txt") == "p/q/a/b.txt");
  BOOST_TEST(str(key_problem("a")) == "<ok>");
  BOOST_TEST(str(key_problem("")) == "empty key");
  BOOST_TEST(str(key_problem("ok/\xC0\x80")) == "not valid UTF-8 (at byte 3)");
  BOOST_TEST(str(key_problem("\xED\xA0\x80")) == "not valid UTF-8 (at byte 0)");
  BOOST_TEST(str(key_problem(std::string(1024, 'k'))) == "<ok>");
  BOOST_TEST(str(key_problem(std::string(1025, 'k'))) ==
             "key is 1025 bytes, over S3's 1024-byte limit");
  // The limit is in bytes: 341 three-byte characters are 1023 bytes, 342 are 1026.
  std::string cjk;
  for (int i = 0; i < 341; ++i) cjk += "\xE6\x97\xA5";
  BOOST_TEST(str(key_problem(cjk)) == "<ok>");
  BOOST_TEST(str(key_problem(cjk + "\xE6\x97\xA5")) ==
             "key is 1026 bytes, over S3's 1024-byte limit");
  BOOST_TEST(str(key_problem(cjk + "a")) == "<ok>");  // exactly 1024
}

BOOST_AUTO_TEST_CASE(encoded_object_paths) {
  const auto virt = make_addressing(aws(), "b12", false);
  const auto path = make_addressing(aws(), "b12", true);
  const struct {
    const char* key;
    const char* encoded;
  } cases[] = {
      {"dir/a b.txt", "dir/a%20b.txt"},
      {"a+b", "a%2Bb"},
      {"100%", "100%25"},
      {"c#sharp", "c%23sharp"},
      {"what?.txt", "what%3F.txt"},
      {"k=v&x=y;z", "k%3Dv%26x%3Dy%3Bz"},
      {"it's \"quoted\"", "it%27s%20%22quoted%22"},
      {"[brackets](parens){braces}", "%5Bbrackets%5D%28parens%29%7Bbraces%7D"},
      {"caf\xC3\xA9/na\xC3\xAFve.txt", "caf%C3%A9/na%C3%AFve.txt"},
      {"emoji \xF0\x9F\x98\x80.png", "emoji%20%F0%9F%98%80.png"},
      {"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E/\xE3\x83\x95\xE3\x82\xA1\xE3\x82\xA4\xE3\x83\xAB",
       "%E6%97%A5%E6%9C%AC%E8%AA%9E/%E3%83%95%E3%82%A1%E3%82%A4%E3%83%AB"},
      {"~tilde-_.ok", "~tilde-_.ok"},
      {"a//b/./c/../d", "a//b/./c/../d"},
      {"*!$@:,^`|\\<>", "%2A%21%24%40%3A%2C%5E%60%7C%5C%3C%3E"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.key) {
      BOOST_TEST(object_path(virt, c.key) == std::string("/") + c.encoded);
      BOOST_TEST(object_path(path, c.key) == std::string("/b12/") + c.encoded);
    }
  }
  BOOST_TEST(bucket_path(virt) == "/");
  BOOST_TEST(bucket_path(path) == "/b12/");
}

BOOST_AUTO_TEST_CASE(endpoint_parsing) {
  auto e = parse_endpoint("http://127.0.0.1:9000");
  BOOST_TEST(e.scheme == "http");
  BOOST_TEST(e.host == "127.0.0.1");
  BOOST_TEST(e.port == 9000);
  BOOST_TEST(e.host_is_ip);
  BOOST_TEST(!e.is_default_aws);

  e = parse_endpoint("https://minio.example.com");
  BOOST_TEST(e.scheme == "https");
  BOOST_TEST(e.host == "minio.example.com");
  BOOST_TEST(e.port == 443);
  BOOST_TEST(!e.host_is_ip);
  BOOST_TEST(!e.is_default_aws);

  e = parse_endpoint("https://[::1]:9000");
  BOOST_TEST(e.host == "::1");
  BOOST_TEST(e.port == 9000);
  BOOST_TEST(e.host_is_ip);

  e = parse_endpoint("http://[2001:DB8::1]");
  BOOST_TEST(e.host == "2001:db8::1");
  BOOST_TEST(e.port == 80);
  BOOST_TEST(e.host_is_ip);

  e = parse_endpoint("https://s3.eu-west-1.amazonaws.com");
  BOOST_TEST(e.host == "s3.eu-west-1.amazonaws.com");
  BOOST_TEST(e.port == 443);
  BOOST_TEST(e.is_default_aws);
  BOOST_TEST(!e.host_is_ip);

  e = parse_endpoint("HTTP://LocalHost:8080/");
  BOOST_TEST(e.scheme == "http");
  BOOST_TEST(e.host == "localhost");
  BOOST_TEST(e.port == 8080);
  BOOST_TEST(!e.host_is_ip);

  BOOST_TEST(parse_endpoint("http://minio_1:9000").host == "minio_1");
  BOOST_TEST(parse_endpoint("https://s3.cn-north-1.amazonaws.com.cn").is_default_aws);
  BOOST_TEST(parse_endpoint("http://h:65535").port == 65535);
  BOOST_TEST(parse_endpoint("http://h:1").port == 1);
}

BOOST_AUTO_TEST_CASE(endpoint_errors) {
  const struct {
    const char* url;
    const char* expected;
  } cases[] = {
      {"", "http:// or https://"},
      {"minio:9000", "http:// or https://"},
      {"ftp://h", "http:// or https://"},
      {"s3://bucket", "http:// or https://"},
      {"http://", "no host"},
      {"http://:9000", "no host"},
      {"http://h/path", "path"},
      {"http://h:9000/bucket/", "path"},
      {"http://h?x=1", "query"},
      {"http://h#frag", "fragment"},
      {"http://user:pw@h", "user info"},
      {"http://h:", "empty port"},
      {"http://h:0", "invalid port"},
      {"http://h:65536", "invalid port"},
      {"http://h:99999999999", "invalid port"},
      {"http://h:80a", "invalid port"},
      {"http://h:-1", "invalid port"},
      {"http://::1", "brackets"},
      {"http://[::1", "unterminated"},
      {"http://[::1]x", "after ']'"},
      {"http://[::1]:", "empty port"},
      {"http://[nothex::zz]", "invalid IPv6"},
      {"http://[]", "no host"},
      {"http://h st", "invalid character"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.url) {
      const auto message = usage_error([&] { parse_endpoint(c.url); });
      BOOST_TEST(contains(message, c.expected));
      BOOST_TEST(contains(message, std::string("'") + c.url + "'"));
    }
  }
}

BOOST_AUTO_TEST_CASE(default_endpoints) {
  auto e = default_endpoint("eu-west-1");
  BOOST_TEST(e.scheme == "https");
  BOOST_TEST(e.host == "s3.eu-west-1.amazonaws.com");
  BOOST_TEST(e.port == 443);
  BOOST_TEST(e.is_default_aws);
  BOOST_TEST(!e.host_is_ip);
  BOOST_TEST(default_endpoint("cn-north-1").host == "s3.cn-north-1.amazonaws.com.cn");
  BOOST_CHECK_THROW(default_endpoint(""), UsageError);
  BOOST_CHECK_THROW(default_endpoint("us east 1"), UsageError);
  BOOST_CHECK_THROW(default_endpoint("evil.com/x"), UsageError);
}

BOOST_AUTO_TEST_CASE(path_style_decisions) {
  const auto minio = parse_endpoint("https://minio.example.com");
  BOOST_TEST(!should_use_path_style(aws(), "b12", false));
  BOOST_TEST(should_use_path_style(aws(), "b12", true));
  BOOST_TEST(should_use_path_style(aws(), "my.bucket", false));
  BOOST_TEST(!should_use_path_style(minio, "b12", false));
  BOOST_TEST(should_use_path_style(parse_endpoint("http://127.0.0.1:9000"), "b12", false));
  BOOST_TEST(should_use_path_style(parse_endpoint("http://[::1]:9000"), "b12", false));
  BOOST_TEST(should_use_path_style(parse_endpoint("http://localhost:9000"), "b12", false));
  BOOST_TEST(should_use_path_style(parse_endpoint("http://s3.localhost"), "b12", false));
  BOOST_TEST(should_use_path_style(aws(), "Legacy_Bucket", false));
}

BOOST_AUTO_TEST_CASE(addressing) {
  auto a = make_addressing(aws(), "b12", false);
  BOOST_TEST(a.host_header == "b12.s3.us-east-1.amazonaws.com");
  BOOST_TEST(a.connect_host == "b12.s3.us-east-1.amazonaws.com");
  BOOST_TEST(a.port == 443);
  BOOST_TEST(a.tls);
  BOOST_TEST(a.bucket_path_prefix == "");

  a = make_addressing(aws(), "my.bucket", true);
  BOOST_TEST(a.host_header == "s3.us-east-1.amazonaws.com");
  BOOST_TEST(a.connect_host == "s3.us-east-1.amazonaws.com");
  BOOST_TEST(a.bucket_path_prefix == "/my.bucket");
  BOOST_TEST(object_path(a, "k") == "/my.bucket/k");

  a = make_addressing(parse_endpoint("http://127.0.0.1:9000"), "b12", true);
  BOOST_TEST(a.host_header == "127.0.0.1:9000");
  BOOST_TEST(a.connect_host == "127.0.0.1");
  BOOST_TEST(a.port == 9000);
  BOOST_TEST(!a.tls);
  BOOST_TEST(a.bucket_path_prefix == "/b12");

  // Virtual-hosted style is impossible with an IP: path style regardless.
  a = make_addressing(parse_endpoint("http://127.0.0.1:9000"), "b12", false);
  BOOST_TEST(a.host_header == "127.0.0.1:9000");
  BOOST_TEST(a.bucket_path_prefix == "/b12");

  a = make_addressing(parse_endpoint("https://[::1]:9000"), "b12", true);
  BOOST_TEST(a.host_header == "[::1]:9000");
  BOOST_TEST(a.connect_host == "::1");
  BOOST_TEST(a.tls);

  a = make_addressing(parse_endpoint("https://[::1]"), "b12", true);
  BOOST_TEST(a.host_header == "[::1]");

  a = make_addressing(parse_endpoint("http://minio.local:80"), "b12", false);
  BOOST_TEST(a.host_header == "b12.minio.local");  // default port omitted
  BOOST_TEST(a.connect_host == "b12.minio.local");
  BOOST_TEST(a.port == 80);

  a = make_addressing(parse_endpoint("https://minio.local:80"), "b12", false);
  BOOST_TEST(a.host_header == "b12.minio.local:80");  // 80 is not https's default
  BOOST_TEST(a.tls);

  a = make_addressing(parse_endpoint("http://minio.local:443"), "b12", true);
  BOOST_TEST(a.host_header == "minio.local:443");
  BOOST_TEST(!a.tls);
}

BOOST_AUTO_TEST_SUITE_END()
