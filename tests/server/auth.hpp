// SigV4 verification of incoming requests, recomputed with the project's SigV4Signer over the
// request exactly as received.
#pragma once
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "s3/sigv4.hpp"

namespace s3up::testserver {

// What a verified request needs to check its aws-chunked body.
struct VerifiedRequest {
  const s3::SigV4Signer* signer = nullptr;
  s3::SignClock::time_point time;
  std::string seed_signature;
};

class Authenticator {
 public:
  // An empty access key disables verification.
  // A non-empty region is the only signing region accepted (S3 answers requests signed for
  // another region with 400 AuthorizationHeaderMalformed and names the right one).
  Authenticator(std::string access_key, std::string secret_key, std::string region = {});

  bool enabled() const { return !access_key_.empty(); }

  // Verifies the Authorization header (or a presigned query) of `req`; `target` is the
  // request target as received. Throws S3Error: 403 SignatureDoesNotMatch,
  // InvalidAccessKeyId, RequestTimeTooSkewed, AccessDenied; 400 AuthorizationHeaderMalformed,
  // InvalidRequest.
  VerifiedRequest verify(const boost::beast::http::request_header<>& req, std::string_view target,
                         s3::SignClock::time_point now);

 private:
  const s3::SigV4Signer& signer_for(const std::string& region);

  std::string access_key_;
  std::string secret_key_;
  std::string region_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<s3::SigV4Signer>> signers_;  // by region
};

}  // namespace s3up::testserver
