#include "server/router.hpp"

#include <charconv>

#include "util/uri.hpp"

namespace s3up::testserver {
namespace http = boost::beast::http;

bool Route::has(std::string_view name) const {
  for (const auto& p : params)
    if (p.first == name) return true;
  return false;
}

std::string Route::get(std::string_view name, std::string_view fallback) const {
  for (const auto& p : params)
    if (p.first == name) return p.second;
  return std::string(fallback);
}

Route route(http::verb method, std::string_view target) {
  Route r;
  const auto q = target.find('?');
  const std::string_view raw_path = target.substr(0, q);
  if (q != std::string_view::npos) {
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const auto param = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      if (param.empty()) continue;
      const auto eq = param.find('=');
      r.params.emplace_back(util::uri_decode(param.substr(0, eq)),
                            eq == std::string_view::npos ? std::string()
                                                         : util::uri_decode(param.substr(eq + 1)));
    }
  }
  if (raw_path == "/__stats" && method == http::verb::get) {
    r.internal = Internal::Stats;
    return r;
  }
  if (raw_path == "/__reset_stats" && method == http::verb::post) {
    r.internal = Internal::ResetStats;
    return r;
  }
  if (raw_path.empty() || raw_path.front() != '/') return r;
  std::string_view rest = raw_path.substr(1);
  const auto slash = rest.find('/');
  r.bucket = util::uri_decode(rest.substr(0, slash));
  if (slash != std::string_view::npos) r.key = util::uri_decode(rest.substr(slash + 1));

  if (r.has("partNumber")) {
    const std::string n = r.get("partNumber");
    const auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), r.part_number);
    if (ec != std::errc() || p != n.data() + n.size()) r.part_number = -1;
  }
  r.upload_id = r.get("uploadId");
  const bool upload = r.has("uploadId");

  if (r.bucket.empty()) {
    if (method == http::verb::get) r.op = Operation::ListBuckets;
    return r;
  }
  if (r.key.empty()) {
    switch (method) {
      case http::verb::put:
        if (r.params.empty()) r.op = Operation::CreateBucket;
        break;
      case http::verb::head:
        r.op = Operation::HeadBucket;
        break;
      case http::verb::get:
        if (r.has("uploads"))
          r.op = Operation::ListMultipartUploads;
        else if (r.has("location"))
          r.op = Operation::GetBucketLocation;
        else if (!r.has("acl") && !r.has("policy") && !r.has("versioning") && !r.has("tagging") &&
                 !r.has("versions") && !r.has("lifecycle") && !r.has("cors"))
          r.op = Operation::ListObjectsV2;
        break;
      default:
        break;
    }
    return r;
  }
  switch (method) {
    case http::verb::put:
      if (upload || r.has("partNumber")) {
        r.op = Operation::UploadPart;
      } else if (!r.has("acl") && !r.has("tagging") && !r.has("retention") &&
                 !r.has("legal-hold")) {
        r.op = Operation::PutObject;
      }
      break;
    case http::verb::post:
      if (r.has("uploads"))
        r.op = Operation::CreateMultipartUpload;
      else if (upload)
        r.op = Operation::CompleteMultipartUpload;
      break;
    case http::verb::delete_:
      r.op = upload ? Operation::AbortMultipartUpload : Operation::DeleteObject;
      break;
    case http::verb::get:
      if (upload)
        r.op = Operation::ListParts;
      else if (!r.has("acl") && !r.has("tagging") && !r.has("attributes") &&
               !r.has("retention") && !r.has("legal-hold") && !r.has("torrent"))
        r.op = Operation::GetObject;
      break;
    case http::verb::head:
      r.op = Operation::HeadObject;
      break;
    default:
      break;
  }
  return r;
}

}  // namespace s3up::testserver
