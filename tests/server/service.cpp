#include "server/service.hpp"

#include <unistd.h>

#include <atomic>
#include <charconv>

#include "server/multipart_checksum.hpp"
#include "server/sigv4_chunked.hpp"
#include "server/xml.hpp"
#include "util/crypto.hpp"

namespace s3up::testserver {
namespace http = boost::beast::http;
namespace {

constexpr std::string_view kUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
constexpr std::string_view kXml = "application/xml";

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_hex_sha256(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string header(const RequestHeader& req, std::string_view name) {
  const auto it = req.find(name);
  return it == req.end() ? std::string() : std::string(it->value());
}

bool mutating(Operation op) {
  switch (op) {
    case Operation::PutObject:
    case Operation::CreateMultipartUpload:
    case Operation::UploadPart:
    case Operation::CompleteMultipartUpload:
    case Operation::AbortMultipartUpload:
    case Operation::DeleteObject:
    case Operation::CreateBucket:
      return true;
    default:
      return false;
  }
}

// The request headers S3 keeps with an object and returns on GET and HEAD.
Headers stored_headers(const RequestHeader& req) {
  Headers out;
  for (const auto& f : req) {
    std::string name = lower(f.name_string());
    std::string value(f.value());
    if (name == "content-encoding") {
      // aws-chunked is the transfer framing, not the object's encoding.
      std::string kept;
      std::string_view rest = value;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        auto token = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
        while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
        if (token.empty() || token == "aws-chunked") continue;
        if (!kept.empty()) kept += ",";
        kept += token;
      }
      if (!kept.empty()) out.emplace_back(std::move(name), std::move(kept));
    } else if (name == "content-type" || name == "content-disposition" ||
               name == "content-language" || name == "cache-control" || name == "expires" ||
               name == "x-amz-storage-class" || name == "x-amz-website-redirect-location" ||
               name.starts_with("x-amz-meta-")) {
      out.emplace_back(std::move(name), std::move(value));
    }
  }
  return out;
}

std::string next_request_id() {
  static std::atomic<std::uint64_t> counter{0};
  std::uint64_t v = counter.fetch_add(1, std::memory_order_relaxed) + 1;
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = digits[v & 15];
  return s;
}

std::optional<std::string> hex_decode(std::string_view s) {
  if (s.size() % 2) return std::nullopt;
  std::string out;
  out.reserve(s.size() / 2);
  for (std::size_t i = 0; i < s.size(); i += 2) {
    unsigned v = 0;
    const auto [p, ec] = std::from_chars(s.data() + i, s.data() + i + 2, v, 16);
    if (ec != std::errc() || p != s.data() + i + 2) return std::nullopt;
    out.push_back(static_cast<char>(v));
  }
  return out;
}

std::size_t parse_max(const Route& r, std::string_view name, std::size_t fallback) {
  if (!r.has(name)) return fallback;
  const std::string v = r.get(name);
  long long n = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < 0)
    throw invalid_argument("Provided " + std::string(name) + " not an integer or within integer range");
  return static_cast<std::size_t>(std::min<long long>(n, 1000));
}

// Refuses the flexible checksum headers as the stores that do not support them do (the body is
// not read). Full and Ignored refuse nothing.
void refuse_checksum_headers(const RequestHeader& req, ChecksumSupport support) {
  if (support == ChecksumSupport::Full || support == ChecksumSupport::Ignored) return;
  for (const auto& f : req) {
    const std::string name = lower(f.name_string());
    if (support == ChecksumSupport::UnsupportedHeader &&
        (name == "x-amz-sdk-checksum-algorithm" || name.starts_with("x-amz-checksum-")))
      throw S3Error(400, "InvalidArgument",
                    "Unsupported header '" + name + "' received for this API call.");
    if (support == ChecksumSupport::NotImplemented && name.starts_with("x-amz-checksum-") &&
        name != "x-amz-checksum-mode")
      throw S3Error(501, "NotImplemented",
                    "Header '" + name + "' with value '" + std::string(f.value()) +
                        "' not implemented");
  }
}

Reply xml_reply(std::string body) {
  Reply r;
  r.headers.emplace_back("Content-Type", kXml);
  r.length = body.size();
  r.body = std::move(body);
  return r;
}

}  // namespace

// --- Reply -----------------------------------------------------------------------------------

Reply::Reply(Reply&& o) noexcept
    : status(o.status),
      headers(std::move(o.headers)),
      body(std::move(o.body)),
      fd(std::exchange(o.fd, -1)),
      offset(o.offset),
      length(o.length),
      head(o.head),
      close(o.close) {}

Reply& Reply::operator=(Reply&& o) noexcept {
  if (this != &o) {
    if (fd >= 0) ::close(fd);
    status = o.status;
    headers = std::move(o.headers);
    body = std::move(o.body);
    fd = std::exchange(o.fd, -1);
    offset = o.offset;
    length = o.length;
    head = o.head;
    close = o.close;
  }
  return *this;
}

Reply::~Reply() {
  if (fd >= 0) ::close(fd);
}

// --- RequestLog ------------------------------------------------------------------------------

RequestLog::RequestLog(const std::string& path) {
  if (path.empty()) return;
  file_ = std::fopen(path.c_str(), "a");
  if (!file_) throw std::runtime_error("cannot open log file " + path);
}

RequestLog::~RequestLog() {
  if (file_) std::fclose(file_);
}

void RequestLog::write(const Exchange& x, const char* status, std::uint64_t bytes) {
  if (!file_) return;
  const std::string_view op =
      x.route.internal != Internal::None ? "Internal" : operation_name(x.route.op);
  const std::string_view fault = x.fault.permanent_status ? "fail-key" : fault_name(x.fault.kind);
  const std::lock_guard lock(mutex_);
  std::fprintf(file_, "%s %s %s %s %.*s %.*s %llu\n", xml::iso8601(std::time(nullptr)).c_str(),
               x.method.c_str(), x.target.c_str(), status, static_cast<int>(op.size()), op.data(),
               static_cast<int>(fault.size()), fault.data(), static_cast<unsigned long long>(bytes));
  std::fflush(file_);
}

// --- Service ---------------------------------------------------------------------------------

Service::Service(const Options& options, Store& store, Stats& stats, FaultInjector& faults,
                 Authenticator& auth, RequestLog& log)
    : options_(options), store_(store), stats_(stats), faults_(faults), auth_(auth), log_(log) {}

void Service::begin(const RequestHeader& req, Exchange& x, BodyReader& body) {
  x.method = std::string(req.method_string());
  x.target = std::string(req.target());
  x.route = route(req.method(), x.target);
  x.request_id = next_request_id();
  x.fault = {};
  x.error.reset();
  x.process_body = false;
  x.auth.reset();
  if (x.route.internal != Internal::None) {
    body.start(BodyPlan{});
    return;
  }
  const Route& r = x.route;
  stats_.count_request(r.op);
  x.fault = faults_.decide(x.method, r.bucket, r.key, r.part_number, !r.key.empty(),
                           r.op == Operation::CompleteMultipartUpload);
  if (x.fault.permanent_status) {
    stats_.count_fault();
    if (x.fault.permanent_status == 403)
      x.error = S3Error(403, "AccessDenied", "Access Denied");
    else if (x.fault.permanent_status == 503)
      x.error = S3Error(503, "SlowDown", "Please reduce your request rate.");
    else
      x.error = S3Error(500, "InternalError", "We encountered an internal error. Please try again.");
  } else if (x.fault.kind != FaultKind::None) {
    stats_.count_fault();
    if (x.fault.kind == FaultKind::InternalError)
      x.error = S3Error(500, "InternalError", "We encountered an internal error. Please try again.");
    else if (x.fault.kind == FaultKind::SlowDown)
      x.error = S3Error(503, "SlowDown", "Please reduce your request rate.");
  }
  const bool passive = skips_operation(x.fault.kind) ||
                       (x.fault.kind == FaultKind::Truncate && mutating(r.op));
  if (!x.error && !passive) {
    try {
      if (auth_.enabled())
        x.auth = auth_.verify(req, x.target,
                              s3::SignClock::now() + std::chrono::seconds(options_.clock_skew));
      plan_body(req, x, body);
    } catch (S3Error& e) {
      x.error = std::move(e);
      x.process_body = false;
    } catch (const std::exception& e) {
      x.error = S3Error(500, "InternalError", e.what());
      x.process_body = false;
    }
  }
  if (!x.process_body) {
    x.spool.discard();
    body.start(BodyPlan{});
  }
}

void Service::plan_body(const RequestHeader& req, Exchange& x, BodyReader& body) {
  const Route& r = x.route;
  if (r.op == Operation::Unknown)
    throw S3Error(501, "NotImplemented",
                  "A header or query you provided implies functionality that is not implemented");
  if (r.key.size() > 1024) throw S3Error(400, "KeyTooLongError", "Your key is too long");
  if (mutating(r.op) || r.op == Operation::HeadObject || r.op == Operation::GetObject)
    refuse_checksum_headers(req, options_.checksum_support);

  BodyPlan plan;
  // Framing and the payload hash, for any request.
  const std::string content_sha = header(req, "x-amz-content-sha256");
  const std::string encoding = lower(header(req, "content-encoding"));
  plan.aws_chunked = content_sha.starts_with("STREAMING-") ||
                     encoding.find("aws-chunked") != std::string::npos;
  if (is_hex_sha256(content_sha)) plan.expected_sha256 = content_sha;
  if (plan.aws_chunked) {
    const std::string decoded = header(req, "x-amz-decoded-content-length");
    if (!decoded.empty()) {
      std::uint64_t n = 0;
      const auto [p, ec] = std::from_chars(decoded.data(), decoded.data() + decoded.size(), n);
      if (ec != std::errc() || p != decoded.data() + decoded.size())
        throw invalid_argument("bad x-amz-decoded-content-length");
      plan.decoded_length = n;
    }
    if (x.auth && (content_sha == s3::kStreamingPayload || content_sha == s3::kStreamingPayloadTrailer)) {
      plan.chunk_signer = std::make_unique<s3::ChunkSigner>(*x.auth->signer, x.auth->time,
                                                            x.auth->seed_signature);
      plan.signed_trailer = content_sha == s3::kStreamingPayloadTrailer;
    } else if (x.auth && content_sha.starts_with("STREAMING-") && content_sha != kUnsignedTrailer) {
      throw S3Error(501, "NotImplemented", "x-amz-content-sha256 " + content_sha + " is not supported");
    }
  }

  switch (r.op) {
    case Operation::PutObject:
    case Operation::UploadPart: {
      if (r.op == Operation::PutObject) {
        if (req.find("x-amz-copy-source") != req.end())
          throw S3Error(501, "NotImplemented", "CopyObject is not implemented");
        store_.require_bucket(r.bucket);
      } else {
        if (r.part_number < 1 || r.part_number > 10000)
          throw invalid_argument("Part number must be an integer between 1 and 10000, inclusive");
        store_.require_upload(r.bucket, r.key, r.upload_id);
      }
      constexpr std::uint64_t kMaxObject = 5ull << 30;  // S3's limit for one PUT or part
      const auto length = plan.decoded_length ? plan.decoded_length : [&]() -> std::optional<std::uint64_t> {
        if (const auto cl = req.find(http::field::content_length); cl != req.end()) {
          std::uint64_t n = 0;
          const auto v = cl->value();
          if (std::from_chars(v.data(), v.data() + v.size(), n).ec == std::errc()) return n;
        }
        return std::nullopt;
      }();
      if (length && *length > kMaxObject) {
        S3Error e(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size");
        e.details.emplace_back("ProposedSize", std::to_string(*length));
        e.details.emplace_back("MaxSizeAllowed", std::to_string(kMaxObject));
        throw e;
      }
      const std::string content_md5 = header(req, "content-md5");
      if (req.find(http::field::content_md5) != req.end()) {
        const auto raw = base64_decode(content_md5);
        if (!raw || raw->size() != 16)
          throw S3Error(400, "InvalidDigest", "The Content-MD5 you specified is not valid.");
        plan.content_md5 = content_md5;
        plan.md5 = true;
      }
      if (!options_.no_etag_md5) plan.md5 = true;
      // Other stores accept the values unchecked (or refused them above).
      const bool checks = options_.checksum_support == ChecksumSupport::Full;
      for (const auto& f : req) {
        if (!checks) break;
        const std::string name = lower(f.name_string());
        constexpr std::string_view kPrefix = "x-amz-checksum-";
        if (!name.starts_with(kPrefix)) continue;
        const auto algo = s3::parse_checksum_algorithm(std::string_view(name).substr(kPrefix.size()));
        if (!algo || *algo == s3::ChecksumAlgorithm::None || *algo == s3::ChecksumAlgorithm::Md5)
          continue;  // x-amz-checksum-algorithm, -mode, -type, and algorithms not supported
        std::string value(f.value());
        if (value.empty()) throw S3Error(400, "InvalidRequest", "Value for " + name + " header is invalid.");
        plan.checksums.push_back({*algo, name, std::move(value)});
      }
      const std::string trailer = lower(header(req, "x-amz-trailer"));
      std::string_view rest = trailer;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        auto name = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
        while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
        if (!name.starts_with("x-amz-checksum-")) continue;
        const auto algo = s3::parse_checksum_algorithm(name.substr(15));
        if (!algo || *algo == s3::ChecksumAlgorithm::None || *algo == s3::ChecksumAlgorithm::Md5)
          throw S3Error(400, "InvalidRequest", "The trailer " + std::string(name) + " is not supported");
        plan.checksums.push_back({*algo, std::string(name), std::string()});
      }
      if (!store_.discard()) {
        x.spool = store_.new_spool();
        plan.spool = &x.spool;
      }
      break;
    }
    case Operation::CompleteMultipartUpload:
      store_.require_upload(r.bucket, r.key, r.upload_id);
      plan.collect = true;
      break;
    default:
      break;
  }
  if ((r.op == Operation::PutObject || r.op == Operation::UploadPart) &&
      (x.fault.kind == FaultKind::Corrupt || x.fault.kind == FaultKind::CorruptEcho)) {
    plan.corrupt = true;
    plan.verify = x.fault.kind == FaultKind::Corrupt;
  }
  x.process_body = true;
  body.start(std::move(plan));
}

Reply Service::finish(const RequestHeader& req, Exchange& x, BodyReader& body) {
  Reply reply;
  try {
    if (x.route.internal == Internal::Stats) {
      reply.body = stats_.to_json(store_.object_count(), store_.upload_count());
      reply.length = reply.body.size();
      reply.headers.emplace_back("Content-Type", "application/json");
    } else if (x.route.internal == Internal::ResetStats) {
      stats_.reset();
      reply.status = 204;
    } else if (x.error) {
      throw *x.error;
    } else if (x.fault.kind == FaultKind::Empty200 || x.fault.kind == FaultKind::Garbage200) {
      // Nothing was done: a 200 without the operation's headers, its body empty or garbage.
      reply.status = 200;
      if (x.fault.kind == FaultKind::Garbage200) {
        reply.body = "\x1f\x8b<html><body>Gateway says: all good</body>\xff\xfe<Resu";
        reply.headers.emplace_back("Content-Type", "application/xml");
      }
      reply.length = reply.body.size();
      if (x.method == "HEAD") {
        reply.head = true;
        reply.body.clear();
      }
    } else if (x.fault.kind == FaultKind::Truncate && mutating(x.route.op)) {
      reply.status = 200;  // the session spoils the reply (e.g. announces more than it sends);
                           // nothing was done
    } else if (x.fault.kind == FaultKind::CompleteError &&
               x.route.op == Operation::CompleteMultipartUpload) {
      body.finish();
      const S3Error e(500, "InternalError", "We encountered an internal error. Please try again.");
      reply = xml_reply(xml::error(e, x.route.bucket + "/" + x.route.key, x.request_id));
    } else {
      reply = run(req, x, body);
    }
  } catch (const S3Error& e) {
    reply = error_reply(e, x);
  } catch (const std::exception& e) {
    reply = error_reply(S3Error(500, "InternalError", e.what()), x);
  }
  x.spool.discard();
  return reply;
}

Reply Service::error_reply(const S3Error& e, const Exchange& x) const {
  Reply r;
  r.status = e.status();
  if (x.method == "HEAD") {
    r.head = true;
    return r;
  }
  r = xml_reply(xml::error(e, "/" + x.route.bucket + (x.route.key.empty() ? "" : "/" + x.route.key),
                           x.request_id));
  r.status = e.status();
  return r;
}

Reply Service::run(const RequestHeader& req, Exchange& x, BodyReader& body) {
  const Route& r = x.route;
  BodyResult result = body.finish();
  Reply reply;
  switch (r.op) {
    case Operation::PutObject: {
      ObjectInfo info;
      info.size = result.size;
      info.etag = quote(result.has_md5 ? util::hex_lower(result.md5) : Store::fake_etag(r.key, result.size));
      info.headers = stored_headers(req);
      info.checksums = result.checksums;
      if (!info.checksums.empty()) info.checksum_type = "FULL_OBJECT";  // a single PUT's
      info.mtime = std::time(nullptr);
      reply.headers.emplace_back("ETag", info.etag);
      for (const auto& c : result.checksums) reply.headers.push_back(c);
      store_.put_object(r.bucket, r.key, std::move(info), &x.spool);
      return reply;
    }
    case Operation::UploadPart: {
      PartInfo part;
      part.size = result.size;
      part.md5 = result.md5;
      part.has_md5 = result.has_md5;
      part.etag = quote(result.has_md5 ? util::hex_lower(result.md5)
                                       : Store::fake_etag(r.key + "#" + std::to_string(r.part_number), result.size));
      part.checksums = result.checksums;
      part.mtime = std::time(nullptr);
      reply.headers.emplace_back("ETag", part.etag);
      for (const auto& c : result.checksums) reply.headers.push_back(c);
      store_.put_part(r.bucket, r.key, r.upload_id, r.part_number, std::move(part), &x.spool);
      return reply;
    }
    case Operation::CreateMultipartUpload: {
      std::string algo;
      if (options_.checksum_support == ChecksumSupport::Full)
        algo = header(req, "x-amz-checksum-algorithm");
      for (auto& c : algo)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      std::string type;  // ignored, with the algorithm, by the stores that ignore checksums
      if (options_.checksum_support == ChecksumSupport::Full)
        type = upload_checksum_type(algo, header(req, "x-amz-checksum-type"));
      const std::string id =
          store_.create_upload(r.bucket, r.key, stored_headers(req), algo, type);
      reply = xml_reply(xml::initiate_upload(r.bucket, r.key, id));
      if (!algo.empty()) reply.headers.emplace_back("x-amz-checksum-algorithm", algo);
      if (!type.empty()) reply.headers.emplace_back("x-amz-checksum-type", type);
      return reply;
    }
    case Operation::CompleteMultipartUpload: {
      const auto parts = xml::parse_complete(result.collected);
      CompleteChecksum sent;  // the full-object checksum the request names, if any
      const bool checks = options_.checksum_support == ChecksumSupport::Full;
      if (checks) sent.type = header(req, "x-amz-checksum-type");
      for (const auto& f : req) {
        if (!checks) break;
        const std::string name = lower(f.name_string());
        if (name.starts_with("x-amz-checksum-") && name != "x-amz-checksum-type" &&
            name != "x-amz-checksum-algorithm" && name != "x-amz-checksum-mode") {
          sent.header = name;
          sent.value = std::string(f.value());
        }
      }
      const auto info = store_.complete(r.bucket, r.key, r.upload_id, parts, sent);
      return xml_reply(xml::complete_upload("/" + r.bucket + "/" + r.key, r.bucket, r.key, *info));
    }
    case Operation::AbortMultipartUpload:
      store_.abort(r.bucket, r.key, r.upload_id);
      reply.status = 204;
      return reply;
    case Operation::ListMultipartUploads: {
      const std::size_t max = parse_max(r, "max-uploads", 1000);
      const auto page = store_.list_uploads(r.bucket, r.get("prefix"), r.get("key-marker"),
                                            r.get("upload-id-marker"), max);
      return xml_reply(xml::list_uploads(r.bucket, r.get("prefix"), r.get("key-marker"),
                                         r.get("upload-id-marker"), max, page,
                                         r.get("encoding-type") == "url"));
    }
    case Operation::ListParts: {
      const std::size_t max = parse_max(r, "max-parts", 1000);
      int marker = 0;
      const std::string m = r.get("part-number-marker", "0");
      const auto [p, ec] = std::from_chars(m.data(), m.data() + m.size(), marker);
      if (ec != std::errc() || p != m.data() + m.size()) throw invalid_argument("bad part-number-marker");
      const auto page = store_.list_parts(r.bucket, r.key, r.upload_id, marker, max);
      return xml_reply(xml::list_parts(r.bucket, r.key, r.upload_id, marker, max, page));
    }
    case Operation::ListObjectsV2:
      return list_objects(x);
    case Operation::HeadObject:
      return get_object(req, x, true);
    case Operation::GetObject:
      return get_object(req, x, false);
    case Operation::DeleteObject:
      store_.remove(r.bucket, r.key);
      reply.status = 204;
      return reply;
    case Operation::CreateBucket:
      store_.create_bucket(r.bucket);
      reply.headers.emplace_back("Location", "/" + r.bucket);
      return reply;
    case Operation::HeadBucket:
      store_.require_bucket(r.bucket);
      reply.headers.emplace_back("x-amz-bucket-region", "us-east-1");
      reply.head = true;
      return reply;
    case Operation::ListBuckets:
      return xml_reply(xml::list_buckets(store_.buckets()));
    case Operation::GetBucketLocation:
      store_.require_bucket(r.bucket);
      return xml_reply(xml::location());
    default:
      throw S3Error(501, "NotImplemented", "not implemented");
  }
}

Reply Service::list_objects(Exchange& x) {
  const Route& r = x.route;
  xml::ListV2Params p;
  p.bucket = r.bucket;
  p.prefix = r.get("prefix");
  p.delimiter = r.get("delimiter");
  p.start_after = r.get("start-after");
  p.continuation_token = r.get("continuation-token");
  p.encoding_type = r.get("encoding-type");
  p.fetch_owner = r.get("fetch-owner") == "true";
  p.max_keys = parse_max(r, "max-keys", 1000);
  std::string after = p.start_after;
  if (!p.continuation_token.empty()) {
    const auto token = hex_decode(p.continuation_token);
    if (!token) throw invalid_argument("The continuation token provided is incorrect");
    after = std::max(after, *token);
  }
  ListPage page;
  if (p.max_keys > 0)
    page = store_.list(r.bucket, p.prefix, p.delimiter, after, p.max_keys);
  else
    store_.require_bucket(r.bucket);
  return xml_reply(xml::list_objects_v2(p, page, util::hex_lower(util::as_bytes(page.last))));
}

Reply Service::get_object(const RequestHeader& req, Exchange& x, bool head) {
  const Route& r = x.route;
  Reply reply;
  std::shared_ptr<const ObjectInfo> info;
  if (head) {
    info = store_.head(r.bucket, r.key);
  } else if (store_.discard()) {
    store_.head(r.bucket, r.key);
    throw S3Error(501, "NotImplemented", "GetObject needs --root: --discard keeps no object data");
  } else {
    auto [i, fd] = store_.open(r.bucket, r.key);
    info = std::move(i);
    reply.fd = fd;
  }
  reply.head = head;
  reply.length = info->size;
  bool has_type = false;
  for (const auto& [name, value] : info->headers) {
    has_type |= name == "content-type";
    reply.headers.emplace_back(name, value);
  }
  if (!has_type) reply.headers.emplace_back("Content-Type", "binary/octet-stream");
  reply.headers.emplace_back("ETag", info->etag);
  reply.headers.emplace_back("Last-Modified", xml::http_date(info->mtime));
  reply.headers.emplace_back("Accept-Ranges", "bytes");

  const std::string range = header(req, "range");
  if (!range.empty() && range.starts_with("bytes=") && range.find(',') == std::string::npos) {
    const std::string_view spec = std::string_view(range).substr(6);
    const auto dash = spec.find('-');
    std::uint64_t first = 0, last = info->size ? info->size - 1 : 0;
    bool ok = dash != std::string_view::npos;
    auto num = [](std::string_view s, std::uint64_t& out) {
      const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      return !s.empty() && ec == std::errc() && p == s.data() + s.size();
    };
    if (ok && dash == 0) {  // suffix: the last N bytes
      std::uint64_t n = 0;
      ok = num(spec.substr(1), n) && n > 0;
      if (ok) first = n >= info->size ? 0 : info->size - n;
      ok = ok && info->size > 0;
    } else if (ok) {
      ok = num(spec.substr(0, dash), first);
      if (ok && dash + 1 < spec.size()) ok = num(spec.substr(dash + 1), last) && last >= first;
      if (ok && last >= info->size) last = info->size ? info->size - 1 : 0;
      if (ok && first >= info->size) {
        S3Error e(416, "InvalidRange", "The requested range is not satisfiable");
        e.details.emplace_back("RangeRequested", range);
        e.details.emplace_back("ActualObjectSize", std::to_string(info->size));
        Reply err = error_reply(e, x);
        err.headers.emplace_back("Content-Range", "bytes */" + std::to_string(info->size));
        return err;
      }
    }
    if (ok) {
      reply.status = 206;
      reply.offset = first;
      reply.length = last - first + 1;
      reply.headers.emplace_back("Content-Range", "bytes " + std::to_string(first) + "-" +
                                                      std::to_string(last) + "/" +
                                                      std::to_string(info->size));
      return reply;
    }
  }
  if (lower(header(req, "x-amz-checksum-mode")) == "enabled") {
    for (const auto& c : info->checksums) reply.headers.push_back(c);
    if (!info->checksum_type.empty())
      reply.headers.emplace_back("x-amz-checksum-type", info->checksum_type);
  }
  return reply;
}

}  // namespace s3up::testserver
