#include "s3/error_class.hpp"

#include "s3/s3_error.hpp"

namespace s3up::s3 {
namespace {

// Transient whatever the status they come with: S3 asks us to slow down, timed out waiting for
// our bytes, or failed internally. Retrying the same request later is the documented remedy.
// OperationAborted (409) means a conflicting operation on the same bucket/key is in progress.
// A body that arrived different from what was sent (BadDigest: Content-MD5 or x-amz-checksum-*;
// XAmzContentSHA256Mismatch: the signed payload hash; InvalidDigest; an echoed checksum that
// differs) changed on the way, like a reset connection: read, hash and send it again.
bool retryable(S3Errc e) {
  switch (e) {
    case S3Errc::bad_digest:
    case S3Errc::invalid_digest:
    case S3Errc::content_sha256_mismatch:
    case S3Errc::checksum_mismatch:
    case S3Errc::slow_down:
    case S3Errc::request_timeout:
    case S3Errc::internal_error:
    case S3Errc::service_unavailable:
    case S3Errc::throttling:
    case S3Errc::operation_aborted:
      return true;
    default:
      return false;
  }
}

// Problems that every other request of the run would hit as well, so retrying or going on with
// the next file only wastes time and floods the log:
// - credentials: SignatureDoesNotMatch (wrong secret or a signing bug), InvalidAccessKeyId,
//   InvalidToken / ExpiredToken / TokenRefreshRequired (session token; when the credentials can
//   be renewed, after_failure renews them before this applies), AuthorizationHeaderMalformed
//   (usually the wrong region in the scope), AccessDenied (permissions are per bucket/prefix for
//   an uploader), AllAccessDisabled, AccountProblem, NotSignedUp, InvalidSecurity;
// - clock: RequestTimeTooSkewed (the local clock is off by more than 15 minutes; every
//   signature will be rejected until it is fixed);
// - bucket: NoSuchBucket, InvalidBucketName;
// - region: PermanentRedirect (301) and IllegalLocationConstraintException: the bucket lives in
//   another region; the caller may correct the region from the reply and restart.
bool fatal(S3Errc e) {
  switch (e) {
    case S3Errc::signature_does_not_match:
    case S3Errc::invalid_access_key_id:
    case S3Errc::access_denied:
    case S3Errc::no_such_bucket:
    case S3Errc::request_time_too_skewed:
    case S3Errc::invalid_token:
    case S3Errc::expired_token:
    case S3Errc::token_refresh_required:
    case S3Errc::authorization_header_malformed:
    case S3Errc::permanent_redirect:
    case S3Errc::invalid_bucket_name:
    case S3Errc::account_problem:
    case S3Errc::all_access_disabled:
    case S3Errc::not_signed_up:
    case S3Errc::illegal_location_constraint:
    case S3Errc::invalid_security:
      return true;
    default:
      return false;
  }
}

}  // namespace

ErrorClass classify(unsigned http_status, std::error_code error) {
  const bool has_code = error && error.category() == s3_category() &&
                        static_cast<S3Errc>(error.value()) != S3Errc::http_status;
  if (has_code) {
    const auto e = static_cast<S3Errc>(error.value());
    if (fatal(e)) return ErrorClass::FatalForRun;
    if (retryable(e)) return ErrorClass::Retryable;
  }
  // 5xx: the server failed, the request may well succeed next time. 429: throttled.
  if (http_status >= 500 && http_status <= 599) return ErrorClass::Retryable;
  if (http_status == 429) return ErrorClass::Retryable;
  // 307 TemporaryRedirect: a new bucket whose DNS has not propagated yet; it settles by itself.
  if (http_status == 307) return ErrorClass::Retryable;
  // 301 without a usable code (HEAD has no body): wrong region, as PermanentRedirect.
  if (http_status == 301) return ErrorClass::FatalForRun;
  // Body-less 401/403 (HEAD): as InvalidAccessKeyId / AccessDenied.
  if (!has_code && (http_status == 401 || http_status == 403)) return ErrorClass::FatalForRun;
  // Everything else concerns this request's file or upload: BadDigest, InvalidPart,
  // InvalidPartOrder, NoSuchUpload, EntityTooLarge/Small, KeyTooLongError, InvalidArgument,
  // InvalidRequest, MalformedXML, PreconditionFailed, NoSuchKey, ...
  return ErrorClass::FailFile;
}

ErrorClass classify(unsigned http_status, std::string_view s3_code) {
  if (s3_code.empty()) return classify(http_status, std::error_code());
  return classify(http_status, make_error_code(errc_from_code(s3_code)));
}

bool is_credentials_expiry(std::error_code error) {
  return error == S3Errc::expired_token || error == S3Errc::token_refresh_required ||
         error == S3Errc::invalid_token;
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
