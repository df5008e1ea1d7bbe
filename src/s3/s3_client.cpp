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
  const auto started = std::chrono::steady_clock::now();
  http::Outcome out = co_await http_.send(prepared.target, prepared.request);
  const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  co_return protocol_->finish(call, prepared, std::move(out), latency);
}

asio::awaitable<OpResult> S3Client::put_object(std::string key, std::span<const char> body,
                                               Headers headers, std::string payload_sha256) {
  S3Call call = S3Call::put_object(std::move(key), body, std::move(headers));
  call.payload_sha256 = std::move(payload_sha256);
  co_return co_await run(std::move(call));
}

asio::awaitable<OpResult> S3Client::create_multipart(std::string key, Headers headers) {
  S3Call call = S3Call::create_multipart(std::move(key), std::move(headers));
  co_return co_await run(std::move(call));
}

asio::awaitable<OpResult> S3Client::upload_part(std::string key, std::string upload_id,
                                                int part_number, std::span<const char> body,
                                                Headers headers, std::string payload_sha256) {
  S3Call call =
      S3Call::upload_part(std::move(key), upload_id, part_number, body, std::move(headers));
  call.payload_sha256 = std::move(payload_sha256);
  co_return co_await run(std::move(call));
}

asio::awaitable<OpResult> S3Client::complete_multipart(std::string key, std::string upload_id,
                                                       std::vector<CompletedPart> parts) {
  S3Call call = S3Call::complete_multipart(std::move(key), upload_id, parts);
  co_return co_await run(std::move(call));
}

asio::awaitable<OpResult> S3Client::abort_multipart(std::string key, std::string upload_id) {
  S3Call call = S3Call::abort_multipart(std::move(key), upload_id);
  co_return co_await run(std::move(call));
}

asio::awaitable<OpResult> S3Client::list_multipart_uploads(std::string prefix,
                                                           std::string key_marker,
                                                           std::string upload_id_marker) {
  S3Call call = S3Call::list_multipart_uploads(prefix, key_marker, upload_id_marker);
  co_return co_await run(std::move(call));
}

asio::awaitable<OpResult> S3Client::list_objects_v2(std::string prefix, std::string continuation) {
  S3Call call = S3Call::list_objects_v2(prefix, continuation);
  co_return co_await run(std::move(call));
}

asio::awaitable<OpResult> S3Client::list_parts(std::string key, std::string upload_id, int marker) {
  S3Call call = S3Call::list_parts(std::move(key), upload_id, marker);
  co_return co_await run(std::move(call));
}

asio::awaitable<OpResult> S3Client::head_object(std::string key, Headers headers) {
  S3Call call = S3Call::head_object(std::move(key), std::move(headers));
  co_return co_await run(std::move(call));
}

}  // namespace s3up::s3
