// The transport-independent half of the S3 operations: what each request is (S3Call), how it is
// addressed, signed and built (S3Protocol::prepare), and what its reply means
// (S3Protocol::finish). S3Client sends prepared requests with the coroutine HTTP client,
// S3BlockingClient with the blocking one; neither holds any S3 logic of its own.
#pragma once
#include "net/http_client.hpp"
#include "s3/error_class.hpp"
#include "s3/s3_error.hpp"
#include "s3/location.hpp"
#include "s3/sigv4.hpp"
#include "s3/signing_trace.hpp"
#include "s3/trailing_checksum.hpp"
#include "s3/xml.hpp"

#include <boost/beast/http/verb.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3up::s3 {

using Header = std::pair<std::string, std::string>;
using Headers = std::vector<Header>;

// The outcome of one S3 request.
struct OpResult {
  bool ok = false;
  ErrorClass error_class = ErrorClass::FailFile;  // meaningful when !ok
  http::Failure transport = http::Failure::None;   // set when no HTTP response came back
  unsigned status = 0;                             // HTTP status, 0 without a response
  std::string code;                                // S3 error code name, for messages only
  std::error_code error;  // typed (s3::S3Errc): what decisions use; empty for a success
  std::string message;                             // one line, for people; never a secret
  std::string region_hint;                         // the region S3 named in a redirect or error
  std::string signed_region;                       // the region this request was signed for
  std::uint64_t credentials_generation = 0;        // of the credentials it was signed with
  std::string etag;
  std::string body;
  std::vector<Header> headers;                     // response headers, names in lower case
  std::chrono::microseconds latency{0};            // from sending the request to its reply
  // RequestTimeTooSkewed answered a request signed with a clock that the endpoint's Date header
  // shows off by more than a minute: the signing clock now follows the endpoint's (offset
  // below, endpoint minus local), and the request is worth sending again at once.
  bool clock_corrected = false;
  std::chrono::seconds clock_offset{0};
  // The request this answers, for logs (set by S3Protocol::finish): "PutObject", "PUT" (both
  // static strings) and the object's key ("" for a request on the bucket).
  std::string_view operation, method;
  std::string key;
  std::string header(std::string_view name) const;  // any case; "" when absent
};

// An ETag as compared: without its quotes, in lower case (stores differ in the case of its hex).
std::string unquoted_etag(std::string_view etag);

enum class Operation {
  PutObject,
  CreateMultipartUpload,
  UploadPart,
  CompleteMultipartUpload,
  AbortMultipartUpload,
  ListMultipartUploads,
  ListObjectsV2,
  ListParts,
  HeadObject,
  DeleteObject,
};

// "PutObject", "CreateMultipartUpload"...: the names S3's documentation and our messages use.
std::string_view to_string(Operation op);

// One S3 request, described: the operation, its method, the object (or the bucket itself), the
// query, the body and the extra headers (checksum, content type...). Built by the factories.
struct S3Call {
  Operation op = Operation::HeadObject;
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::optional<std::string> key;  // nullopt: a request on the bucket
  std::string query;               // raw, already encoded
  Headers headers;
  std::span<const char> body;  // a caller-owned body (its memory must outlive the request)
  std::string owned_body;      // or a body the call owns (CompleteMultipartUpload's XML)
  bool owns_body = false;
  // Or a range of a caller-owned open file, read as the request is sent (a PutObject streamed
  // from the file). Needs payload_sha256 when payloads are signed.
  struct FileRange {
    int fd = -1;
    std::uint64_t offset = 0, length = 0;
  } file;
  // With a file range over HTTPS: its checksum computed as it is sent and sent after it, in an
  // aws-chunked trailer (trailing_checksum.hpp), instead of an x-amz-checksum-* header.
  std::shared_ptr<TrailingChecksum> trailing;
  // Lower-case hex SHA-256 of the payload when the caller computed it already (the async engine
  // does so off its I/O threads); prepare() hashes the payload itself when this is empty.
  std::string payload_sha256;

  std::span<const char> payload() const {
    return owns_body ? std::span<const char>(owned_body.data(), owned_body.size()) : body;
  }
  std::uint64_t payload_size() const { return file.fd >= 0 ? file.length : payload().size(); }

  static S3Call put_object(std::string key, std::span<const char> body, Headers headers);
  static S3Call create_multipart(std::string key, Headers headers);
  static S3Call upload_part(std::string key, const std::string& upload_id, int part_number,
                            std::span<const char> body, Headers headers);
  static S3Call complete_multipart(std::string key, const std::string& upload_id,
                                   const std::vector<CompletedPart>& parts);
  static S3Call abort_multipart(std::string key, const std::string& upload_id);
  static S3Call list_multipart_uploads(const std::string& prefix, const std::string& key_marker,
                                       const std::string& upload_id_marker);
  static S3Call list_objects_v2(const std::string& prefix, const std::string& continuation);
  static S3Call list_parts(std::string key, const std::string& upload_id, int marker);
  static S3Call head_object(std::string key, Headers headers = {});
  static S3Call delete_object(std::string key);
};

// A signed request ready for a transport. Its body is a view of the call's payload: keep the
// S3Call alive, and where it is, until the request has been sent.
struct PreparedRequest {
  http::Target target;
  http::Request request;
  std::string signed_region;
  std::uint64_t credentials_generation = 0;
  std::chrono::seconds clock_offset{0};  // added to the local clock to sign it
  // Not signed, not to be sent: the credentials expire within kSigningGuard and can be renewed
  // (S3Protocol::expiring gives the reply that has them renewed first).
  bool credentials_expiring = false;
};

// Renewable credentials that expire within this are not signed with: a request signed now might
// reach S3 after they expired (a busy machine, a slow link) and be refused ExpiredToken. The
// request waits for the renewal instead (the refresh starts earlier: refresh_timing.hpp).
inline constexpr std::chrono::seconds kSigningGuard{1};

class S3Protocol {
 public:
  // sign_payload: sign the SHA-256 of every body (plain HTTP); otherwise UNSIGNED-PAYLOAD.
  // With S3UP_DEBUG_SIGNING set, every signed request is recorded (see SigningTrace).
  S3Protocol(SigV4Signer signer, Endpoint endpoint, std::string bucket, bool path_style,
             bool sign_payload);
  ~S3Protocol();

  // Addresses, dates, hashes and signs `call` for the current region. Thread-safe. Unsigned,
  // with credentials_expiring set, when the credentials are renewable and expire within
  // kSigningGuard.
  PreparedRequest prepare(const S3Call& call) const;

  // The result of a call prepared with credentials_expiring, never sent: a failure typed as
  // ExpiredToken (so the retry policy renews the credentials and sends it again at once), not
  // seen by the observer.
  OpResult expiring(const S3Call& call, const PreparedRequest& prepared) const;

  // Interprets what the transport brought back for a prepared call: success, or a failure
  // described in one line and classified (ErrorClass) for the retry and fail-fast decisions,
  // with the op-specific checks (CreateMultipartUpload's UploadId, CompleteMultipartUpload's
  // error inside a 200). `latency` is how long the exchange took. Calls the observer.
  // Thread-safe.
  OpResult finish(const S3Call& call, const PreparedRequest& prepared, http::Outcome outcome,
                  std::chrono::microseconds latency) const;

  // Called by finish() with every request's result, from whichever thread finished it. Set it
  // before any request is sent and clear it after the last (not synchronised with finish()).
  using Observer = std::function<void(const OpResult&)>;
  void set_observer(Observer observer) { observer_ = std::move(observer); }

  // Signs with what `source` holds at each prepare() from now on (temporary credentials are
  // renewed during a run), instead of the signer's fixed credentials. Set before any request.
  void use_credentials(std::shared_ptr<CredentialsSource> source);
  // The source set by use_credentials, or nullptr.
  CredentialsSource* credentials_source() const { return source_.get(); }

  // Re-targets signing (and, for AWS's own endpoints, the host) at another region: S3 named the
  // bucket's region in a reply. Thread-safe: requests already prepared keep their route.
  void set_region(const std::string& region);
  std::string region() const;
  // Where the requests go now (the endpoint of the current region).
  http::Target target() const;
  const std::string& bucket() const { return bucket_; }
  // What is added to the local clock to sign requests: 0 until an endpoint answered
  // RequestTimeTooSkewed with a Date of its own (as the AWS SDKs do, requests are then signed
  // with the endpoint's time). Thread-safe.
  std::chrono::seconds clock_offset() const;
  bool sign_payload() const { return sign_payload_; }

 private:
  // Everything that depends on the region, swapped as a whole by set_region().
  struct Route {
    SigV4Signer signer;
    Endpoint endpoint;
    Addressing addressing;
    http::Target target;
    std::uint64_t credentials_generation = 0;
  };
  static std::shared_ptr<const Route> make_route(SigV4Signer signer, Endpoint endpoint,
                                                 const std::string& bucket, bool path_style,
                                                 std::uint64_t credentials_generation = 0);
  std::shared_ptr<const Route> route() const;
  // The route signing with the source's current credentials (rebuilt when they change).
  std::shared_ptr<const Route> current_route() const;

  std::string bucket_;
  bool path_style_;
  bool sign_payload_;
  std::unique_ptr<SigningTrace> trace_;
  Observer observer_;
  mutable std::mutex route_mutex_;
  mutable std::shared_ptr<const Route> route_;
  std::shared_ptr<CredentialsSource> source_;
  // The signing clock's correction in seconds, and how many times it was changed (at most
  // kMaxClockCorrections: an endpoint whose clock keeps jumping cannot keep a run going).
  mutable std::atomic<std::int64_t> clock_offset_{0};
  mutable std::atomic<int> clock_corrections_{0};
  // Sets result.clock_corrected when the reply is a RequestTimeTooSkewed that a corrected
  // clock would avoid.
  void correct_clock(OpResult& result, const PreparedRequest& prepared,
                     std::chrono::seconds tolerance) const;
};

}  // namespace s3up::s3
