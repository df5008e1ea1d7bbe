// The integrity negotiation (engine/integrity.hpp): what each body is sent with as the run learns
// how the store treats the flexible checksums, how a success is judged, which failures refuse
// the headers themselves, and the notes said once.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "engine/integrity.hpp"

using namespace s3up;
using namespace s3up::engine;
using s3::ChecksumAlgorithm;
using Store = IntegrityNegotiator::Store;

namespace {

// MD5 of "hello": base64 and hex.
const std::string kMd5 = "XUFAKrxLKna5cZ2REBfFkg==";
const std::string kMd5Hex = "5d41402abc4b2a76b9719d911017c592";
const std::string kCrc = "yZRlqg==";

s3::OpResult success(std::vector<s3::Header> headers, std::string etag = "\"" + kMd5Hex + "\"") {
  s3::OpResult r;
  r.ok = true;
  r.status = 200;
  r.headers = std::move(headers);
  r.etag = std::move(etag);
  return r;
}

s3::OpResult failure(unsigned status, std::string code, std::string message) {
  s3::OpResult r;
  r.status = status;
  r.code = code;
  r.message = "PutObject: HTTP " + std::to_string(status) + " " + code +
              (message.empty() ? "" : ": " + message);
  return r;
}

struct Negotiation {
  std::vector<std::string> notes;
  IntegrityNegotiator n;
  explicit Negotiation(ChecksumAlgorithm algorithm, bool etag_is_md5 = true)
      : n(algorithm, etag_is_md5, [this](const std::string& text) { notes.push_back(text); }) {}
};

}  // namespace

BOOST_AUTO_TEST_SUITE(integrity)

BOOST_AUTO_TEST_CASE(names_of_the_checks) {
  BOOST_TEST(integrity_name(Integrity::ChecksumVerified, ChecksumAlgorithm::Crc32c) == "crc32c-verified");
  BOOST_TEST(integrity_name(Integrity::ChecksumVerified, ChecksumAlgorithm::Sha256) == "sha256-verified");
  BOOST_TEST(integrity_name(Integrity::Md5Verified, ChecksumAlgorithm::Crc32c) == "md5-verified");
  BOOST_TEST(integrity_name(Integrity::EtagCompared, ChecksumAlgorithm::Crc32) == "etag-md5-compared");
  BOOST_TEST(integrity_name(Integrity::None, ChecksumAlgorithm::None) == "none");
  BOOST_TEST((full_integrity(ChecksumAlgorithm::Crc32c) == Integrity::ChecksumVerified));
  BOOST_TEST((full_integrity(ChecksumAlgorithm::Md5) == Integrity::Md5Verified));
  BOOST_TEST((full_integrity(ChecksumAlgorithm::None) == Integrity::None));
}

BOOST_AUTO_TEST_CASE(first_bodies_carry_the_checksum_and_compute_the_md5) {
  Negotiation t(ChecksumAlgorithm::Crc32c);
  const BodyChecks first = t.n.plan();
  BOOST_TEST((first.flexible == ChecksumAlgorithm::Crc32c));
  BOOST_TEST(!first.content_md5);
  BOOST_TEST(first.md5);  // so that a reply without an echo can be checked by its ETag
  // With SSE-KMS the ETag is no MD5: nothing to compute it for.
  Negotiation kms(ChecksumAlgorithm::Crc32c, /*etag_is_md5=*/false);
  BOOST_TEST(!kms.n.plan().md5);
}

BOOST_AUTO_TEST_CASE(an_echoing_store_costs_nothing_more) {
  Negotiation t(ChecksumAlgorithm::Crc32c);
  const BodyChecks sent = t.n.plan();
  const Verdict v = t.n.judge(sent, {kCrc, kMd5}, success({{"x-amz-checksum-crc32c", kCrc}}));
  BOOST_TEST(!v.corrupted);
  BOOST_TEST((v.level == Integrity::ChecksumVerified));
  BOOST_TEST((t.n.store() == Store::Echoes));
  const BodyChecks next = t.n.plan();
  BOOST_TEST((next.flexible == ChecksumAlgorithm::Crc32c));
  BOOST_TEST(!next.md5);
  BOOST_TEST(!next.content_md5);
  BOOST_TEST(t.notes.empty());
}

BOOST_AUTO_TEST_CASE(a_different_echo_is_corruption) {
  Negotiation t(ChecksumAlgorithm::Crc32c);
  const Verdict v =
      t.n.judge(t.n.plan(), {kCrc, kMd5}, success({{"x-amz-checksum-crc32c", "AAAAAA=="}}));
  BOOST_TEST_REQUIRE(v.corrupted.has_value());
  BOOST_TEST(*v.corrupted ==
             "the endpoint stored a different crc32c checksum (AAAAAA==) than the one sent (yZRlqg==)");
  // Base64 is case-sensitive: a value differing in case only is another checksum.
  BOOST_TEST(t.n.judge(t.n.plan(), {kCrc, ""}, success({{"x-amz-checksum-crc32c", "YZRLQG=="}}))
                 .corrupted.has_value());
  // The echo of another algorithm says nothing about this one (and is no echo).
  Negotiation other(ChecksumAlgorithm::Crc32);
  const Verdict w = other.n.judge(other.n.plan(), {"NhCmhg==", kMd5},
                                  success({{"x-amz-checksum-crc32c", "AAAAAA=="}}));
  BOOST_TEST(!w.corrupted);
  BOOST_TEST((w.level == Integrity::EtagCompared));
}

BOOST_AUTO_TEST_CASE(a_silent_store_is_checked_by_etag_then_content_md5) {
  Negotiation t(ChecksumAlgorithm::Crc32c);
  const BodyChecks first = t.n.plan();
  // No echo (Ceph RGW 16): the ETag is the MD5 of the bytes sent, so this body is checked.
  const Verdict v = t.n.judge(first, {kCrc, kMd5}, success({}));
  BOOST_TEST(!v.corrupted);
  BOOST_TEST((v.level == Integrity::EtagCompared));
  BOOST_TEST((t.n.store() == Store::Silent));
  BOOST_TEST_REQUIRE(t.notes.size() == 1u);
  BOOST_TEST(t.notes[0] ==
             "note: the endpoint does not verify CRC32C on PutObject (its replies echo no "
             "x-amz-checksum-crc32c); verifying with Content-MD5");
  // From now on Content-MD5, which the store verifies; the flexible checksum is kept.
  const BodyChecks next = t.n.plan();
  BOOST_TEST((next.flexible == ChecksumAlgorithm::Crc32c));
  BOOST_TEST(next.content_md5);
  BOOST_TEST(next.md5);
  const Verdict w = t.n.judge(next, {kCrc, kMd5}, success({}, "\"not-an-md5\""));
  BOOST_TEST(!w.corrupted);
  BOOST_TEST((w.level == Integrity::Md5Verified));
  // Said once, however many replies come without an echo.
  t.n.judge(first, {kCrc, kMd5}, success({}));
  BOOST_TEST(t.notes.size() == 1u);
}

BOOST_AUTO_TEST_CASE(objects_and_parts_are_learned_apart) {
  // moto 5.2 echoes the checksum of a PutObject, not of an UploadPart.
  Negotiation t(ChecksumAlgorithm::Crc32c);
  t.n.judge(t.n.plan(), {kCrc, kMd5}, success({{"x-amz-checksum-crc32c", kCrc}}));
  BOOST_TEST((t.n.store(BodyKind::Object) == Store::Echoes));
  const BodyChecks part = t.n.plan(BodyKind::Part);
  BOOST_TEST((part.kind == BodyKind::Part));
  BOOST_TEST(part.md5);  // parts are still unknown: their first ones are checked by ETag
  const Verdict v = t.n.judge(part, {kCrc, kMd5}, success({}));
  BOOST_TEST((v.level == Integrity::EtagCompared));
  BOOST_TEST((t.n.store(BodyKind::Part) == Store::Silent));
  BOOST_TEST((t.n.store(BodyKind::Object) == Store::Echoes));
  BOOST_TEST(t.n.plan(BodyKind::Part).content_md5);
  BOOST_TEST(!t.n.plan(BodyKind::Object).content_md5);
  BOOST_TEST_REQUIRE(t.notes.size() == 1u);
  BOOST_TEST(t.notes[0].find("on UploadPart") != std::string::npos);
  // A refusal concerns both.
  BOOST_TEST(t.n.refused(t.n.plan(), failure(501, "NotImplemented", "")));
  BOOST_TEST((t.n.store(BodyKind::Part) == Store::Refuses));
}

BOOST_AUTO_TEST_CASE(an_etag_that_is_not_the_md5_sent_is_sent_again) {
  Negotiation t(ChecksumAlgorithm::Crc32c);
  const Verdict v =
      t.n.judge(t.n.plan(), {kCrc, kMd5}, success({}, "\"00000000000000000000000000000000\""));
  BOOST_TEST_REQUIRE(v.corrupted.has_value());
  BOOST_TEST(v.corrupted->find("is not the MD5 of the bytes sent (" + kMd5Hex + ")") != std::string::npos);
  // The resend goes with Content-MD5: a store whose ETags are not MD5s then verifies it itself.
  BOOST_TEST(t.n.plan().content_md5);
}

BOOST_AUTO_TEST_CASE(etags_that_are_not_md5s_are_not_compared) {
  Negotiation t(ChecksumAlgorithm::Crc32c);
  for (const std::string etag : {"\"abc-3\"", "", "\"W/xyz\""}) {
    const Verdict v = t.n.judge(t.n.plan(), {kCrc, kMd5}, success({}, etag));
    BOOST_TEST(!v.corrupted);
  }
  Negotiation kms(ChecksumAlgorithm::Crc32c, /*etag_is_md5=*/false);
  const Verdict v = kms.n.judge(kms.n.plan(), {kCrc, ""}, success({}, "\"" + kMd5Hex + "\""));
  BOOST_TEST(!v.corrupted);
  BOOST_TEST((v.level == Integrity::None));  // the first body: no echo, nothing comparable
  BOOST_TEST(kms.n.plan().content_md5);      // the next ones: Content-MD5
}

BOOST_AUTO_TEST_CASE(a_store_that_stops_echoing_gets_content_md5) {
  Negotiation t(ChecksumAlgorithm::Crc32c);
  t.n.judge(t.n.plan(), {kCrc, kMd5}, success({{"x-amz-checksum-crc32c", kCrc}}));
  const BodyChecks echoed = t.n.plan();
  BOOST_TEST(!echoed.md5);
  const Verdict v = t.n.judge(echoed, {kCrc, ""}, success({}));
  BOOST_TEST((v.level == Integrity::None));  // this one went unchecked, and the report says so
  BOOST_TEST((t.n.store() == Store::Silent));
  BOOST_TEST(t.n.plan().content_md5);
  BOOST_TEST(t.notes.size() == 1u);
}

BOOST_AUTO_TEST_CASE(refused_headers_are_dropped_for_the_rest_of_the_run) {
  // Backblaze B2.
  Negotiation b2(ChecksumAlgorithm::Crc32c);
  const BodyChecks sent = b2.n.plan();
  const auto refusal = failure(400, "InvalidArgument",
                               "Unsupported header 'x-amz-sdk-checksum-algorithm' received for "
                               "this API call.");
  BOOST_TEST(b2.n.refused(sent, refusal));
  BOOST_TEST((b2.n.store() == Store::Refuses));
  const BodyChecks next = b2.n.plan();
  BOOST_TEST((next.flexible == ChecksumAlgorithm::None));
  BOOST_TEST(next.content_md5);
  BOOST_TEST_REQUIRE(b2.notes.size() == 1u);
  BOOST_TEST(b2.notes[0].find("note: the endpoint refuses the CRC32C checksum headers (PutObject: "
                              "HTTP 400 InvalidArgument: Unsupported header") == 0);
  BOOST_TEST(b2.notes[0].find("sending Content-MD5 instead for the rest of the run") != std::string::npos);
  // A request sent without them is not "refused" again (no loop), whatever the store says.
  BOOST_TEST(!b2.n.refused(next, refusal));
  // Requests already in flight with the headers are sent again; the note stays single.
  BOOST_TEST(b2.n.refused(sent, refusal));
  BOOST_TEST(b2.notes.size() == 1u);
  const Verdict v = b2.n.judge(next, {"", kMd5}, success({}));
  BOOST_TEST((v.level == Integrity::Md5Verified));

  // Cloudflare R2.
  Negotiation r2(ChecksumAlgorithm::Sha256);
  BOOST_TEST(r2.n.refused(r2.n.plan(), failure(501, "NotImplemented",
                                               "Header 'x-amz-checksum-sha256' not implemented")));
  BOOST_TEST(r2.n.plan().content_md5);
}

BOOST_AUTO_TEST_CASE(wrong_values_and_other_errors_are_not_refusals) {
  for (const auto& r : {failure(400, "BadDigest", "The Content-MD5 you specified did not match"),
                        failure(400, "InvalidDigest", "The x-amz-checksum-crc32c is invalid"),
                        failure(400, "XAmzContentSHA256Mismatch", ""),
                        failure(403, "SignatureDoesNotMatch", "x-amz-checksum-crc32c signed"),
                        failure(400, "InvalidArgument", "Invalid canned ACL"),
                        failure(500, "InternalError", "checksum algorithm")}) {
    BOOST_TEST(!refuses_checksum_headers(r), r.message);
  }
  BOOST_TEST(refuses_checksum_headers(
      failure(400, "InvalidRequest", "Value for x-amz-checksum-crc32c header is invalid.")));
  BOOST_TEST(refuses_checksum_headers(failure(501, "NotImplemented", "")));
  Negotiation t(ChecksumAlgorithm::Crc32c);
  BOOST_TEST(!t.n.refused(t.n.plan(), failure(400, "BadDigest", "")));
  BOOST_TEST((t.n.store() == Store::Unknown));
}

BOOST_AUTO_TEST_CASE(md5_and_none_need_no_negotiation) {
  Negotiation md5(ChecksumAlgorithm::Md5);
  const BodyChecks m = md5.n.plan();
  BOOST_TEST((m.flexible == ChecksumAlgorithm::None));
  BOOST_TEST(m.content_md5);
  BOOST_TEST((md5.n.judge(m, {"", kMd5}, success({})).level == Integrity::Md5Verified));
  BOOST_TEST(md5.notes.empty());

  Negotiation none(ChecksumAlgorithm::None);
  const BodyChecks n = none.n.plan();
  BOOST_TEST((n.flexible == ChecksumAlgorithm::None));
  BOOST_TEST(!n.content_md5);
  BOOST_TEST(!n.md5);
  BOOST_TEST((none.n.judge(n, {}, success({})).level == Integrity::None));
  BOOST_TEST(none.notes.empty());
}

BOOST_AUTO_TEST_CASE(checksum_mode_refused_once) {
  Negotiation t(ChecksumAlgorithm::Crc32c);
  BOOST_TEST(t.n.checksum_mode());
  t.n.checksum_mode_refused();
  t.n.checksum_mode_refused();
  BOOST_TEST(!t.n.checksum_mode());
  BOOST_TEST_REQUIRE(t.notes.size() == 1u);
  BOOST_TEST(t.notes[0].find("refuses x-amz-checksum-mode") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(etag_helpers) {
  BOOST_TEST(etag_is_plain_md5("\"" + kMd5Hex + "\""));
  BOOST_TEST(etag_is_plain_md5("5D41402ABC4B2A76B9719D911017C592"));
  BOOST_TEST(!etag_is_plain_md5("\"" + kMd5Hex + "-2\""));
  BOOST_TEST(!etag_is_plain_md5(""));
  BOOST_TEST(etag_matches_md5("\"" + kMd5Hex + "\"", kMd5));
  BOOST_TEST(!etag_matches_md5("\"" + kMd5Hex + "\"", "AAAAAAAAAAAAAAAAAAAAAA=="));
  BOOST_TEST(!etag_matches_md5("\"" + kMd5Hex + "\"", "not base64"));
}

BOOST_AUTO_TEST_CASE(a_plain_put_server_verifies_nothing_and_costs_nothing) {
  // nginx's WebDAV PUT: 201 or 204, no ETag, no echo. Not S3: nothing it stored is checked.
  for (const ChecksumAlgorithm algorithm : {ChecksumAlgorithm::Crc32c, ChecksumAlgorithm::Md5}) {
    Negotiation t(algorithm);
    s3::OpResult created = success({}, "");
    created.status = 201;
    const Verdict v = t.n.judge(t.n.plan(), {kCrc, kMd5}, created);
    BOOST_TEST(!v.corrupted);
    BOOST_TEST((v.level == Integrity::None));
    BOOST_TEST((t.n.store() == Store::Plain));
    BOOST_TEST_REQUIRE(t.notes.size() == 1u);
    BOOST_TEST(t.notes[0] ==
               "note: the endpoint stores bodies without an ETag or a checksum (HTTP 201 to "
               "PutObject: a plain HTTP PUT server, not S3): it verifies nothing sent to it; no "
               "checksum is computed or sent for the rest of the run");
    // Nothing more is computed or sent, and said once.
    const BodyChecks next = t.n.plan();
    BOOST_TEST((next.flexible == ChecksumAlgorithm::None));
    BOOST_TEST(!next.md5);
    BOOST_TEST(!next.content_md5);
    s3::OpResult replaced = success({}, "");
    replaced.status = 204;
    BOOST_TEST((t.n.judge(next, {}, replaced).level == Integrity::None));
    BOOST_TEST(t.notes.size() == 1u);
    // Parts are learned about separately (an UploadPart without an ETag is no success at all).
    BOOST_TEST((t.n.store(BodyKind::Part) == Store::Unknown));
  }
  // An ETag, or the echo of the checksum, is an S3 store.
  Negotiation echo(ChecksumAlgorithm::Crc32c);
  echo.n.judge(echo.n.plan(), {kCrc, kMd5}, success({{"x-amz-checksum-crc32c", kCrc}}, ""));
  BOOST_TEST((echo.n.store() == Store::Echoes));
  Negotiation etag(ChecksumAlgorithm::Crc32c);
  etag.n.judge(etag.n.plan(), {kCrc, kMd5}, success({}));
  BOOST_TEST((etag.n.store() == Store::Silent));
}

BOOST_AUTO_TEST_CASE(corrupted_is_a_retryable_checksum_mismatch) {
  const s3::OpResult r = corrupted(success({}), "UploadPart 3", "why");
  BOOST_TEST(!r.ok);
  BOOST_TEST((r.error == s3::S3Errc::checksum_mismatch));
  BOOST_TEST((r.error_class == s3::ErrorClass::Retryable));
  BOOST_TEST(r.message == "UploadPart 3: why");
}

BOOST_AUTO_TEST_SUITE_END()
