// Typed errors of S3 requests: one enum for the S3 error codes the uploader acts on and for the
// transport failures below HTTP, with its std::error_category. S3's error names are read once,
// in errc_from_code; every decision afterwards (retry, renew, stop, the lost-Complete check,
// hints) compares enum values, never strings.
#pragma once
#include <string_view>
#include <system_error>

#include "net/http_client.hpp"

namespace s3up::s3 {

enum class S3Errc {
  // S3 <Error><Code> values
  slow_down = 1,
  request_timeout,
  internal_error,
  service_unavailable,
  throttling,
  operation_aborted,
  no_such_upload,
  no_such_bucket,
  no_such_key,
  signature_does_not_match,
  invalid_access_key_id,
  access_denied,
  request_time_too_skewed,
  expired_token,
  invalid_token,
  token_refresh_required,
  authorization_header_malformed,
  permanent_redirect,
  invalid_bucket_name,
  account_problem,
  all_access_disabled,
  not_signed_up,
  illegal_location_constraint,
  invalid_security,
  bad_digest,
  invalid_digest,
  content_sha256_mismatch,
  invalid_part,
  invalid_part_order,
  entity_too_small,
  entity_too_large,
  other_code,   // an S3 code not listed here (OpResult::code holds its name)
  http_status,  // a failure status without an S3 code (HEAD, non-S3 servers)
  // below HTTP (http::Failure)
  resolve,
  connect,
  tls,
  certificate,
  timeout,
  reset,
  protocol,
  // a 2xx reply that cannot be used (no UploadId, no ETag, unreadable listing)
  bad_reply,
  // a 2xx reply whose echoed checksum differs from the one sent: the bytes changed on the way
  checksum_mismatch,
};

const std::error_category& s3_category() noexcept;
std::error_code make_error_code(S3Errc e) noexcept;

// The enum value of an S3 error code name ("SlowDown" -> slow_down); other_code for names not
// listed, and for "".
S3Errc errc_from_code(std::string_view s3_code) noexcept;

// The enum value of a transport failure (Failure::None is not an error: returns bad_reply).
S3Errc errc_from_failure(http::Failure failure) noexcept;

}  // namespace s3up::s3

template <>
struct std::is_error_code_enum<s3up::s3::S3Errc> : std::true_type {};
