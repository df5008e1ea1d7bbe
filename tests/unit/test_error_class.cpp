// Classification of failed S3 requests (s3/error_class.hpp).
#include <boost/test/unit_test.hpp>

#include <ostream>

#include "s3/error_class.hpp"
#include "s3/s3_error.hpp"

namespace s3up::s3 {
std::ostream& operator<<(std::ostream& os, ErrorClass c) { return os << to_string(c); }
}  // namespace s3up::s3

using namespace s3up::s3;

BOOST_AUTO_TEST_SUITE(error_class)

BOOST_AUTO_TEST_CASE(retryable) {
  BOOST_TEST(classify(500, "InternalError") == ErrorClass::Retryable);
  BOOST_TEST(classify(503, "SlowDown") == ErrorClass::Retryable);
  BOOST_TEST(classify(503, "ServiceUnavailable") == ErrorClass::Retryable);
  BOOST_TEST(classify(400, "RequestTimeout") == ErrorClass::Retryable);
  BOOST_TEST(classify(429, "") == ErrorClass::Retryable);
  BOOST_TEST(classify(502, "") == ErrorClass::Retryable);
  BOOST_TEST(classify(504, "SomethingNew") == ErrorClass::Retryable);
  BOOST_TEST(classify(409, "OperationAborted") == ErrorClass::Retryable);
  BOOST_TEST(classify(307, "TemporaryRedirect") == ErrorClass::Retryable);
  BOOST_TEST(classify(200, "InternalError") == ErrorClass::Retryable);  // 200 + <Error> (Complete)
}

BOOST_AUTO_TEST_CASE(fatal_for_run) {
  for (const char* code :
       {"SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied", "NoSuchBucket",
        "RequestTimeTooSkewed", "InvalidToken", "ExpiredToken", "AuthorizationHeaderMalformed",
        "PermanentRedirect", "InvalidBucketName", "AccountProblem", "AllAccessDisabled"}) {
    BOOST_TEST_CONTEXT(code) {
      BOOST_TEST(classify(403, code) == ErrorClass::FatalForRun);
      BOOST_TEST(classify(400, code) == ErrorClass::FatalForRun);
    }
  }
  BOOST_TEST(classify(301, "PermanentRedirect") == ErrorClass::FatalForRun);
  BOOST_TEST(classify(301, "") == ErrorClass::FatalForRun);  // HEAD: no body
  BOOST_TEST(classify(403, "") == ErrorClass::FatalForRun);
  BOOST_TEST(classify(401, "") == ErrorClass::FatalForRun);
  BOOST_TEST(classify(404, "NoSuchBucket") == ErrorClass::FatalForRun);
  // A fatal code wins over a retryable status.
  BOOST_TEST(classify(503, "AccessDenied") == ErrorClass::FatalForRun);
}

BOOST_AUTO_TEST_CASE(corrupted_bodies_are_retried) {
  // The body changed on the way: read, hash and send it again.
  for (const char* code : {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"}) {
    BOOST_TEST_CONTEXT(code) { BOOST_TEST(classify(400, code) == ErrorClass::Retryable); }
  }
  BOOST_TEST(classify(200, make_error_code(S3Errc::checksum_mismatch)) == ErrorClass::Retryable);
}

BOOST_AUTO_TEST_CASE(fail_file) {
  for (const char* code : {"InvalidPart", "InvalidPartOrder", "NoSuchUpload",
                           "EntityTooLarge", "EntityTooSmall", "KeyTooLongError",
                           "InvalidArgument", "InvalidRequest", "MalformedXML"}) {
    BOOST_TEST_CONTEXT(code) { BOOST_TEST(classify(400, code) == ErrorClass::FailFile); }
  }
  BOOST_TEST(classify(404, "NoSuchUpload") == ErrorClass::FailFile);
  BOOST_TEST(classify(404, "") == ErrorClass::FailFile);
  BOOST_TEST(classify(412, "PreconditionFailed") == ErrorClass::FailFile);
  BOOST_TEST(classify(400, "") == ErrorClass::FailFile);
  BOOST_TEST(classify(200, "") == ErrorClass::FailFile);  // unreadable 200 reply
  BOOST_TEST(classify(400, "slowdown") == ErrorClass::FailFile);  // codes are case-sensitive
}

BOOST_AUTO_TEST_CASE(names) {
  BOOST_TEST(to_string(ErrorClass::Retryable) == "Retryable");
  BOOST_TEST(to_string(ErrorClass::FatalForRun) == "FatalForRun");
  BOOST_TEST(to_string(ErrorClass::FailFile) == "FailFile");
}

BOOST_AUTO_TEST_SUITE_END()
