// S3Protocol without any transport: what prepare() builds and signs, and what finish() makes of
// replies (the logic both S3Client and S3BlockingClient rely on).
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "s3/s3_protocol.hpp"
#include "util/version.hpp"

using namespace s3up;
using namespace s3up::s3;
namespace bhttp = boost::beast::http;

namespace {

S3Protocol make_protocol(bool sign_payload = true, const char* url = "http://127.0.0.1:9000") {
  return S3Protocol(
      SigV4Signer(Credentials{"AKIDEXAMPLE", "secret", "", std::nullopt}, "us-east-1", "s3"),
      parse_endpoint(url), "bucket", false, sign_payload);
}

http::Outcome reply(unsigned status, std::string body, std::vector<Header> headers = {}) {
  http::Outcome out;
  out.response.result(status);
  out.response.body() = std::move(body);
  for (auto& [name, value] : headers) out.response.set(name, value);
  return out;
}

OpResult finish(const S3Protocol& p, const S3Call& call, http::Outcome out) {
  return p.finish(call, p.prepare(call), std::move(out), std::chrono::microseconds(1234));
}

// Temporary credentials expiring `in` from now, renewable or not.
class ExpiringCredentials final : public CredentialsSource {
 public:
  ExpiringCredentials(std::chrono::milliseconds in, bool refreshable)
      : credentials_(std::make_shared<const Credentials>(
            Credentials{"ASIATEMP", "temp-secret", "token", std::chrono::system_clock::now() + in})),
        refreshable_(refreshable) {}
  Current current() const override { return {credentials_, 3}; }
  bool renew(std::uint64_t) override { return false; }
  bool refreshable() const override { return refreshable_; }
  std::string provider() const override { return "imds"; }

 private:
  std::shared_ptr<const Credentials> credentials_;
  bool refreshable_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(s3_protocol)

BOOST_AUTO_TEST_CASE(prepare_addresses_signs_and_frames_the_request) {
  const S3Protocol p = make_protocol();
  const std::string data = "hello";
  Headers extra{{"x-amz-checksum-crc32c", "abc="}};
  const S3Call call = S3Call::put_object("dir/a b.txt", {data.data(), data.size()}, extra);
  const PreparedRequest r = p.prepare(call);
  BOOST_TEST(r.target.host == "127.0.0.1");
  BOOST_TEST(r.target.port == 9000);
  BOOST_TEST(!r.target.tls);
  BOOST_TEST(r.signed_region == "us-east-1");
  BOOST_TEST(r.request.method() == bhttp::verb::put);
  BOOST_TEST(std::string(r.request.target()) == "/bucket/dir/a%20b.txt");
  BOOST_TEST(std::string(r.request[bhttp::field::host]) == "127.0.0.1:9000");
  BOOST_TEST(std::string(r.request["x-amz-checksum-crc32c"]) == "abc=");
  BOOST_TEST(std::string(r.request["x-amz-content-sha256"]) ==
             "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  const std::string auth(r.request[bhttp::field::authorization]);
  BOOST_TEST(auth.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 0) == 0);
  BOOST_TEST(auth.find("x-amz-checksum-crc32c") != std::string::npos);
  BOOST_TEST(r.request.body().size() == data.size());
  BOOST_TEST(r.request.body().memory.data() == data.data());  // a view, not a copy
  BOOST_TEST(std::string(r.request[bhttp::field::user_agent]) ==
             std::string("s3up/") + s3up::version());
  BOOST_TEST(std::string(s3up::version()).find('.') != std::string::npos);  // "MAJOR.MINOR.PATCH"
}

BOOST_AUTO_TEST_CASE(credentials_about_to_expire_are_renewed_before_signing) {
  using namespace std::chrono_literals;
  const std::string data = "hello";
  const S3Call call = S3Call::put_object("k", {data.data(), data.size()}, {});
  // Renewable and expiring within kSigningGuard: not signed, and the result has them renewed
  // (typed ExpiredToken, which after_failure renews) without anything having been sent.
  {
    S3Protocol p = make_protocol();
    p.use_credentials(std::make_shared<ExpiringCredentials>(500ms, true));
    const PreparedRequest r = p.prepare(call);
    BOOST_TEST(r.credentials_expiring);
    BOOST_TEST(std::string(r.request[bhttp::field::authorization]).empty());
    BOOST_TEST(r.credentials_generation == 3u);
    const OpResult result = p.expiring(call, r);
    BOOST_TEST(!result.ok);
    BOOST_TEST((result.error == S3Errc::expired_token));
    BOOST_TEST(is_credentials_expiry(result.error));
    BOOST_TEST((result.error_class == ErrorClass::Retryable));
    BOOST_TEST(result.status == 0u);
    BOOST_TEST(result.credentials_generation == 3u);
    BOOST_TEST(result.message.find("not sent") != std::string::npos);
    BOOST_TEST(result.message.find("token") == std::string::npos);  // no secret, no token
  }
  // Further from their expiration, or not renewable (nothing better will come): signed as usual.
  for (const auto& [in, refreshable] :
       std::vector<std::pair<std::chrono::milliseconds, bool>>{{60s, true}, {500ms, false}}) {
    S3Protocol p = make_protocol();
    p.use_credentials(std::make_shared<ExpiringCredentials>(in, refreshable));
    const PreparedRequest r = p.prepare(call);
    BOOST_TEST(!r.credentials_expiring);
    BOOST_TEST(std::string(r.request[bhttp::field::authorization]).rfind(
                   "AWS4-HMAC-SHA256 Credential=ASIATEMP/", 0) == 0);
  }
}

BOOST_AUTO_TEST_CASE(unsigned_payload_over_tls_and_queries) {
  const S3Protocol p = make_protocol(false, "https://127.0.0.1:9443");
  const S3Call call = S3Call::upload_part("k", "id/+=", 7, {}, {});
  const PreparedRequest r = p.prepare(call);
  BOOST_TEST(r.target.tls);
  BOOST_TEST(std::string(r.request["x-amz-content-sha256"]) == "UNSIGNED-PAYLOAD");
  BOOST_TEST(std::string(r.request.target()) == "/bucket/k?partNumber=7&uploadId=id%2F%2B%3D");
  BOOST_TEST(r.request.has_content_length());
}

BOOST_AUTO_TEST_CASE(complete_owns_its_body_through_copies) {
  const S3Protocol p = make_protocol();
  S3Call call = S3Call::complete_multipart("k", "u", {{1, "\"e1\"", "", ""}});
  const S3Call moved = std::move(call);
  const PreparedRequest r = p.prepare(moved);
  const std::string body(r.request.body().memory.data(), r.request.body().size());
  BOOST_TEST(body.find("<PartNumber>1</PartNumber>") != std::string::npos);
  BOOST_TEST(std::string(r.request[bhttp::field::content_type]) == "application/xml");
  BOOST_TEST(r.request.method() == bhttp::verb::post);
}

BOOST_AUTO_TEST_CASE(success_and_error_replies) {
  const S3Protocol p = make_protocol();
  const S3Call put = S3Call::put_object("k", {}, {});
  OpResult ok = finish(p, put, reply(200, "", {{"ETag", "\"x\""}}));
  BOOST_TEST(ok.ok);
  BOOST_TEST(ok.etag == "\"x\"");
  BOOST_TEST(ok.latency.count() == 1234);
  BOOST_TEST(ok.signed_region == "us-east-1");

  OpResult slow = finish(p, put, reply(503, "<Error><Code>SlowDown</Code><Message>Reduce your "
                                            "request rate.</Message></Error>"));
  BOOST_TEST(!slow.ok);
  BOOST_TEST(slow.code == "SlowDown");
  BOOST_TEST(slow.message == "PutObject: HTTP 503 SlowDown: Reduce your request rate.");
  BOOST_TEST(to_string(slow.error_class) == to_string(ErrorClass::Retryable));

  OpResult denied = finish(p, put, reply(403, "<Error><Code>SignatureDoesNotMatch</Code></Error>"));
  BOOST_TEST(to_string(denied.error_class) == to_string(ErrorClass::FatalForRun));

  OpResult head = finish(p, S3Call::head_object("k"), reply(404, ""));
  BOOST_TEST(head.message == "HeadObject: HTTP 404");

  OpResult moved = finish(p, put, reply(301, "<Error><Code>PermanentRedirect</Code><Region>eu-west-1"
                                            "</Region></Error>"));
  BOOST_TEST(moved.region_hint == "eu-west-1");
}

BOOST_AUTO_TEST_CASE(transport_failures) {
  const S3Protocol p = make_protocol();
  http::Outcome reset;
  reset.failure = http::Failure::Reset;
  reset.detail = "connection reset talking to http://127.0.0.1:9000: eof";
  OpResult r = finish(p, S3Call::put_object("k", {}, {}), std::move(reset));
  BOOST_TEST(!r.ok);
  BOOST_TEST(to_string(r.error_class) == to_string(ErrorClass::Retryable));
  BOOST_TEST(r.status == 0u);
  BOOST_TEST(r.message.find("connection reset") == 0u);
  http::Outcome cert;
  cert.failure = http::Failure::Certificate;
  BOOST_TEST(to_string(finish(p, S3Call::put_object("k", {}, {}), std::move(cert)).error_class) ==
             to_string(ErrorClass::FatalForRun));
}

BOOST_AUTO_TEST_CASE(create_needs_an_upload_id) {
  const S3Protocol p = make_protocol();
  const S3Call create = S3Call::create_multipart("k", {});
  OpResult none = finish(p, create, reply(200, "<InitiateMultipartUploadResult/>"));
  BOOST_TEST(!none.ok);
  BOOST_TEST(to_string(none.error_class) == to_string(ErrorClass::Retryable));
  BOOST_TEST(none.message == "CreateMultipartUpload: reply without an UploadId");
  OpResult some = finish(p, create, reply(200, "<InitiateMultipartUploadResult><UploadId>abc"
                                               "</UploadId></InitiateMultipartUploadResult>"));
  BOOST_TEST(some.ok);
}

BOOST_AUTO_TEST_CASE(complete_with_an_error_inside_a_200) {
  const S3Protocol p = make_protocol();
  const S3Call complete = S3Call::complete_multipart("k", "u", {{1, "\"e\"", "", ""}});
  OpResult r = finish(p, complete, reply(200, "<Error><Code>InternalError</Code><Message>We "
                                              "encountered an internal error.</Message></Error>"));
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.code == "InternalError");
  BOOST_TEST(to_string(r.error_class) == to_string(ErrorClass::Retryable));
  BOOST_TEST(r.message.find("HTTP 200 carrying an error: InternalError") != std::string::npos);
  OpResult good = finish(p, complete, reply(200, "<CompleteMultipartUploadResult><ETag>\"m-1\""
                                                 "</ETag></CompleteMultipartUploadResult>"));
  BOOST_TEST(good.ok);
  BOOST_TEST(good.etag == "\"m-1\"");
}

// A Complete's BadDigest names the full-object checksum: the same parts get the same answer, so
// the file fails at once, while a PutObject's BadDigest (a body changed on the way) is retried.
BOOST_AUTO_TEST_CASE(bad_digest_fails_a_complete_but_is_retried_for_a_body) {
  const S3Protocol p = make_protocol();
  const std::string body = "<Error><Code>BadDigest</Code><Message>The CRC64NVME you specified "
                           "did not match the calculated checksum.</Message></Error>";
  const OpResult complete =
      finish(p, S3Call::complete_multipart("k", "u", {{1, "\"e\"", "", ""}}), reply(400, body));
  BOOST_TEST(!complete.ok);
  BOOST_TEST(to_string(complete.error_class) == to_string(ErrorClass::FailFile));
  const OpResult put = finish(p, S3Call::put_object("k", {}, {}), reply(400, body));
  BOOST_TEST(to_string(put.error_class) == to_string(ErrorClass::Retryable));
}

BOOST_AUTO_TEST_CASE(observer_sees_every_result_and_region_switches) {
  S3Protocol p = make_protocol();
  int seen = 0;
  p.set_observer([&seen](const OpResult&) { ++seen; });
  finish(p, S3Call::put_object("k", {}, {}), reply(200, ""));
  finish(p, S3Call::put_object("k", {}, {}), reply(500, ""));
  BOOST_TEST(seen == 2);
  p.set_observer(nullptr);
  finish(p, S3Call::put_object("k", {}, {}), reply(200, ""));
  BOOST_TEST(seen == 2);

  p.set_region("eu-west-1");
  BOOST_TEST(p.region() == "eu-west-1");
  const PreparedRequest r = p.prepare(S3Call::head_object("k"));
  BOOST_TEST(r.signed_region == "eu-west-1");
  BOOST_TEST(std::string(r.request[bhttp::field::authorization]).find("/eu-west-1/s3/") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_streamed_body_is_a_file_range_with_its_length) {
  S3Protocol p(SigV4Signer(Credentials{"AKIDEXAMPLE", "secret", {}, std::nullopt}, "us-east-1", "s3"),
               parse_endpoint("http://127.0.0.1:9000"), "bucket", true, /*sign_payload=*/true);
  S3Call call = S3Call::put_object("big.bin", {}, {});
  call.file = {7, 100, 5000};
  // Signed payloads need the SHA-256 computed beforehand: the body is not in memory.
  BOOST_CHECK_THROW(p.prepare(call), std::logic_error);
  call.payload_sha256 = std::string(64, 'a');
  const PreparedRequest r = p.prepare(call);
  BOOST_TEST(r.request.body().fd == 7);
  BOOST_TEST(r.request.body().offset == 100u);
  BOOST_TEST(r.request.body().size() == 5000u);
  BOOST_TEST(std::string(r.request[bhttp::field::content_length]) == "5000");
  BOOST_TEST(std::string(r.request["x-amz-content-sha256"]) == std::string(64, 'a'));
}

BOOST_AUTO_TEST_CASE(a_trailing_checksum_frames_the_body_and_signs_the_trailer_headers) {
  S3Protocol https = make_protocol(/*sign_payload=*/false, "https://127.0.0.1:9000");
  S3Call call = S3Call::put_object("big.bin", {}, {{"content-encoding", "gzip"}});
  call.file = {7, 0, 5000};
  call.trailing = std::make_shared<TrailingChecksum>(ChecksumAlgorithm::Crc32c);
  const PreparedRequest r = https.prepare(call);
  const auto& req = r.request;
  BOOST_TEST(std::string(req["x-amz-content-sha256"]) == "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
  // aws-chunked first: S3 removes it and keeps the object's own encoding.
  BOOST_TEST(std::string(req[bhttp::field::content_encoding]) == "aws-chunked,gzip");
  BOOST_TEST(std::string(req["x-amz-decoded-content-length"]) == "5000");
  BOOST_TEST(std::string(req["x-amz-trailer"]) == "x-amz-checksum-crc32c");
  BOOST_TEST(std::string(req["x-amz-sdk-checksum-algorithm"]) == "CRC32C");
  BOOST_TEST((req.find("x-amz-checksum-crc32c") == req.end()));  // the value comes after the body
  BOOST_TEST(req.body().trailer == call.trailing.get());
  // Content-Length: the framed body (one chunk of 5000, the empty chunk, the trailer line).
  const std::string trailer_line = "x-amz-checksum-crc32c:AAAAAA==\r\n";
  BOOST_TEST(std::string(req[bhttp::field::content_length]) ==
             std::to_string(std::string("1388\r\n").size() + 5000 + 2 + 3 +
                            trailer_line.size() + 2));
  const std::string auth(req[bhttp::field::authorization]);
  BOOST_TEST(auth.find("content-encoding;") != std::string::npos);
  BOOST_TEST(auth.find("x-amz-decoded-content-length;") != std::string::npos);
  BOOST_TEST(auth.find("x-amz-trailer") != std::string::npos);
  // Without the object's own encoding, aws-chunked alone.
  S3Call plain = S3Call::put_object("big.bin", {}, {});
  plain.file = {7, 0, 5000};
  plain.trailing = call.trailing;
  BOOST_TEST(std::string(https.prepare(plain).request[bhttp::field::content_encoding]) ==
             "aws-chunked");
  // Over plain HTTP payloads are signed: no trailer. Nor without a file to stream.
  BOOST_CHECK_THROW(make_protocol(true).prepare(call), std::logic_error);
  S3Call memory = S3Call::put_object("small", {}, {});
  memory.trailing = call.trailing;
  BOOST_CHECK_THROW(https.prepare(memory), std::logic_error);
}

BOOST_AUTO_TEST_CASE(a_stored_body_without_an_etag_is_no_success) {
  // A 200 to PutObject or UploadPart without the ETag S3 always sends (a broken gateway, a reply
  // that is not S3's) is sent again, not taken for a stored object.
  const S3Protocol p = make_protocol();
  const OpResult empty = finish(p, S3Call::put_object("k", {}, {}), reply(200, ""));
  BOOST_TEST(!empty.ok);
  BOOST_TEST(to_string(empty.error_class) == to_string(ErrorClass::Retryable));
  BOOST_TEST(empty.message == "PutObject: HTTP 200 without an ETag");
  BOOST_TEST((empty.error == S3Errc::bad_reply));
  const OpResult garbage =
      finish(p, S3Call::upload_part("k", "u", 1, {}, {}), reply(200, "<html>all good</html>"));
  BOOST_TEST(!garbage.ok);
  BOOST_TEST(garbage.message ==
             "UploadPart: HTTP 200 without an ETag (not an S3 reply: <html>all good</html>)");
}

BOOST_AUTO_TEST_CASE(a_plain_put_sink_stores_with_201_or_204_and_no_etag) {
  // nginx's WebDAV PUT: 201 Created for a new file, 204 No Content for a replaced one, no ETag.
  // HTTP's own words for a stored body: a success (the integrity checks then have no ETag).
  const S3Protocol p = make_protocol();
  for (const unsigned status : {201u, 204u}) {
    const OpResult put = finish(p, S3Call::put_object("k", {}, {}), reply(status, ""));
    BOOST_TEST(put.ok, status);
    BOOST_TEST(put.etag.empty());
    BOOST_TEST(!put.error);
    // A part cannot be completed without its ETag, whatever the status said.
    const OpResult part = finish(p, S3Call::upload_part("k", "u", 1, {}, {}), reply(status, ""));
    BOOST_TEST(!part.ok, status);
    BOOST_TEST(part.message == "UploadPart: HTTP " + std::to_string(status) + " without an ETag");
  }
}

// "Wed, 02 Dec 2026 08:30:00 GMT" for t.
static std::string http_date(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

BOOST_AUTO_TEST_CASE(request_time_too_skewed_sets_the_signing_clock_to_the_endpoints) {
  const S3Protocol p = make_protocol();
  const S3Call put = S3Call::put_object("k", {}, {});
  const std::string skewed =
      "<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time "
      "and the current time is too large.</Message></Error>";
  const auto ahead = std::chrono::system_clock::now() + std::chrono::minutes(20);
  const OpResult first = finish(p, put, reply(403, skewed, {{"Date", http_date(ahead)}}));
  BOOST_TEST(first.clock_corrected);
  BOOST_TEST(to_string(first.error_class) == to_string(ErrorClass::Retryable));
  BOOST_TEST(std::abs(first.clock_offset.count() - 1200) <= 2);
  BOOST_TEST(std::abs(p.clock_offset().count() - 1200) <= 2);
  // Requests are signed with the endpoint's time from now on.
  const std::string before = format_amz_date(std::chrono::system_clock::now() + p.clock_offset());
  const PreparedRequest next = p.prepare(put);
  const std::string after = format_amz_date(std::chrono::system_clock::now() + p.clock_offset());
  const std::string signed_at(next.request["x-amz-date"]);
  BOOST_TEST((signed_at == before || signed_at == after));
  // Refused again although signed with the endpoint's time: nothing left to correct, the run
  // stops with the difference named.
  const OpResult again = p.finish(put, next, reply(403, skewed, {{"Date", http_date(ahead)}}),
                                  std::chrono::microseconds(1));
  BOOST_TEST(!again.clock_corrected);
  BOOST_TEST(to_string(again.error_class) == to_string(ErrorClass::FatalForRun));
  BOOST_TEST(again.message.find("signed with the endpoint's time") != std::string::npos);
  // Without a Date to go by, nothing is corrected either.
  const S3Protocol q = make_protocol();
  const OpResult no_date = finish(q, put, reply(403, skewed));
  BOOST_TEST(!no_date.clock_corrected);
  BOOST_TEST(to_string(no_date.error_class) == to_string(ErrorClass::FatalForRun));
  BOOST_TEST(q.clock_offset().count() == 0);
}

BOOST_AUTO_TEST_CASE(a_head_refused_with_a_skewed_date_corrects_the_clock_too) {
  // A HEAD reply has no body to name RequestTimeTooSkewed: a 403 whose Date is more than 15
  // minutes away is taken for it; one within minutes is an ordinary refusal.
  const S3Protocol p = make_protocol();
  const auto now = std::chrono::system_clock::now();
  const OpResult near = finish(p, S3Call::head_object("k"),
                               reply(403, "", {{"Date", http_date(now + std::chrono::minutes(5))}}));
  BOOST_TEST(!near.clock_corrected);
  BOOST_TEST(p.clock_offset().count() == 0);
  const OpResult far = finish(p, S3Call::head_object("k"),
                              reply(403, "", {{"Date", http_date(now - std::chrono::minutes(20))}}));
  BOOST_TEST(far.clock_corrected);
  BOOST_TEST(std::abs(p.clock_offset().count() + 1200) <= 2);
}

BOOST_AUTO_TEST_CASE(etags_are_compared_unquoted_in_lower_case) {
  BOOST_TEST(unquoted_etag("\"9B2CF535F27731C974343645A3985328\"") ==
             "9b2cf535f27731c974343645a3985328");
  BOOST_TEST(unquoted_etag("9b2cf535f27731c974343645a3985328-3") ==
             "9b2cf535f27731c974343645a3985328-3");
  BOOST_TEST(unquoted_etag("\"") == "\"");  // one quote alone is kept
  BOOST_TEST(unquoted_etag("").empty());
}

BOOST_AUTO_TEST_SUITE_END()
