// The blocking counterpart of S3Client, for the threaded engine: the same S3 operations, prepared
// and interpreted by the same S3Protocol, sent with a thread's own blocking HTTP client. Each
// call blocks the calling thread until the reply is in. One per thread; the protocol (shared by
// all threads) and the HTTP client must outlive it.
#pragma once
#include "net/blocking_http_client.hpp"
#include "s3/s3_protocol.hpp"

#include <span>
#include <string>
#include <vector>

namespace s3up::s3 {

class S3BlockingClient {
 public:
  S3BlockingClient(http::BlockingClient& http, S3Protocol& protocol)
      : http_(http), protocol_(protocol) {}

  // Sends one described request and interprets its reply.
  OpResult run(const S3Call& call);

  OpResult put_object(std::string key, std::span<const char> body, Headers headers) {
    return run(S3Call::put_object(std::move(key), body, std::move(headers)));
  }
  OpResult create_multipart(std::string key, Headers headers) {
    return run(S3Call::create_multipart(std::move(key), std::move(headers)));
  }
  OpResult upload_part(std::string key, const std::string& upload_id, int part_number,
                       std::span<const char> body, Headers headers) {
    return run(S3Call::upload_part(std::move(key), upload_id, part_number, body, std::move(headers)));
  }
  OpResult complete_multipart(std::string key, const std::string& upload_id,
                              const std::vector<CompletedPart>& parts) {
    return run(S3Call::complete_multipart(std::move(key), upload_id, parts));
  }
  OpResult abort_multipart(std::string key, const std::string& upload_id) {
    return run(S3Call::abort_multipart(std::move(key), upload_id));
  }
  OpResult head_object(std::string key, Headers headers = {}) {
    return run(S3Call::head_object(std::move(key), std::move(headers)));
  }

  S3Protocol& protocol() { return protocol_; }

 private:
  http::BlockingClient& http_;
  S3Protocol& protocol_;
};

}  // namespace s3up::s3
