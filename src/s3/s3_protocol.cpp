#include "s3/s3_protocol.hpp"

#include "s3/s3_error.hpp"

#include "util/crypto.hpp"
#include "util/text.hpp"
#include "util/uri.hpp"
#include "util/version.hpp"

#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <stdexcept>

namespace s3up::s3 {
namespace bhttp = boost::beast::http;

namespace {

constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string one_line(std::string s) {
  for (auto& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  if (s.size() > 300) {
    s.resize(300);
    s += "...";
  }
  return s;
}

std::string upload_id_query(const std::string& upload_id) {
  return "uploadId=" + util::uri_encode(upload_id, true);
}

// Describes a failed HTTP reply in one line, from its S3 <Error> body when there is one.
void describe_error(OpResult& r, std::string_view what) {
  if (auto err = parse_error(r.body)) {
    r.code = err->code;
    r.region_hint = err->region;
    r.message = std::string(what) + ": HTTP " + std::to_string(r.status) + " " + err->code +
                (err->message.empty() ? "" : ": " + one_line(err->message));
  } else {
    // A HEAD reply has no body; a non-S3 server may answer anything.
    r.message = std::string(what) + ": HTTP " + std::to_string(r.status);
    if (!r.body.empty() && r.body.find("<Error>") == std::string::npos)
      r.message += " (not an S3 reply: " + one_line(r.body.substr(0, 120)) + ")";
  }
  if (r.region_hint.empty()) r.region_hint = r.header("x-amz-bucket-region");
  r.error_class = classify(r.status, r.code);
}

// The typed error of a failed result (empty for a success).
std::error_code typed_error(const OpResult& r) {
  if (r.ok) return {};
  if (r.transport != http::Failure::None) return errc_from_failure(r.transport);
  if (!r.code.empty()) return errc_from_code(r.code);
  if (r.status >= 200 && r.status < 300) return S3Errc::bad_reply;
  return S3Errc::http_status;
}

// PutObject and UploadPart: S3 answers every stored body with 200 and its ETag (which the part
// list of a Complete needs, and integrity checks compare). A 2xx without one is not S3 having
// stored anything (a proxy, a broken gateway): not a success, sent again. Except a PutObject
// answered 201 Created or 204 No Content: HTTP's own words for a stored body, which a plain PUT
// sink (nginx's WebDAV module: 201 when new, 204 when replaced) sends without an ETag.
void check_etag_reply(OpResult& r, std::string_view what, bool plain_put) {
  if (!r.ok) {
    describe_error(r, what);
    return;
  }
  if (!r.etag.empty()) return;
  if (plain_put && (r.status == 201 || r.status == 204)) return;
  r.ok = false;
  r.error_class = ErrorClass::Retryable;
  r.message = std::string(what) + ": HTTP " + std::to_string(r.status) + " without an ETag";
  if (!r.body.empty()) r.message += " (not an S3 reply: " + one_line(r.body.substr(0, 120)) + ")";
}

constexpr int kMaxClockCorrections = 16;
constexpr std::chrono::seconds kClockTolerance{60};
constexpr std::chrono::seconds kHeadSkewTolerance{14 * 60};

// CreateMultipartUpload: a 2xx is only a success with an UploadId in it.
void check_create_reply(OpResult& r) {
  if (r.ok && !parse_upload_id(r.body)) {
    r.ok = false;
    r.error_class = ErrorClass::Retryable;
    r.message = "CreateMultipartUpload: reply without an UploadId";
  }
  if (!r.ok && r.status >= 300) describe_error(r, "CreateMultipartUpload");
}

// S3 may answer CompleteMultipartUpload with 200 and still fail: the error is then in the body.
void check_complete_reply(OpResult& r) {
  if (!r.ok) {
    describe_error(r, "CompleteMultipartUpload");
    // BadDigest here is the full-object checksum (or checksum type) the Complete named, not a
    // body changed on the way: the same part list gets the same answer, so it fails the file.
    if (r.code == "BadDigest") r.error_class = ErrorClass::FailFile;
    return;
  }
  const CompleteResult parsed = parse_complete(r.body);
  if (parsed.ok) {
    if (!parsed.etag.empty()) r.etag = parsed.etag;
    return;
  }
  r.ok = false;
  r.code = parsed.error.code;
  if (parsed.error.code.empty()) {
    r.message = "CompleteMultipartUpload: HTTP 200 with an unreadable reply";
    r.error_class = ErrorClass::Retryable;
  } else {
    r.message = "CompleteMultipartUpload: HTTP 200 carrying an error: " + parsed.error.code +
                ": " + one_line(parsed.error.message);
    r.error_class = classify(500, parsed.error.code);
  }
}

S3Call make_call(Operation op, bhttp::verb method, std::optional<std::string> key,
                 std::string query, std::span<const char> body, Headers headers) {
  S3Call call;
  call.op = op;
  call.method = method;
  call.key = std::move(key);
  call.query = std::move(query);
  call.body = body;
  call.headers = std::move(headers);
  return call;
}

}  // namespace

std::string unquoted_etag(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  return util::ascii_lower(etag);
}

std::string OpResult::header(std::string_view name) const {
  for (const auto& [stored, value] : headers)  // (stored in lower case)
    if (util::iequals_ascii(stored, name)) return value;
  return {};
}

std::string_view to_string(Operation op) {
  switch (op) {
    case Operation::PutObject: return "PutObject";
    case Operation::CreateMultipartUpload: return "CreateMultipartUpload";
    case Operation::UploadPart: return "UploadPart";
    case Operation::CompleteMultipartUpload: return "CompleteMultipartUpload";
    case Operation::AbortMultipartUpload: return "AbortMultipartUpload";
    case Operation::ListMultipartUploads: return "ListMultipartUploads";
    case Operation::ListObjectsV2: return "ListObjectsV2";
    case Operation::ListParts: return "ListParts";
    case Operation::HeadObject: return "HeadObject";
    case Operation::DeleteObject: return "DeleteObject";
  }
  return "S3";
}

// ---- the calls ----------------------------------------------------------------------------

S3Call S3Call::put_object(std::string key, std::span<const char> body, Headers headers) {
  return make_call(Operation::PutObject, bhttp::verb::put, std::move(key), "", body,
                   std::move(headers));
}

S3Call S3Call::create_multipart(std::string key, Headers headers) {
  return make_call(Operation::CreateMultipartUpload, bhttp::verb::post, std::move(key), "uploads=",
                   {}, std::move(headers));
}

S3Call S3Call::upload_part(std::string key, const std::string& upload_id, int part_number,
                           std::span<const char> body, Headers headers) {
  return make_call(Operation::UploadPart, bhttp::verb::put, std::move(key),
                   "partNumber=" + std::to_string(part_number) + "&" + upload_id_query(upload_id),
                   body, std::move(headers));
}

S3Call S3Call::complete_multipart(std::string key, const std::string& upload_id,
                                  const std::vector<CompletedPart>& parts) {
  Headers headers;
  headers.emplace_back("content-type", "application/xml");
  S3Call call = make_call(Operation::CompleteMultipartUpload, bhttp::verb::post, std::move(key),
                          upload_id_query(upload_id), {}, std::move(headers));
  call.owned_body = build_complete_body(parts);
  call.owns_body = true;
  return call;
}

S3Call S3Call::abort_multipart(std::string key, const std::string& upload_id) {
  return make_call(Operation::AbortMultipartUpload, bhttp::verb::delete_, std::move(key),
                   upload_id_query(upload_id), {}, {});
}

S3Call S3Call::list_multipart_uploads(const std::string& prefix, const std::string& key_marker,
                                      const std::string& upload_id_marker) {
  std::string query = "uploads=";
  if (!key_marker.empty()) query += "&key-marker=" + util::uri_encode(key_marker, true);
  if (!prefix.empty()) query += "&prefix=" + util::uri_encode(prefix, true);
  if (!upload_id_marker.empty())
    query += "&upload-id-marker=" + util::uri_encode(upload_id_marker, true);
  return make_call(Operation::ListMultipartUploads, bhttp::verb::get, std::nullopt,
                   std::move(query), {}, {});
}

S3Call S3Call::list_objects_v2(const std::string& prefix, const std::string& continuation) {
  std::string query;
  if (!continuation.empty())
    query += "continuation-token=" + util::uri_encode(continuation, true) + "&";
  query += "list-type=2";
  if (!prefix.empty()) query += "&prefix=" + util::uri_encode(prefix, true);
  return make_call(Operation::ListObjectsV2, bhttp::verb::get, std::nullopt, std::move(query), {},
                   {});
}

S3Call S3Call::list_parts(std::string key, const std::string& upload_id, int marker) {
  std::string query;
  if (marker > 0) query = "part-number-marker=" + std::to_string(marker) + "&";
  query += upload_id_query(upload_id);
  return make_call(Operation::ListParts, bhttp::verb::get, std::move(key), std::move(query), {},
                   {});
}

S3Call S3Call::head_object(std::string key, Headers headers) {
  return make_call(Operation::HeadObject, bhttp::verb::head, std::move(key), "", {},
                   std::move(headers));
}

S3Call S3Call::delete_object(std::string key) {
  return make_call(Operation::DeleteObject, bhttp::verb::delete_, std::move(key), "", {}, {});
}

// ---- the protocol -------------------------------------------------------------------------

S3Protocol::S3Protocol(SigV4Signer signer, Endpoint endpoint, std::string bucket, bool path_style,
                       bool sign_payload)
    : bucket_(std::move(bucket)),
      path_style_(path_style),
      sign_payload_(sign_payload),
      trace_(SigningTrace::from_environment()),
      route_(make_route(std::move(signer), std::move(endpoint), bucket_, path_style)) {}

S3Protocol::~S3Protocol() = default;

std::shared_ptr<const S3Protocol::Route> S3Protocol::make_route(
    SigV4Signer signer, Endpoint endpoint, const std::string& bucket, bool path_style,
    std::uint64_t credentials_generation) {
  Addressing addressing = make_addressing(endpoint, bucket, path_style);
  http::Target target{addressing.connect_host, addressing.port, addressing.tls};
  return std::make_shared<const Route>(Route{std::move(signer), std::move(endpoint),
                                             std::move(addressing), std::move(target),
                                             credentials_generation});
}

void S3Protocol::use_credentials(std::shared_ptr<CredentialsSource> source) {
  source_ = std::move(source);
  if (!source_) return;
  const auto creds = source_->current();
  auto current = route();
  auto next = make_route(SigV4Signer(*creds.credentials, current->signer.region(), "s3"),
                         current->endpoint, bucket_, path_style_, creds.generation);
  std::lock_guard lock(route_mutex_);
  route_ = std::move(next);
}

std::shared_ptr<const S3Protocol::Route> S3Protocol::current_route() const {
  auto current = route();
  if (!source_) return current;
  const CredentialsSource::Current creds = source_->current();
  if (creds.generation == current->credentials_generation) return current;
  // New credentials: a new signer (its signing-key cache belongs to the old secret).
  auto next = make_route(SigV4Signer(*creds.credentials, current->signer.region(), "s3"),
                         current->endpoint, bucket_, path_style_, creds.generation);
  std::lock_guard lock(route_mutex_);
  // Another thread may have switched region or credentials meanwhile: keep the newer route.
  if (route_->credentials_generation > creds.generation ||
      route_->signer.region() != current->signer.region())
    return route_;
  route_ = next;
  return next;
}

std::shared_ptr<const S3Protocol::Route> S3Protocol::route() const {
  std::lock_guard lock(route_mutex_);
  return route_;
}

void S3Protocol::set_region(const std::string& region) {
  auto current = route();
  Endpoint endpoint = current->endpoint.is_default_aws ? default_endpoint(region) : current->endpoint;
  auto next = make_route(SigV4Signer(current->signer.credentials(), region, "s3"),
                         std::move(endpoint), bucket_, path_style_,
                         current->credentials_generation);
  std::lock_guard lock(route_mutex_);
  route_ = std::move(next);
}

std::string S3Protocol::region() const { return route()->signer.region(); }
http::Target S3Protocol::target() const { return route()->target; }

namespace {

// The headers of a body sent with a trailing checksum: the framing (aws-chunked before any
// Content-Encoding of the object's own, which S3 then keeps), the file's size, and the trailer
// to expect.
void add_trailer_headers(HeaderList& headers, const S3Call& call) {
  bool encoded = false;
  for (auto& [name, value] : headers)
    if (util::iequals_ascii(name, "content-encoding")) {
      value = "aws-chunked," + value;
      encoded = true;
    }
  if (!encoded) headers.emplace_back("content-encoding", "aws-chunked");
  headers.emplace_back("x-amz-decoded-content-length", std::to_string(call.file.length));
  headers.emplace_back("x-amz-sdk-checksum-algorithm",
                       std::string(algorithm_header_value(call.trailing->algorithm())));
  headers.emplace_back("x-amz-trailer", std::string(header_name(call.trailing->algorithm())));
}

}  // namespace

PreparedRequest S3Protocol::prepare(const S3Call& call) const {
  const auto route = current_route();
  const SigV4Signer& signer = route->signer;
  const auto& expiration = signer.credentials().expiration;
  if (expiration && *expiration - std::chrono::system_clock::now() < kSigningGuard && source_ &&
      source_->refreshable()) {
    PreparedRequest unsigned_request;
    unsigned_request.target = route->target;
    unsigned_request.signed_region = signer.region();
    unsigned_request.credentials_generation = route->credentials_generation;
    unsigned_request.credentials_expiring = true;
    return unsigned_request;
  }
  const std::span<const char> body = call.payload();
  const std::string path =
      call.key ? object_path(route->addressing, *call.key) : bucket_path(route->addressing);
  const std::chrono::seconds offset = clock_offset();
  const auto now = std::chrono::system_clock::now() + offset;
  std::string payload_hash;
  if (call.file.fd >= 0 && sign_payload_ && call.payload_sha256.empty())
    throw std::logic_error("a streamed body needs its SHA-256 computed beforehand");
  if (call.trailing && (call.file.fd < 0 || sign_payload_))
    throw std::logic_error("a trailing checksum goes with a streamed body over HTTPS");
  if (call.trailing)
    payload_hash = kUnsignedPayloadTrailer;
  else if (!sign_payload_)
    payload_hash = "UNSIGNED-PAYLOAD";
  else if (call.payload_size() == 0)
    payload_hash = kEmptySha256;
  else if (!call.payload_sha256.empty())
    payload_hash = call.payload_sha256;
  else
    payload_hash = util::hex_lower(util::sha256(std::span<const unsigned char>(
        reinterpret_cast<const unsigned char*>(body.data()), body.size())));

  RequestToSign to_sign;
  to_sign.method = std::string(bhttp::to_string(call.method));
  to_sign.path = path;
  to_sign.query = call.query;
  to_sign.payload_hash = payload_hash;
  to_sign.headers.reserve(call.headers.size() + 4);
  to_sign.headers.emplace_back("host", route->addressing.host_header);
  to_sign.headers.emplace_back("x-amz-date", format_amz_date(now));
  to_sign.headers.emplace_back("x-amz-content-sha256", payload_hash);
  if (!signer.credentials().session_token.empty())
    to_sign.headers.emplace_back("x-amz-security-token", signer.credentials().session_token);
  for (const auto& h : call.headers) to_sign.headers.push_back(h);
  if (call.trailing) add_trailer_headers(to_sign.headers, call);
  const Signature sig = signer.sign(to_sign, now);
  if (trace_) trace_->record(to_sign, sig, signer.credentials().session_token);

  PreparedRequest prepared;
  prepared.target = route->target;
  prepared.signed_region = signer.region();
  prepared.credentials_generation = route->credentials_generation;
  prepared.clock_offset = offset;
  http::Request& req = prepared.request;
  req.method(call.method);
  req.target(call.query.empty() ? path : path + "?" + call.query);
  req.version(11);
  for (const auto& [name, value] : to_sign.headers) req.set(name, value);
  req.set(bhttp::field::authorization, sig.authorization);
  static const std::string user_agent = std::string("s3up/") + s3up::version();
  req.set(bhttp::field::user_agent, user_agent);
  if (call.file.fd >= 0) {
    req.body().fd = call.file.fd;
    req.body().offset = call.file.offset;
    req.body().length = call.file.length;
    req.body().trailer = call.trailing.get();
  } else {
    req.body() = http::PayloadBody::value_type(body.data(), body.size());
  }
  if (call.method == bhttp::verb::put || call.method == bhttp::verb::post || call.payload_size() > 0)
    req.content_length(req.body().size());
  return prepared;
}

namespace {

// A result for `call`, prepared as `prepared`, that says which request it answers.
OpResult result_of(const S3Call& call, const PreparedRequest& prepared) {
  OpResult r;
  r.operation = to_string(call.op);
  r.method = bhttp::to_string(call.method);
  if (call.key) r.key = *call.key;
  r.signed_region = prepared.signed_region;
  r.credentials_generation = prepared.credentials_generation;
  return r;
}

}  // namespace

OpResult S3Protocol::expiring(const S3Call& call, const PreparedRequest& prepared) const {
  OpResult r = result_of(call, prepared);
  r.error = S3Errc::expired_token;
  r.error_class = ErrorClass::Retryable;  // (renewed first: after_failure)
  r.message = std::string(r.operation) + ": not sent: the credentials expire in less than " +
              std::to_string(kSigningGuard.count()) + " s and are being renewed";
  return r;
}

OpResult S3Protocol::finish(const S3Call& call, const PreparedRequest& prepared,
                            http::Outcome out, std::chrono::microseconds latency) const {
  OpResult r = result_of(call, prepared);
  r.latency = latency;
  if (!out.ok()) {
    r.transport = out.failure;
    r.message = std::move(out.detail);
    r.error_class = out.failure == http::Failure::Certificate ? ErrorClass::FatalForRun
                                                              : ErrorClass::Retryable;
  } else {
    r.status = out.response.result_int();
    r.body = std::move(out.response.body());
    for (const auto& field : out.response)
      r.headers.emplace_back(util::ascii_lower(field.name_string()), std::string(field.value()));
    r.etag = r.header("etag");
    r.ok = r.status >= 200 && r.status < 300;
    switch (call.op) {
      case Operation::CreateMultipartUpload:
        check_create_reply(r);
        break;
      case Operation::CompleteMultipartUpload:
        check_complete_reply(r);
        break;
      case Operation::PutObject:
      case Operation::UploadPart:
        check_etag_reply(r, to_string(call.op), call.op == Operation::PutObject);
        break;
      default:
        if (!r.ok) describe_error(r, to_string(call.op));
        break;
    }
  }
  r.error = typed_error(r);
  // (A HEAD reply has no body to name its error: a 403 with a Date more than 15 minutes away
  // from the request's is taken for the same refusal.)
  if (r.error == S3Errc::request_time_too_skewed)
    correct_clock(r, prepared, kClockTolerance);
  else if (r.status == 403 && call.method == bhttp::verb::head && r.code.empty())
    correct_clock(r, prepared, kHeadSkewTolerance);
  if (observer_) observer_(r);
  return r;
}

std::chrono::seconds S3Protocol::clock_offset() const {
  return std::chrono::seconds(clock_offset_.load(std::memory_order_relaxed));
}

void S3Protocol::correct_clock(OpResult& r, const PreparedRequest& prepared,
                               std::chrono::seconds tolerance) const {
  const auto server_time = parse_http_date(r.header("date"));
  if (!server_time) return;
  const auto local = std::chrono::system_clock::now();
  const auto offset = std::chrono::round<std::chrono::seconds>(*server_time - local);
  r.clock_offset = offset;
  const auto change = offset - prepared.clock_offset;
  if (change < tolerance && change > -tolerance) {
    // Signed with the endpoint's own time already and still refused: nothing to correct.
    if (tolerance == kClockTolerance)
      r.message += " (this machine's clock differs from the endpoint's by " +
                   std::to_string(offset.count()) + " s; signed with the endpoint's time)";
    return;
  }
  // Requests signed before another reply corrected the clock only need sending again; a new
  // offset is a correction, and those are limited.
  const auto since = offset - clock_offset();
  if (since >= tolerance || since <= -tolerance) {
    if (clock_corrections_.fetch_add(1, std::memory_order_relaxed) >= kMaxClockCorrections) {
      r.message += " (the endpoint's clock keeps changing: " +
                   std::to_string(kMaxClockCorrections) + " corrections already)";
      return;
    }
    clock_offset_.store(offset.count(), std::memory_order_relaxed);
  }
  r.clock_corrected = true;
  r.error_class = ErrorClass::Retryable;
}

}  // namespace s3up::s3
