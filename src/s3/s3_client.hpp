// S3 operations used by the uploader, each one signed request/response over the coroutine HTTP
// client. What the requests are and what their replies mean lives in S3Protocol (shared with
// the blocking S3BlockingClient); this class only carries them. The layer knows nothing of the
// CLI or of files: bodies come in as memory, results go out as OpResult, classified for the
// caller's retry and fail-fast decisions.
#pragma once
#include "net/http_client.hpp"
#include "s3/s3_protocol.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace s3up::s3 {

namespace asio = boost::asio;

class S3Client {
 public:
  // sign_payload: sign the SHA-256 of every body (plain HTTP); otherwise UNSIGNED-PAYLOAD.
  S3Client(http::Client& http, SigV4Signer signer, Endpoint endpoint, std::string bucket,
           bool path_style, bool sign_payload);
  // Over a protocol owned by the caller (which must outlive the client).
  S3Client(http::Client& http, S3Protocol& protocol);

  // Sends one described request (built with an S3Call factory) and interprets its reply.
  asio::awaitable<OpResult> run(S3Call call);

  S3Protocol& protocol() { return *protocol_; }
  // Re-targets signing at another region (see S3Protocol::set_region). Thread-safe.
  void set_region(const std::string& region) { protocol_->set_region(region); }
  std::string region() const { return protocol_->region(); }
  const std::string& bucket() const { return protocol_->bucket(); }
  bool sign_payload() const { return protocol_->sign_payload(); }

 private:
  http::Client& http_;
  std::unique_ptr<S3Protocol> owned_;
  S3Protocol* protocol_;
};

}  // namespace s3up::s3
