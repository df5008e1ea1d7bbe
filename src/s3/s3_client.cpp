#include "s3/s3_client.hpp"

#include <chrono>

namespace s3up::s3 {

S3Client::S3Client(http::Client& http, SigV4Signer signer, Endpoint endpoint, std::string bucket,
                   bool path_style, bool sign_payload)
    : http_(http),
      owned_(std::make_unique<S3Protocol>(std::move(signer), std::move(endpoint),
                                          std::move(bucket), path_style, sign_payload)),
      protocol_(owned_.get()) {}

S3Client::S3Client(http::Client& http, S3Protocol& protocol) : http_(http), protocol_(&protocol) {}

asio::awaitable<OpResult> S3Client::run(S3Call call) {
  // `call` stays in this frame until the reply is in: the request's body is a view of it.
  PreparedRequest prepared = protocol_->prepare(call);
  if (prepared.credentials_expiring) co_return protocol_->expiring(call, prepared);
  const auto started = std::chrono::steady_clock::now();
  http::Outcome out = co_await http_.send(prepared.target, prepared.request);
  const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  co_return protocol_->finish(call, prepared, std::move(out), latency);
}

}  // namespace s3up::s3
