// The parsers and settings of the credential providers: timestamps, credential_process command
// lines and output, the JSON documents of IMDS and the container endpoint, STS replies, SSO
// cache paths, container endpoint rules. No network.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "auth/container.hpp"
#include "auth/http_fetch.hpp"
#include "auth/imds.hpp"
#include "auth/process.hpp"
#include "auth/sso.hpp"
#include "auth/sts.hpp"
#include "auth/time_format.hpp"

using namespace s3up::auth;
using namespace std::chrono;

namespace {

constexpr const char* kSecret = "SecretKEYwJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE";
constexpr const char* kToken = "SessionTOKENIQoJb3JpZ2luX2VjEJr//////////wEaCXVz";

// Seconds since the epoch of a parsed timestamp, or -1 when it was refused.
long long epoch(std::string_view text) {
  const auto t = parse_iso8601(text);
  return t ? duration_cast<seconds>(t->time_since_epoch()).count() : -1;
}

long long epoch_ms(std::string_view text) {
  const auto t = parse_iso8601(text);
  return t ? duration_cast<milliseconds>(t->time_since_epoch()).count() : -1;
}

long long epoch(const s3up::s3::Credentials& c) {
  return c.expiration ? duration_cast<seconds>(c.expiration->time_since_epoch()).count() : -1;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

using Words = std::vector<std::string>;

// The ProviderError message of f(); fails the test when nothing is thrown.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ProviderError& e) {
    return e.what();
  }
  BOOST_ERROR("no ProviderError thrown");
  return {};
}

s3up::s3::Environment env_of(std::map<std::string, std::string> vars) {
  return {[vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  }};
}

// The URL container_settings accepts for FULL_URI `url`, or "refused: <message>".
std::string full_uri(const std::string& url) {
  try {
    const auto s = container_settings(env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", url}}));
    return s ? s->url : "<none>";
  } catch (const ProviderError& e) {
    return std::string("refused: ") + e.what();
  }
}

const std::string kAssumeRoleReply = R"(<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
  <SourceIdentity>Alice</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>
       AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW
       LWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGd
       QrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU
       9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz
       +scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==
      </SessionToken>
      <Expiration>2019-11-09T13:34:41Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>)";

const std::string kWebIdentityReply = R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A</SubjectFromWebIdentityToken>
    <Audience>client.5498841531868486423.1548@apps.example.com</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1</Arn>
      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:app1</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE</SessionToken>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <Expiration>2014-10-24T23:00:23Z</Expiration>
      <AccessKeyId>ASgeIAIOSFODNN7EXAMPLE</AccessKeyId>
    </Credentials>
    <SourceIdentity>SourceIdentityValue</SourceIdentity>
    <Provider>www.amazon.com</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>)";

const std::string kErrorReply = R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>AccessDenied</Code>
    <Message>User: arn:aws:iam::123456789012:user/dev is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/demo</Message>
  </Error>
  <RequestId>4a5a6e0b-0b3f-4d0c-8d3c-EXAMPLE</RequestId>
</ErrorResponse>)";

}  // namespace

BOOST_AUTO_TEST_SUITE(auth_parsing)

// ---- parse_iso8601 / format_iso8601

BOOST_AUTO_TEST_CASE(iso8601_utc_forms) {
  BOOST_TEST(epoch("2026-12-02T03:04:05Z") == 1796180645);
  BOOST_TEST(epoch("2026-12-02t03:04:05z") == 1796180645);
  BOOST_TEST(epoch("2026-12-02 03:04:05Z") == 1796180645);
  BOOST_TEST(epoch("2026-12-02T03:04:05UTC") == 1796180645);  // the SSO cache's form
  BOOST_TEST(epoch("2026-12-02T03:04:05 UTC") == 1796180645);
  BOOST_TEST(epoch("2026-12-02T03:04:05+00:00") == 1796180645);
  BOOST_TEST(epoch("2026-12-02T03:04:05-00:00") == 1796180645);
  BOOST_TEST(epoch("2026-12-02T03:04:05") == 1796180645);  // no zone: UTC
  BOOST_TEST(epoch("  2026-12-02T03:04:05Z\n") == 1796180645);
  BOOST_TEST(epoch("1970-01-01T00:00:00Z") == 0);
  BOOST_TEST(epoch("2024-02-29T00:00:00Z") == 1709164800);
  BOOST_TEST(epoch("2026-12-02T24:00:00Z") == 1796256000);  // the end of the day
}

BOOST_AUTO_TEST_CASE(iso8601_fractions_and_offsets) {
  BOOST_TEST(epoch_ms("2026-12-02T03:04:05.123Z") == 1796180645123LL);
  BOOST_TEST(epoch_ms("2026-12-02T03:04:05.1Z") == 1796180645100LL);
  BOOST_TEST(epoch_ms("2026-12-02T03:04:05,5Z") == 1796180645500LL);
  BOOST_TEST(epoch_ms("2026-12-02T03:04:05.123456789123Z") == 1796180645123LL);
  BOOST_TEST(epoch_ms("2026-12-02T03:04:05.250+01:00") == 1796180645250LL - 3'600'000);
  BOOST_TEST(epoch("2026-12-02T03:04:05+01:00") == 1796180645 - 3600);
  BOOST_TEST(epoch("2026-12-02T03:04:05-05:30") == 1796180645 + 5 * 3600 + 1800);
  BOOST_TEST(epoch("2026-12-02T03:04:05+0100") == 1796180645 - 3600);
  BOOST_TEST(epoch("2026-12-02T03:04:05+01") == 1796180645 - 3600);
  BOOST_TEST(epoch("2026-12-02T00:30:00+01:00") == epoch("2026-12-01T23:30:00Z"));  // across days
}

BOOST_AUTO_TEST_CASE(iso8601_garbage) {
  for (const char* bad : {"", "garbage", "2026-12-02", "2026-12-02T", "2026-12-02T03:04Z",
                          "2026-13-02T03:04:05Z", "2026-00-02T03:04:05Z", "2026-12-32T03:04:05Z",
                          "2023-02-29T00:00:00Z", "2026-12-02T25:04:05Z", "2026-12-02T03:60:05Z",
                          "2026-12-02T03:04:61Z", "2026-12-02T24:00:01Z", "2026-12-02T03:04:05ZZ",
                          "2026-12-02T03:04:05.Z", "2026-12-02T03:04:05+1",
                          "2026-12-02T03:04:05+24:00", "2026-12-02T03:04:05+01:60",
                          "2026-12-02T03:04:05 PST", "2026-12-02X03:04:05Z", "12/02/2026 03:04:05",
                          "26-12-02T03:04:05Z", "2026-12-02T03:04:05Z trailing", "1796180645"}) {
    BOOST_TEST_CONTEXT(bad) { BOOST_TEST(!parse_iso8601(bad).has_value()); }
  }
}

BOOST_AUTO_TEST_CASE(iso8601_format_round_trip) {
  const auto t = parse_iso8601("2026-12-02T03:04:05.999Z");
  BOOST_REQUIRE(t);
  BOOST_TEST(format_iso8601(*t) == "2026-12-02T03:04:05Z");  // seconds truncated
  BOOST_TEST(format_iso8601(SysTime{}) == "1970-01-01T00:00:00Z");
  const auto u = parse_iso8601(format_iso8601(*t));
  BOOST_REQUIRE(u);
  BOOST_TEST(epoch(format_iso8601(*u)) == 1796180645);
}

// Found by tests/fuzz/fuzz_iso8601, fuzz_sso and fuzz_sts_reply (inputs in tests/fuzz/corpus):
// a year SysTime cannot hold (before ~1678 or after ~2262 in nanoseconds) overflowed the
// conversion (undefined behaviour). Times are clamped to [kEarliestTime, kLatestTime] (1970 to
// 2262), where a difference with the present cannot overflow either.
BOOST_AUTO_TEST_CASE(iso8601_years_beyond_system_clock_are_clamped) {
  BOOST_TEST((parse_iso8601("1026-12-31T23:59:60Z") == kEarliestTime));
  BOOST_TEST((parse_iso8601("0000-01-01T00:00:00Z") == kEarliestTime));
  BOOST_TEST((parse_iso8601("1969-12-31T23:59:59.999Z") == kEarliestTime));
  BOOST_TEST((parse_iso8601("9999-12-31T23:59:59.999999999+14:00") == kLatestTime));
  BOOST_TEST((parse_iso8601("2999-01-01T00:00:00Z") == kLatestTime));
  BOOST_TEST(epoch("2262-01-01T00:00:00Z") == 9214646400LL);
  // Inside the range, times are read exactly.
  BOOST_TEST(epoch("1970-01-01T00:00:01Z") == 1);
  BOOST_TEST(epoch("2261-12-31T23:59:59Z") == 9214646399LL);
  // An SSO cache from year 1013 is expired, not an overflow.
  const auto cached = parse_sso_cache(
      R"({"accessToken": "eyJlbmMiOiJBM", "expiresAt": "1013-12-02T09:14:07UTC"})");
  BOOST_REQUIRE(cached);
  BOOST_TEST((cached->expires_at == kEarliestTime));
  // STS credentials that expire in 5259.
  const auto c = parse_sts_credentials(
      "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>"
      "<SecretAccessKey>S</SecretAccessKey><SessionToken>T</SessionToken>"
      "<Expiration>5259-11-09T13:34:41Z</Expiration></Credentials></AssumeRoleResult>"
      "</AssumeRoleResponse>",
      "AssumeRole");
  BOOST_TEST((c.expiration == kLatestTime));
}

// parse_sso_reply: an expiration (epoch milliseconds) past SysTime's range was cast to an
// integer that overflowed; it is clamped.
BOOST_AUTO_TEST_CASE(sso_reply_expiration_beyond_system_clock_is_clamped) {
  const auto c = parse_sso_reply(
      200,
      R"({"roleCredentials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":1e300}})",
      "SSO: ");
  BOOST_TEST((c.expiration == kLatestTime));
  const auto d = parse_sso_reply(
      200,
      R"({"roleCredentials":{"accessKeyId":"A","secretAccessKey":"S","expiration":1764666847000}})",
      "SSO: ");
  BOOST_TEST(epoch(d) == 1764666847);
  BOOST_CHECK_THROW(parse_sso_reply(500, R"({"message":"no"})", "SSO: "), ProviderError);
  // Found by tests/fuzz/fuzz_sso: Boost.JSON reads 0e3020 as NaN, which passed "<= 0" and was
  // converted to an integer.
  BOOST_CHECK_THROW(
      parse_sso_reply(200, R"({"roleCredentials":{"accessKeyId":"A","secretAccessKey":"S","expiration":0e3020}})",
                      "SSO: "),
      ProviderError);
  BOOST_CHECK_THROW(
      parse_sso_reply(200, R"({"roleCredentials":{"accessKeyId":"A","secretAccessKey":"S","expiration":-1}})",
                      "SSO: "),
      ProviderError);
}

// ---- split_command_line (expected values are what Python's shlex.split gives)

BOOST_AUTO_TEST_CASE(split_plain_words) {
  BOOST_TEST(split_command_line("a b  c") == (Words{"a", "b", "c"}));
  BOOST_TEST(split_command_line("  lead\ttab\nnewline\r\n") == (Words{"lead", "tab", "newline"}));
  BOOST_TEST(split_command_line("/opt/bin/get-creds --profile \"my profile\"") ==
             (Words{"/opt/bin/get-creds", "--profile", "my profile"}));
  BOOST_TEST(split_command_line("aws-vault exec dev --json") ==
             (Words{"aws-vault", "exec", "dev", "--json"}));
}

BOOST_AUTO_TEST_CASE(split_quotes_and_escapes) {
  BOOST_TEST(split_command_line("'single  quoted' x") == (Words{"single  quoted", "x"}));
  BOOST_TEST(split_command_line("'no \\escape \"here\"'") == (Words{"no \\escape \"here\""}));
  // In double quotes only \\ and \" are escapes; shlex keeps the backslash before $ and `.
  BOOST_TEST(split_command_line(R"("a \"q\" \\ \$x \`y\` \n")") ==
             (Words{R"(a "q" \ \$x \`y\` \n)"}));
  BOOST_TEST(split_command_line(R"(a\ b c\"d \'e\\)") == (Words{"a b", "c\"d", "'e\\"}));
  BOOST_TEST(split_command_line(R"(C:\path)") == (Words{"C:path"}));
  BOOST_TEST(split_command_line("a\"b c\"'d e'f") == (Words{"ab cd ef"}));
  BOOST_TEST(split_command_line(R"('it'\''s')") == (Words{"it's"}));
  BOOST_TEST(split_command_line("a '' \"\" b") == (Words{"a", "", "", "b"}));
  BOOST_TEST(split_command_line("a\"\"b") == (Words{"ab"}));
  BOOST_TEST(split_command_line("get #not-a-comment x#y") == (Words{"get", "#not-a-comment", "x#y"}));
}

BOOST_AUTO_TEST_CASE(split_errors) {
  for (const char* bad : {"\"abc", "'abc", "abc\\", "a \"b\\\"", "", "   ", "\t\n"}) {
    BOOST_TEST_CONTEXT("[" << bad << "]") {
      BOOST_CHECK_THROW(split_command_line(bad), ProviderError);
    }
  }
}

// ---- parse_process_output

BOOST_AUTO_TEST_CASE(process_output_full) {
  const auto c = parse_process_output(std::string(R"({"Version": 1, "AccessKeyId": "AKIDPROC",
      "SecretAccessKey": ")") + kSecret + R"(", "SessionToken": ")" + kToken +
                                      R"(", "Expiration": "2026-12-02T03:04:05Z"})");
  BOOST_TEST(c.access_key_id == "AKIDPROC");
  BOOST_TEST(c.secret_access_key == kSecret);
  BOOST_TEST(c.session_token == kToken);
  BOOST_TEST(epoch(c) == 1796180645);
}

BOOST_AUTO_TEST_CASE(process_output_long_term) {
  const auto c = parse_process_output(
      std::string(R"({"Version":1,"AccessKeyId":"AKIDPROC","SecretAccessKey":")") + kSecret + "\"}");
  BOOST_TEST(c.access_key_id == "AKIDPROC");
  BOOST_TEST(c.session_token == "");
  BOOST_TEST(!c.expiration.has_value());
}

BOOST_AUTO_TEST_CASE(process_output_refused) {
  const std::string keys = std::string(R"("AccessKeyId":"AKIDPROC","SecretAccessKey":")") + kSecret +
                           R"(","SessionToken":")" + kToken + "\"";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"Version\":2," + keys + "}", "Version"},
      {"{\"Version\":\"1\"," + keys + "}", "Version"},
      {"{" + keys + "}", "Version"},
      {"{\"Version\":1,\"SecretAccessKey\":\"" + std::string(kSecret) + "\"}", "AccessKeyId"},
      {"{\"Version\":1,\"AccessKeyId\":\"AKIDPROC\",\"SessionToken\":\"" + std::string(kToken) + "\"}",
       "SecretAccessKey"},
      {"{\"Version\":1," + keys + ",\"Expiration\":\"tomorrow\"}", "Expiration"},
      {"Version: 1 " + keys, "JSON"},
      {"", "JSON"},
      {"[1]", "JSON"},
  };
  for (const auto& [json, word] : cases) {
    BOOST_TEST_CONTEXT(word) {
      const std::string message = error_of([&] { parse_process_output(json); });
      BOOST_TEST(contains(message, word), message);
      BOOST_TEST(!contains(message, kSecret));
      BOOST_TEST(!contains(message, kToken));
      BOOST_TEST(!contains(message, "AKIDPROC"));
    }
  }
}

// ---- parse_credentials_json

BOOST_AUTO_TEST_CASE(credentials_json_imds) {
  const auto c = parse_credentials_json(std::string(R"({
  "Code" : "Success",
  "LastUpdated" : "2026-12-02T02:00:00Z",
  "Type" : "AWS-HMAC",
  "AccessKeyId" : "ASIAIMDS",
  "SecretAccessKey" : ")") + kSecret + R"(",
  "Token" : ")" + kToken + R"(",
  "Expiration" : "2026-12-02T03:04:05Z"
})", "imds");
  BOOST_TEST(c.access_key_id == "ASIAIMDS");
  BOOST_TEST(c.secret_access_key == kSecret);
  BOOST_TEST(c.session_token == kToken);
  BOOST_TEST(epoch(c) == 1796180645);
}

BOOST_AUTO_TEST_CASE(credentials_json_imds_failure_code) {
  const std::string doc = std::string(R"({"Code":"AssumeRoleUnauthorizedAccess","AccessKeyId":"ASIAIMDS",
      "SecretAccessKey":")") + kSecret + R"(","Token":")" + kToken + "\"}";
  const std::string message = error_of([&] { parse_credentials_json(doc, "EC2 instance metadata"); });
  BOOST_TEST(contains(message, "EC2 instance metadata"), message);
  BOOST_TEST(contains(message, "AssumeRoleUnauthorizedAccess"), message);
  BOOST_TEST(!contains(message, kSecret));
  BOOST_TEST(!contains(message, kToken));
}

BOOST_AUTO_TEST_CASE(credentials_json_container) {
  const auto c = parse_credentials_json(std::string(R"({"AccessKeyId":"ASIACONT","SecretAccessKey":")") +
                                            kSecret + R"(","Token":")" + kToken +
                                            R"(","Expiration":"2026-12-02T03:04:05.000Z",
      "RoleArn":"arn:aws:iam::123456789012:role/task"})",
                                        "container");
  BOOST_TEST(c.access_key_id == "ASIACONT");
  BOOST_TEST(c.session_token == kToken);
  BOOST_TEST(epoch(c) == 1796180645);
  // SessionToken is taken as well as Token; no Expiration is fine.
  const auto d = parse_credentials_json(std::string(R"({"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":"T"})"), "x");
  BOOST_TEST(d.session_token == "T");
  BOOST_TEST(!d.expiration.has_value());
}

BOOST_AUTO_TEST_CASE(credentials_json_refused) {
  for (const std::string& doc : {std::string("not json"), std::string("[]"),
                                std::string(R"({"AccessKeyId":"A"})") ,
                                std::string(R"({"SecretAccessKey":")") + kSecret + "\"}",
                                std::string(R"({"AccessKeyId":"","SecretAccessKey":")") + kSecret + "\"}",
                                std::string(R"({"AccessKeyId":"A","SecretAccessKey":")") + kSecret +
                                    R"(","Token":")" + kToken + R"(","Expiration":12})"}) {
    const std::string message = error_of([&] { parse_credentials_json(doc, "the endpoint"); });
    BOOST_TEST(message.starts_with("the endpoint"), message);
    BOOST_TEST(!contains(message, kSecret));
    BOOST_TEST(!contains(message, kToken));
  }
}

// ---- STS replies

BOOST_AUTO_TEST_CASE(sts_assume_role_reply) {
  const auto c = parse_sts_credentials(kAssumeRoleReply, "AssumeRole");
  BOOST_TEST(c.access_key_id == "ASIAIOSFODNN7EXAMPLE");
  BOOST_TEST(c.secret_access_key == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
  BOOST_TEST(c.session_token.starts_with("AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuF"));
  BOOST_TEST(c.session_token.ends_with("ICCR/oLxBA=="));
  BOOST_TEST(c.session_token.find_first_of(" \n") == std::string::npos);
  BOOST_TEST(epoch(c) == 1573306481);
}

BOOST_AUTO_TEST_CASE(sts_web_identity_reply) {
  const auto c = parse_sts_credentials(kWebIdentityReply, "AssumeRoleWithWebIdentity");
  BOOST_TEST(c.access_key_id == "ASgeIAIOSFODNN7EXAMPLE");
  BOOST_TEST(c.secret_access_key == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
  BOOST_TEST(c.session_token == "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE");
  BOOST_TEST(epoch(c) == 1414191623);
  // Without the namespace, and with a prefix, it reads the same.
  std::string prefixed = kWebIdentityReply;
  BOOST_TEST(parse_sts_credentials(
                 R"(<sts:AssumeRoleWithWebIdentityResponse xmlns:sts="https://sts.amazonaws.com/doc/2011-06-15/"><sts:AssumeRoleWithWebIdentityResult><sts:Credentials><sts:AccessKeyId>A</sts:AccessKeyId><sts:SecretAccessKey>S</sts:SecretAccessKey><sts:SessionToken>T</sts:SessionToken><sts:Expiration>2014-10-24T23:00:23Z</sts:Expiration></sts:Credentials></sts:AssumeRoleWithWebIdentityResult></sts:AssumeRoleWithWebIdentityResponse>)",
                 "AssumeRoleWithWebIdentity")
                 .access_key_id == "A");
}

BOOST_AUTO_TEST_CASE(sts_replies_refused) {
  const std::string error = error_of([] { parse_sts_credentials(kErrorReply, "AssumeRole"); });
  BOOST_TEST(contains(error, "AccessDenied: User: arn:aws:iam::123456789012:user/dev is not authorized"), error);
  // The reply of the other action, a reply without credentials, one without an expiration, junk.
  BOOST_CHECK_THROW(parse_sts_credentials(kAssumeRoleReply, "AssumeRoleWithWebIdentity"), ProviderError);
  BOOST_CHECK_THROW(parse_sts_credentials("<AssumeRoleResponse><AssumeRoleResult/></AssumeRoleResponse>", "AssumeRole"),
                    ProviderError);
  std::string no_expiration = kAssumeRoleReply;
  no_expiration.replace(no_expiration.find("<Expiration>"), std::string("<Expiration>2019-11-09T13:34:41Z</Expiration>").size(), "");
  const std::string message = error_of([&] { parse_sts_credentials(no_expiration, "AssumeRole"); });
  BOOST_TEST(contains(message, "Expiration"), message);
  BOOST_TEST(!contains(message, "wJalrXUtnFEMI"));
  BOOST_TEST(!contains(message, "AQoDYXdzEPT"));
  for (const char* junk : {"", "not xml", "<html><body>502 Bad Gateway</body></html>", "{\"a\":1}"}) {
    const std::string m = error_of([&] { parse_sts_credentials(junk, "AssumeRole"); });
    BOOST_TEST(!contains(m, "Bad Gateway"), m);
  }
}

BOOST_AUTO_TEST_CASE(sts_error_text_of_replies) {
  BOOST_TEST(sts_error_text(kErrorReply) ==
             "AccessDenied: User: arn:aws:iam::123456789012:user/dev is not authorized to perform: "
             "sts:AssumeRole on resource: arn:aws:iam::123456789012:role/demo");
  BOOST_TEST(sts_error_text("<ErrorResponse><Error><Code>ExpiredToken</Code></Error></ErrorResponse>") ==
             "ExpiredToken");
  BOOST_TEST(sts_error_text("<ErrorResponse><Error><Code>Throttling</Code><Message>Rate\n  exceeded</Message></Error></ErrorResponse>") ==
             "Throttling: Rate exceeded");
  BOOST_TEST(sts_error_text(kAssumeRoleReply) == "");
  BOOST_TEST(sts_error_text("not xml") == "");
  BOOST_TEST(sts_error_text("") == "");
}

BOOST_AUTO_TEST_CASE(sts_endpoints) {
  BOOST_TEST(sts_endpoint_url("us-west-2", std::nullopt) == "https://sts.us-west-2.amazonaws.com");
  BOOST_TEST(sts_endpoint_url("eu-central-1", std::nullopt) == "https://sts.eu-central-1.amazonaws.com");
  BOOST_TEST(sts_endpoint_url("cn-north-1", std::nullopt) == "https://sts.cn-north-1.amazonaws.com.cn");
  BOOST_TEST(sts_endpoint_url("aws-global", std::nullopt) == "https://sts.amazonaws.com");
  BOOST_TEST(sts_endpoint_url("", std::nullopt) == "https://sts.amazonaws.com");
  BOOST_TEST(sts_endpoint_url("us-west-2", std::string("http://127.0.0.1:4566")) == "http://127.0.0.1:4566");
  BOOST_TEST(sts_endpoint_url("us-west-2", std::string("")) == "https://sts.us-west-2.amazonaws.com");
}

// ---- SSO

BOOST_AUTO_TEST_CASE(sso_cache_paths) {
  SsoSettings s;
  s.cache_dir = "/home/u/.aws/sso/cache";
  s.start_url = "https://d-abc123.awsapps.com/start";
  // botocore's documented example: the start URL's SHA-1.
  BOOST_TEST(sso_cache_path(s) == "/home/u/.aws/sso/cache/40a89917e3175433e361b710a9d43528d7f1890a.json");
  s.session_name = "my-sso";
  BOOST_TEST(sso_cache_path(s) == "/home/u/.aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json");
  s.session_name = "";  // empty counts as unset
  s.cache_dir = "/c/";
  BOOST_TEST(sso_cache_path(s) == "/c/40a89917e3175433e361b710a9d43528d7f1890a.json");
}

BOOST_AUTO_TEST_CASE(sso_portals) {
  BOOST_TEST(sso_portal_url("us-east-1", std::nullopt) == "https://portal.sso.us-east-1.amazonaws.com");
  BOOST_TEST(sso_portal_url("cn-northwest-1", std::nullopt) ==
             "https://portal.sso.cn-northwest-1.amazonaws.com.cn");
  BOOST_TEST(sso_portal_url("eu-west-1", std::string("http://127.0.0.1:9")) == "http://127.0.0.1:9");
}

// ---- URLs

BOOST_AUTO_TEST_CASE(urls) {
  auto u = parse_url("http://127.0.0.1:8080/path?q=1");
  BOOST_TEST(u.scheme == "http");
  BOOST_TEST(u.host == "127.0.0.1");
  BOOST_TEST(u.port == 8080);
  BOOST_TEST(u.target == "/path?q=1");
  BOOST_TEST(host_header(u) == "127.0.0.1:8080");
  u = parse_url("HTTPS://sts.amazonaws.com");
  BOOST_TEST(u.scheme == "https");
  BOOST_TEST(u.port == 443);
  BOOST_TEST(u.target == "/");
  BOOST_TEST(host_header(u) == "sts.amazonaws.com");
  u = parse_url("http://[fd00:ec2::23]/v1/credentials");
  BOOST_TEST(u.host == "fd00:ec2::23");
  BOOST_TEST(u.port == 80);
  BOOST_TEST(host_header(u) == "[fd00:ec2::23]");
  u = parse_url("http://[::1]:81?x#frag");
  BOOST_TEST(u.target == "/?x");
  BOOST_TEST(host_header(u) == "[::1]:81");
  for (const char* bad : {"", "127.0.0.1:80/x", "ftp://host/", "http://", "http:///path",
                          "http://host:0/", "http://host:65536/", "http://host:x/", "http://host:/",
                          "http://[::1/", "http://user:pw@host/", "http://host/a b"}) {
    BOOST_TEST_CONTEXT(bad) { BOOST_CHECK_THROW(parse_url(bad), ProviderError); }
  }
  const std::string message = error_of([] { parse_url("ftp://host/x?secret=abc"); });
  BOOST_TEST(!contains(message, "secret=abc"), message);
}

// ---- container_settings

BOOST_AUTO_TEST_CASE(container_full_uri_hosts) {
  for (const char* ok : {"https://example.com/creds", "https://10.0.0.1/creds", "http://127.0.0.1:8080/creds",
                         "http://127.5.5.5/creds", "http://localhost/creds", "http://LOCALHOST:9/creds",
                         "http://[::1]/creds", "http://[::1]:8080/creds", "http://169.254.170.2/v2/x",
                         "http://169.254.170.23/v1/credentials", "http://[fd00:ec2::23]/v1/credentials",
                         "http://[fd00:ec2:0::23]:80/v1/credentials"}) {
    BOOST_TEST_CONTEXT(ok) { BOOST_TEST(full_uri(ok) == ok); }
  }
  for (const char* refused : {"http://example.com/creds", "http://10.0.0.1/creds", "http://169.254.170.3/",
                              "http://169.254.169.254/", "http://[fd00:ec2::24]/", "http://[::2]/",
                              "http://128.0.0.1/", "http://localhost.example.com/", "ftp://127.0.0.1/",
                              "not a url"}) {
    BOOST_TEST_CONTEXT(refused) {
      const std::string result = full_uri(refused);
      BOOST_TEST(result.starts_with("refused: AWS_CONTAINER_CREDENTIALS_FULL_URI"), result);
    }
  }
}

BOOST_AUTO_TEST_CASE(container_relative_uri_and_tokens) {
  auto s = container_settings(env_of({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc"},
                                      {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/refused"}}));
  BOOST_REQUIRE(s);
  BOOST_TEST(s->url == "http://169.254.170.2/v2/credentials/abc");  // RELATIVE wins
  BOOST_TEST(!s->token.has_value());
  BOOST_TEST(!s->token_file.has_value());
  BOOST_TEST(s->http.connect_timeout.count() == 2000);
  BOOST_TEST(s->http.read_timeout.count() == 2000);

  s = container_settings(env_of({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", ""},
                                 {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/c"},
                                 {"AWS_CONTAINER_AUTHORIZATION_TOKEN", kToken},
                                 {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/var/run/token"}}));
  BOOST_REQUIRE(s);
  BOOST_TEST(s->url == "http://127.0.0.1:9/c");  // an empty RELATIVE counts as unset
  BOOST_TEST(s->token.value_or("") == kToken);
  BOOST_TEST(s->token_file.value_or("") == "/var/run/token");

  s = container_settings(env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://localhost/c"},
                                 {"AWS_CONTAINER_AUTHORIZATION_TOKEN", ""},
                                 {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", ""}}));
  BOOST_REQUIRE(s);
  BOOST_TEST(!s->token.has_value());
  BOOST_TEST(!s->token_file.has_value());

  BOOST_TEST(!container_settings(env_of({})).has_value());
  BOOST_TEST(!container_settings(env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", ""}})).has_value());
  BOOST_TEST(!container_settings(s3up::s3::Environment{}).has_value());

  const std::string message = error_of([] {
    container_settings(env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/c"},
                               {"AWS_CONTAINER_AUTHORIZATION_TOKEN", kToken}}));
  });
  BOOST_TEST(contains(message, "example.com"), message);
  BOOST_TEST(!contains(message, kToken));
}

BOOST_AUTO_TEST_CASE(provider_descriptions) {
  BOOST_TEST(make_imds_provider({})->describe() == "EC2 instance metadata at http://169.254.169.254");
  BOOST_TEST(make_imds_provider({})->name() == "imds");
  const auto process = make_process_provider("/opt/bin/get-creds --secret " + std::string(kSecret), "dev");
  BOOST_TEST(process->describe() == "credential_process of profile 'dev'");
  BOOST_TEST(process->name() == "process");
  ContainerSettings cs;
  cs.url = "http://169.254.170.2/v2/credentials/0f6c-private-id";
  const auto container = make_container_provider(cs);
  BOOST_TEST(container->name() == "container");
  BOOST_TEST(!contains(container->describe(), "0f6c-private-id"), container->describe());
}

BOOST_AUTO_TEST_SUITE_END()
