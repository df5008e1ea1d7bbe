#include "s3/error_class.hpp"

#include <array>

namespace s3up::s3 {
namespace {

// Transient whatever the status they come with: S3 asks us to slow down, timed out waiting for
// our bytes, or failed internally. Retrying the same request later is the documented remedy.
// OperationAborted (409) means a conflicting operation on the same bucket/key is in progress.
constexpr std::array<std::string_view, 9> kRetryableCodes = {
    "SlowDown",          "RequestTimeout", "InternalError",     "ServiceUnavailable",
    "Throttling",        "ThrottlingException", "RequestThrottled", "OperationAborted",
    "RequestTimeoutException"};

// Problems that every other request of the run would hit as well, so retrying or going on with
// the next file only wastes time and floods the log:
// - credentials: SignatureDoesNotMatch (wrong secret or a signing bug), InvalidAccessKeyId,
//   InvalidToken / ExpiredToken (session token; an expired token does not come back by itself),
//   AuthorizationHeaderMalformed (usually the wrong region in the scope), AccessDenied
//   (permissions are per bucket/prefix for an uploader), AllAccessDisabled, AccountProblem,
//   NotSignedUp;
// - clock: RequestTimeTooSkewed (the local clock is off by more than 15 minutes; every
//   signature will be rejected until it is fixed);
// - bucket: NoSuchBucket, InvalidBucketName;
// - region: PermanentRedirect (301) and IllegalLocationConstraintException: the bucket lives in
//   another region; the caller may correct the region from S3Error::region and restart.
constexpr std::array<std::string_view, 15> kFatalCodes = {
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "AccessDenied",
    "NoSuchBucket",
    "RequestTimeTooSkewed",
    "InvalidToken",
    "ExpiredToken",
    "AuthorizationHeaderMalformed",
    "PermanentRedirect",
    "InvalidBucketName",
    "AccountProblem",
    "AllAccessDisabled",
    "NotSignedUp",
    "IllegalLocationConstraintException",
    "InvalidSecurity"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& table, std::string_view code) {
  for (std::string_view c : table)
    if (c == code) return true;
  return false;
}

}  // namespace

ErrorClass classify(unsigned http_status, std::string_view s3_code) {
  if (!s3_code.empty()) {
    if (contains(kFatalCodes, s3_code)) return ErrorClass::FatalForRun;
    if (contains(kRetryableCodes, s3_code)) return ErrorClass::Retryable;
  }
  // 5xx: the server failed, the request may well succeed next time. 429: throttled.
  if (http_status >= 500 && http_status <= 599) return ErrorClass::Retryable;
  if (http_status == 429) return ErrorClass::Retryable;
  // 307 TemporaryRedirect: a new bucket whose DNS has not propagated yet; it settles by itself.
  if (http_status == 307) return ErrorClass::Retryable;
  // 301 without a usable code (HEAD has no body): wrong region, as PermanentRedirect.
  if (http_status == 301) return ErrorClass::FatalForRun;
  // Body-less 401/403 (HEAD): as InvalidAccessKeyId / AccessDenied.
  if (s3_code.empty() && (http_status == 401 || http_status == 403))
    return ErrorClass::FatalForRun;
  // Everything else concerns this request's file or upload: BadDigest, InvalidPart,
  // InvalidPartOrder, NoSuchUpload, EntityTooLarge/Small, KeyTooLongError, InvalidArgument,
  // InvalidRequest, MalformedXML, PreconditionFailed, NoSuchKey, ...
  return ErrorClass::FailFile;
}

bool is_credentials_expiry(std::string_view s3_code) {
  return s3_code == "ExpiredToken" || s3_code == "ExpiredTokenException" ||
         s3_code == "TokenRefreshRequired" || s3_code == "InvalidToken";
}

std::string_view to_string(ErrorClass c) {
  switch (c) {
    case ErrorClass::Retryable:
      return "Retryable";
    case ErrorClass::FatalForRun:
      return "FatalForRun";
    case ErrorClass::FailFile:
      return "FailFile";
  }
  return "FailFile";
}

}  // namespace s3up::s3
