// A debugging aid: with S3UP_DEBUG_SIGNING=FILE in the environment, every signed request's
// canonical request, string to sign and signature are appended to FILE as JSON lines, so that
// they can be compared with another signer (the integration tests compare with botocore).
// The secret key never enters it; a session token is replaced by "<redacted>".
#pragma once
#include "s3/sigv4.hpp"

#include <fstream>
#include <memory>
#include <mutex>
#include <string>

namespace s3up::s3 {

class SigningTrace {
 public:
  // nullptr unless S3UP_DEBUG_SIGNING names a file.
  static std::unique_ptr<SigningTrace> from_environment();
  void record(const RequestToSign& request, const Signature& signature,
              const std::string& session_token);

 private:
  explicit SigningTrace(const std::string& path) : out_(path, std::ios::app) {}
  std::mutex mutex_;
  std::ofstream out_;
};

}  // namespace s3up::s3
