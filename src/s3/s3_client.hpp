// S3 operations used by the uploader, each one signed request/response over the HTTP client.
// The layer knows nothing of the CLI or of files: bodies come in as memory, results go out as
// OpResult, classified for the caller's retry and fail-fast decisions.
#pragma once
#include "net/http_client.hpp"
#include "s3/error_class.hpp"
#include "s3/location.hpp"
#include "s3/sigv4.hpp"
#include "s3/signing_trace.hpp"
#include "s3/xml.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace s3up::s3 {

namespace asio = boost::asio;
using Header = std::pair<std::string, std::string>;
using Headers = std::vector<Header>;

// The outcome of one S3 request.
struct OpResult {
  bool ok = false;
  ErrorClass error_class = ErrorClass::FailFile;  // meaningful when !ok
  http::Failure transport = http::Failure::None;   // set when no HTTP response came back
  unsigned status = 0;                             // HTTP status, 0 without a response
  std::string code;                                // S3 error code ("SlowDown"), if any
  std::string message;                             // one line, for people; never a secret
  std::string region_hint;                         // the region S3 named in a redirect or error
  std::string signed_region;                       // the region this request was signed for
  std::string etag;
  std::string body;
  std::vector<Header> headers;                     // response headers, names in lower case
  std::string header(std::string_view lower_name) const;  // "" when absent
};

class S3Client {
 public:
  // sign_payload: sign the SHA-256 of every body (plain HTTP); otherwise UNSIGNED-PAYLOAD.
  S3Client(http::Client& http, SigV4Signer signer, Endpoint endpoint, std::string bucket,
           bool path_style, bool sign_payload);

  // PutObject: body with extra headers (checksum, content type, metadata).
  asio::awaitable<OpResult> put_object(std::string key, std::span<const char> body,
                                       Headers headers);
  // CreateMultipartUpload: on success the upload id is in OpResult.body... see upload_id().
  asio::awaitable<OpResult> create_multipart(std::string key, Headers headers);
  asio::awaitable<OpResult> upload_part(std::string key, std::string upload_id, int part_number,
                                        std::span<const char> body, Headers headers);
  asio::awaitable<OpResult> complete_multipart(std::string key, std::string upload_id,
                                               std::vector<CompletedPart> parts);
  asio::awaitable<OpResult> abort_multipart(std::string key, std::string upload_id);
  asio::awaitable<OpResult> list_multipart_uploads(std::string prefix, std::string key_marker,
                                                   std::string upload_id_marker);
  asio::awaitable<OpResult> list_objects_v2(std::string prefix, std::string continuation);
  asio::awaitable<OpResult> list_parts(std::string key, std::string upload_id, int marker);
  asio::awaitable<OpResult> head_object(std::string key, Headers headers = {});

  // Re-targets signing (and, for AWS's own endpoints, the host) at another region: S3 named the
  // bucket's region in a reply. Thread-safe: requests already under way keep their route.
  void set_region(const std::string& region);
  std::string region() const;
  const std::string& bucket() const { return bucket_; }
  bool sign_payload() const { return sign_payload_; }

 private:
  // Everything that depends on the region, swapped as a whole by set_region().
  struct Route {
    SigV4Signer signer;
    Endpoint endpoint;
    Addressing addressing;
    http::Target target;
  };
  static std::shared_ptr<const Route> make_route(SigV4Signer signer, Endpoint endpoint,
                                                 const std::string& bucket, bool path_style);

  // A request on the object `key`, or on the bucket itself when key is nullopt.
  asio::awaitable<OpResult> send(boost::beast::http::verb method, std::optional<std::string> key,
                                 std::string query, std::span<const char> body, Headers headers);
  std::shared_ptr<const Route> route() const;

  http::Client& http_;
  std::string bucket_;
  bool path_style_;
  bool sign_payload_;
  std::unique_ptr<SigningTrace> trace_;
  mutable std::mutex route_mutex_;
  std::shared_ptr<const Route> route_;
};

}  // namespace s3up::s3
