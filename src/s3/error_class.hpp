// What a failed S3 request means for the run: retry it, stop everything, or give up on one file.
#pragma once
#include <string_view>
#include <system_error>

namespace s3up::s3 {

enum class ErrorClass {
  Retryable,    // transient (throttling, server trouble, timeouts): retry with backoff
  FatalForRun,  // affects every file (credentials, clock, bucket, region): stop, exit code 2
  FailFile,     // specific to this file or upload: fail the file, go on with the others
};

// Classifies a reply by HTTP status and its typed error (an S3Errc; empty when the reply has no
// S3 code, e.g. HEAD). A known code decides first; otherwise the status does. Never throws.
ErrorClass classify(unsigned http_status, std::error_code error);
// The same from S3's error code name (read with errc_from_code).
ErrorClass classify(unsigned http_status, std::string_view s3_code);

// Whether S3 refused the request's temporary credentials as expired or no longer valid
// (ExpiredToken, ExpiredTokenException, TokenRefreshRequired, InvalidToken): renewing the
// credentials and signing again is the remedy when the credentials can be renewed.
bool is_credentials_expiry(std::error_code error);

// "Retryable", "FatalForRun", "FailFile".
std::string_view to_string(ErrorClass c);

}  // namespace s3up::s3
