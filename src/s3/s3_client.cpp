#include "s3/s3_client.hpp"

#include "util/crypto.hpp"
#include "util/uri.hpp"

#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>

namespace s3up::s3 {
namespace bhttp = boost::beast::http;

namespace {

constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string one_line(std::string s) {
  for (auto& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  if (s.size() > 300) s = s.substr(0, 300) + "...";
  return s;
}

// Describes a failed HTTP reply in one line, from its S3 <Error> body when there is one.
void describe_error(OpResult& r, const std::string& what) {
  if (auto err = parse_error(r.body)) {
    r.code = err->code;
    r.region_hint = err->region;
    r.message = what + ": HTTP " + std::to_string(r.status) + " " + err->code +
                (err->message.empty() ? "" : ": " + one_line(err->message));
  } else {
    // A HEAD reply has no body; a non-S3 server may answer anything.
    r.message = what + ": HTTP " + std::to_string(r.status);
    if (!r.body.empty() && r.body.find("<Error>") == std::string::npos)
      r.message += " (not an S3 reply: " + one_line(r.body.substr(0, 120)) + ")";
  }
  if (r.region_hint.empty()) r.region_hint = r.header("x-amz-bucket-region");
  r.error_class = classify(r.status, r.code);
}

// S3 may answer CompleteMultipartUpload with 200 and still fail: the error is then in the body.
void check_complete_reply(OpResult& r) {
  if (r.transport != http::Failure::None) return;
  if (!r.ok) {
    describe_error(r, "CompleteMultipartUpload");
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

}  // namespace

std::string OpResult::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return {};
}

S3Client::S3Client(http::Client& http, SigV4Signer signer, Endpoint endpoint, std::string bucket,
                   bool path_style, bool sign_payload)
    : http_(http),
      bucket_(std::move(bucket)),
      path_style_(path_style),
      sign_payload_(sign_payload),
      trace_(SigningTrace::from_environment()),
      route_(make_route(std::move(signer), std::move(endpoint), bucket_, path_style)) {}

std::shared_ptr<const S3Client::Route> S3Client::make_route(SigV4Signer signer, Endpoint endpoint,
                                                            const std::string& bucket,
                                                            bool path_style) {
  Addressing addressing = make_addressing(endpoint, bucket, path_style);
  http::Target target{addressing.connect_host, addressing.port, addressing.tls};
  return std::make_shared<const Route>(
      Route{std::move(signer), std::move(endpoint), std::move(addressing), std::move(target)});
}

std::shared_ptr<const S3Client::Route> S3Client::route() const {
  std::lock_guard lock(route_mutex_);
  return route_;
}

void S3Client::set_region(const std::string& region) {
  auto current = route();
  Endpoint endpoint = current->endpoint.is_default_aws ? default_endpoint(region) : current->endpoint;
  auto next = make_route(SigV4Signer(current->signer.credentials(), region, "s3"),
                         std::move(endpoint), bucket_, path_style_);
  std::lock_guard lock(route_mutex_);
  route_ = std::move(next);
}

std::string S3Client::region() const { return route()->signer.region(); }

asio::awaitable<OpResult> S3Client::send(bhttp::verb method, std::optional<std::string> key,
                                         std::string query,
                                         std::span<const char> body, Headers headers) {
  const auto route = this->route();
  const SigV4Signer* signer = &route->signer;
  const std::string path =
      key ? object_path(route->addressing, *key) : bucket_path(route->addressing);
  const auto now = std::chrono::system_clock::now();
  std::string payload_hash;
  if (!sign_payload_)
    payload_hash = "UNSIGNED-PAYLOAD";
  else if (body.empty())
    payload_hash = kEmptySha256;
  else
    payload_hash = util::hex_lower(util::sha256(
        std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(body.data()),
                                       body.size())));

  RequestToSign to_sign;
  to_sign.method = std::string(bhttp::to_string(method));
  to_sign.path = path;
  to_sign.query = query;
  to_sign.payload_hash = payload_hash;
  to_sign.headers.reserve(headers.size() + 4);
  to_sign.headers.emplace_back("host", route->addressing.host_header);
  to_sign.headers.emplace_back("x-amz-date", format_amz_date(now));
  to_sign.headers.emplace_back("x-amz-content-sha256", payload_hash);
  if (!signer->credentials().session_token.empty())
    to_sign.headers.emplace_back("x-amz-security-token", signer->credentials().session_token);
  for (auto& h : headers) to_sign.headers.push_back(h);
  const Signature sig = signer->sign(to_sign, now);
  if (trace_) trace_->record(to_sign, sig, signer->credentials().session_token);

  http::Request req;
  req.method(method);
  req.target(query.empty() ? path : path + "?" + query);
  req.version(11);
  for (const auto& [name, value] : to_sign.headers) req.set(name, value);
  req.set(bhttp::field::authorization, sig.authorization);
  req.set(bhttp::field::user_agent, "s3up/" S3UP_VERSION);
  req.body() = boost::beast::http::span_body<const char>::value_type(body.data(), body.size());
  if (method == bhttp::verb::put || method == bhttp::verb::post || !body.empty())
    req.content_length(body.size());

  http::Outcome out = co_await http_.send(route->target, req);
  OpResult r;
  r.signed_region = signer->region();
  if (!out.ok()) {
    r.transport = out.failure;
    r.message = out.detail;
    r.error_class = out.failure == http::Failure::Certificate ? ErrorClass::FatalForRun
                                                              : ErrorClass::Retryable;
    co_return r;
  }
  r.status = out.response.result_int();
  r.body = std::move(out.response.body());
  for (const auto& field : out.response)
    r.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
  r.etag = r.header("etag");
  r.ok = r.status >= 200 && r.status < 300;
  co_return r;
}

asio::awaitable<OpResult> S3Client::put_object(std::string key, std::span<const char> body,
                                               Headers headers) {
  OpResult r = co_await send(bhttp::verb::put, std::move(key), "", body,
                             std::move(headers));
  if (!r.ok && r.transport == http::Failure::None) describe_error(r, "PutObject");
  co_return r;
}

asio::awaitable<OpResult> S3Client::create_multipart(std::string key, Headers headers) {
  OpResult r = co_await send(bhttp::verb::post, std::move(key), "uploads=", {},
                             std::move(headers));
  if (r.ok && !parse_upload_id(r.body)) {
    r.ok = false;
    r.error_class = ErrorClass::Retryable;
    r.message = "CreateMultipartUpload: reply without an UploadId";
  }
  if (!r.ok && r.transport == http::Failure::None && r.status >= 300)
    describe_error(r, "CreateMultipartUpload");
  co_return r;
}

asio::awaitable<OpResult> S3Client::upload_part(std::string key, std::string upload_id,
                                                int part_number, std::span<const char> body,
                                                Headers headers) {
  const std::string query = "partNumber=" + std::to_string(part_number) +
                            "&uploadId=" + util::uri_encode(upload_id, true);
  OpResult r = co_await send(bhttp::verb::put, std::move(key), query, body,
                             std::move(headers));
  if (!r.ok && r.transport == http::Failure::None) describe_error(r, "UploadPart");
  co_return r;
}

asio::awaitable<OpResult> S3Client::complete_multipart(std::string key, std::string upload_id,
                                                       std::vector<CompletedPart> parts) {
  const std::string body = build_complete_body(parts);
  const std::string query = "uploadId=" + util::uri_encode(upload_id, true);
  // Built before the co_await: GCC 12 cannot keep string-literal temporaries across it.
  Headers headers;
  headers.emplace_back("content-type", "application/xml");
  OpResult r = co_await send(bhttp::verb::post, std::move(key), query,
                             std::span<const char>(body.data(), body.size()), std::move(headers));
  check_complete_reply(r);
  co_return r;
}

asio::awaitable<OpResult> S3Client::abort_multipart(std::string key, std::string upload_id) {
  OpResult r = co_await send(bhttp::verb::delete_, std::move(key),
                             "uploadId=" + util::uri_encode(upload_id, true), {}, {});
  if (!r.ok && r.transport == http::Failure::None) describe_error(r, "AbortMultipartUpload");
  co_return r;
}

asio::awaitable<OpResult> S3Client::list_multipart_uploads(std::string prefix,
                                                           std::string key_marker,
                                                           std::string upload_id_marker) {
  std::string query = "uploads=";
  if (!key_marker.empty()) query += "&key-marker=" + util::uri_encode(key_marker, true);
  if (!prefix.empty()) query += "&prefix=" + util::uri_encode(prefix, true);
  if (!upload_id_marker.empty())
    query += "&upload-id-marker=" + util::uri_encode(upload_id_marker, true);
  OpResult r = co_await send(bhttp::verb::get, std::nullopt, query, {}, {});
  if (!r.ok && r.transport == http::Failure::None) describe_error(r, "ListMultipartUploads");
  co_return r;
}

asio::awaitable<OpResult> S3Client::list_objects_v2(std::string prefix, std::string continuation) {
  std::string query;
  if (!continuation.empty())
    query += "continuation-token=" + util::uri_encode(continuation, true) + "&";
  query += "list-type=2";
  if (!prefix.empty()) query += "&prefix=" + util::uri_encode(prefix, true);
  OpResult r = co_await send(bhttp::verb::get, std::nullopt, query, {}, {});
  if (!r.ok && r.transport == http::Failure::None) describe_error(r, "ListObjectsV2");
  co_return r;
}

asio::awaitable<OpResult> S3Client::list_parts(std::string key, std::string upload_id, int marker) {
  std::string query;
  if (marker > 0) query = "part-number-marker=" + std::to_string(marker) + "&";
  query += "uploadId=" + util::uri_encode(upload_id, true);
  OpResult r = co_await send(bhttp::verb::get, std::move(key), query, {}, {});
  if (!r.ok && r.transport == http::Failure::None) describe_error(r, "ListParts");
  co_return r;
}

asio::awaitable<OpResult> S3Client::head_object(std::string key, Headers headers) {
  OpResult r = co_await send(bhttp::verb::head, std::move(key), "", {}, std::move(headers));
  if (!r.ok && r.transport == http::Failure::None) describe_error(r, "HeadObject");
  co_return r;
}

}  // namespace s3up::s3
