#include "s3/s3_error.hpp"

#include <array>
#include <string>
#include <utility>

namespace s3up::s3 {
namespace {

// S3's names for the codes the uploader acts on (the one place they are spelled).
constexpr std::array<std::pair<std::string_view, S3Errc>, 34> kCodes{{
    {"SlowDown", S3Errc::slow_down},
    {"RequestTimeout", S3Errc::request_timeout},
    {"RequestTimeoutException", S3Errc::request_timeout},
    {"InternalError", S3Errc::internal_error},
    {"ServiceUnavailable", S3Errc::service_unavailable},
    {"Throttling", S3Errc::throttling},
    {"ThrottlingException", S3Errc::throttling},
    {"RequestThrottled", S3Errc::throttling},
    {"OperationAborted", S3Errc::operation_aborted},
    {"NoSuchUpload", S3Errc::no_such_upload},
    {"NoSuchBucket", S3Errc::no_such_bucket},
    {"NoSuchKey", S3Errc::no_such_key},
    {"SignatureDoesNotMatch", S3Errc::signature_does_not_match},
    {"InvalidAccessKeyId", S3Errc::invalid_access_key_id},
    {"AccessDenied", S3Errc::access_denied},
    {"RequestTimeTooSkewed", S3Errc::request_time_too_skewed},
    {"ExpiredToken", S3Errc::expired_token},
    {"ExpiredTokenException", S3Errc::expired_token},
    {"InvalidToken", S3Errc::invalid_token},
    {"TokenRefreshRequired", S3Errc::token_refresh_required},
    {"AuthorizationHeaderMalformed", S3Errc::authorization_header_malformed},
    {"PermanentRedirect", S3Errc::permanent_redirect},
    {"InvalidBucketName", S3Errc::invalid_bucket_name},
    {"AccountProblem", S3Errc::account_problem},
    {"AllAccessDisabled", S3Errc::all_access_disabled},
    {"NotSignedUp", S3Errc::not_signed_up},
    {"IllegalLocationConstraintException", S3Errc::illegal_location_constraint},
    {"InvalidSecurity", S3Errc::invalid_security},
    {"BadDigest", S3Errc::bad_digest},
    {"InvalidDigest", S3Errc::invalid_digest},
    {"XAmzContentSHA256Mismatch", S3Errc::content_sha256_mismatch},
    {"InvalidPart", S3Errc::invalid_part},
    {"InvalidPartOrder", S3Errc::invalid_part_order},
    {"EntityTooSmall", S3Errc::entity_too_small},
}};

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "s3"; }
  std::string message(int value) const override {
    const auto e = static_cast<S3Errc>(value);
    for (const auto& [name, code] : kCodes)
      if (code == e) return std::string(name);
    switch (e) {
      case S3Errc::entity_too_large: return "EntityTooLarge";
      case S3Errc::other_code: return "an S3 error";
      case S3Errc::http_status: return "an HTTP error status";
      case S3Errc::resolve: return "name resolution failed";
      case S3Errc::connect: return "connection failed";
      case S3Errc::tls: return "TLS failure";
      case S3Errc::certificate: return "certificate not trusted";
      case S3Errc::timeout: return "timed out";
      case S3Errc::reset: return "connection reset";
      case S3Errc::protocol: return "HTTP protocol error";
      case S3Errc::bad_reply: return "unusable reply";
      case S3Errc::checksum_mismatch: return "stored checksum differs from the one sent";
      default: return "S3 error " + std::to_string(value);
    }
  }
};

}  // namespace

const std::error_category& s3_category() noexcept {
  static const Category category;
  return category;
}

std::error_code make_error_code(S3Errc e) noexcept {
  return {static_cast<int>(e), s3_category()};
}

S3Errc errc_from_code(std::string_view s3_code) noexcept {
  if (s3_code == "EntityTooLarge") return S3Errc::entity_too_large;
  for (const auto& [name, code] : kCodes)
    if (name == s3_code) return code;
  return S3Errc::other_code;
}

S3Errc errc_from_failure(http::Failure failure) noexcept {
  switch (failure) {
    case http::Failure::Resolve: return S3Errc::resolve;
    case http::Failure::Connect: return S3Errc::connect;
    case http::Failure::Tls: return S3Errc::tls;
    case http::Failure::Certificate: return S3Errc::certificate;
    case http::Failure::Timeout: return S3Errc::timeout;
    case http::Failure::Reset: return S3Errc::reset;
    case http::Failure::Protocol: return S3Errc::protocol;
    case http::Failure::None: break;
  }
  return S3Errc::bad_reply;
}

}  // namespace s3up::s3
