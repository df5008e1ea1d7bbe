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

  // Sends one described request and interprets its reply.
  asio::awaitable<OpResult> run(S3Call call);

  // PutObject: body with extra headers (checksum, content type, metadata). payload_sha256: the
  // body's hex SHA-256 if the caller has it (see S3Call::payload_sha256), else empty.
  asio::awaitable<OpResult> put_object(std::string key, std::span<const char> body,
                                       Headers headers, std::string payload_sha256 = {});
  // CreateMultipartUpload: on success the upload id is in OpResult.body (parse_upload_id).
  asio::awaitable<OpResult> create_multipart(std::string key, Headers headers);
  asio::awaitable<OpResult> upload_part(std::string key, std::string upload_id, int part_number,
                                        std::span<const char> body, Headers headers,
                                        std::string payload_sha256 = {});
  asio::awaitable<OpResult> complete_multipart(std::string key, std::string upload_id,
                                               std::vector<CompletedPart> parts);
  asio::awaitable<OpResult> abort_multipart(std::string key, std::string upload_id);
  asio::awaitable<OpResult> list_multipart_uploads(std::string prefix, std::string key_marker,
                                                   std::string upload_id_marker);
  asio::awaitable<OpResult> list_objects_v2(std::string prefix, std::string continuation);
  asio::awaitable<OpResult> list_parts(std::string key, std::string upload_id, int marker);
  asio::awaitable<OpResult> head_object(std::string key, Headers headers = {});

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
