#include "s3/s3_blocking_client.hpp"

#include <chrono>

namespace s3up::s3 {

OpResult S3BlockingClient::run(const S3Call& call) {
  PreparedRequest prepared = protocol_.prepare(call);
  if (prepared.credentials_expiring) return protocol_.expiring(call, prepared);
  const auto started = std::chrono::steady_clock::now();
  http::Outcome out = http_.send(prepared.target, prepared.request);
  const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  return protocol_.finish(call, prepared, std::move(out), latency);
}

}  // namespace s3up::s3
