// The blocking counterpart of S3Client, for the threaded engine: the same S3 requests, prepared
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

  S3Protocol& protocol() { return protocol_; }

 private:
  http::BlockingClient& http_;
  S3Protocol& protocol_;
};

}  // namespace s3up::s3
