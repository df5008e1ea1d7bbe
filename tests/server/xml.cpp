#include "server/xml.hpp"

#include <charconv>
#include <pugixml.hpp>

#include "util/uri.hpp"

namespace s3up::testserver::xml {
namespace {

constexpr const char* kNs = "http://s3.amazonaws.com/doc/2006-03-01/";

struct StringWriter : pugi::xml_writer {
  std::string out;
  void write(const void* data, size_t size) override {
    out.append(static_cast<const char*>(data), size);
  }
};

std::string render(const pugi::xml_document& doc) {
  StringWriter w;
  w.out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  doc.save(w, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
  return std::move(w.out);
}

pugi::xml_node root(pugi::xml_document& doc, const char* name, bool ns = true) {
  auto r = doc.append_child(name);
  if (ns) r.append_attribute("xmlns") = kNs;
  return r;
}

void add(pugi::xml_node parent, const char* name, std::string_view text) {
  parent.append_child(name).text().set(std::string(text).c_str());
}

void add(pugi::xml_node parent, const char* name, std::uint64_t n) {
  add(parent, name, std::to_string(n));
}

void add_bool(pugi::xml_node parent, const char* name, bool b) {
  add(parent, name, b ? "true" : "false");
}

// Local name of an element, without a namespace prefix.
std::string_view local_name(const pugi::xml_node& n) {
  std::string_view name = n.name();
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

S3Error malformed_xml() {
  return S3Error(400, "MalformedXML",
                 "The XML you provided was not well-formed or did not validate against our "
                 "published schema");
}

std::string maybe_url(std::string_view s, bool url) {
  return url ? util::uri_encode(s, false) : std::string(s);
}

}  // namespace

std::string iso8601(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return buf;
}

std::string http_date(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
                tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string checksum_element(std::string_view header) {
  std::string out = "Checksum";
  for (char c : header.substr(std::string_view("x-amz-checksum-").size()))
    out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  return out;
}

std::string checksum_header(std::string_view element) {
  std::string out = "x-amz-checksum-";
  for (char c : element.substr(std::string_view("Checksum").size()))
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  return out;
}

std::string error(const S3Error& e, std::string_view resource, std::string_view request_id) {
  pugi::xml_document doc;
  auto r = root(doc, "Error", false);
  add(r, "Code", e.code());
  add(r, "Message", e.what());
  for (const auto& [name, value] : e.details) add(r, name.c_str(), value);
  add(r, "Resource", resource);
  add(r, "RequestId", request_id);
  return render(doc);
}

std::string initiate_upload(std::string_view bucket, std::string_view key,
                            std::string_view upload_id) {
  pugi::xml_document doc;
  auto r = root(doc, "InitiateMultipartUploadResult");
  add(r, "Bucket", bucket);
  add(r, "Key", key);
  add(r, "UploadId", upload_id);
  return render(doc);
}

std::vector<CompleteRequestPart> parse_complete(std::string_view body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8))
    throw malformed_xml();
  const auto top = doc.document_element();
  if (local_name(top) != "CompleteMultipartUpload") throw malformed_xml();
  std::vector<CompleteRequestPart> parts;
  for (auto part : top.children()) {
    if (part.type() != pugi::node_element) continue;
    if (local_name(part) != "Part") throw malformed_xml();
    CompleteRequestPart p;
    bool has_number = false;
    for (auto field : part.children()) {
      if (field.type() != pugi::node_element) continue;
      const auto name = local_name(field);
      const std::string_view text = field.text().get();
      if (name == "PartNumber") {
        const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), p.number);
        if (ec != std::errc() || ptr != text.data() + text.size() || p.number < 1 ||
            p.number > 10000)
          throw malformed_xml();
        has_number = true;
      } else if (name == "ETag") {
        p.etag = std::string(text);
      } else if (name.starts_with("Checksum") && name != "ChecksumType") {
        p.checksums.emplace_back(checksum_header(name), std::string(text));
      }
    }
    if (!has_number) throw malformed_xml();
    parts.push_back(std::move(p));
  }
  return parts;
}

std::string complete_upload(std::string_view location, std::string_view bucket,
                            std::string_view key, const ObjectInfo& info) {
  pugi::xml_document doc;
  auto r = root(doc, "CompleteMultipartUploadResult");
  add(r, "Location", location);
  add(r, "Bucket", bucket);
  add(r, "Key", key);
  add(r, "ETag", info.etag);
  for (const auto& [name, value] : info.checksums)
    add(r, checksum_element(name).c_str(), value);
  if (!info.checksum_type.empty()) add(r, "ChecksumType", info.checksum_type);
  return render(doc);
}

std::string list_objects_v2(const ListV2Params& p, const ListPage& page,
                            std::string_view next_token) {
  const bool url = p.encoding_type == "url";
  pugi::xml_document doc;
  auto r = root(doc, "ListBucketResult");
  add(r, "Name", p.bucket);
  add(r, "Prefix", maybe_url(p.prefix, url));
  if (!p.delimiter.empty()) add(r, "Delimiter", maybe_url(p.delimiter, url));
  if (!p.start_after.empty()) add(r, "StartAfter", maybe_url(p.start_after, url));
  if (!p.continuation_token.empty()) add(r, "ContinuationToken", p.continuation_token);
  add(r, "MaxKeys", p.max_keys);
  add(r, "KeyCount", page.contents.size() + page.common_prefixes.size());
  add_bool(r, "IsTruncated", page.truncated);
  if (page.truncated) add(r, "NextContinuationToken", next_token);
  if (url) add(r, "EncodingType", "url");
  for (const auto& e : page.contents) {
    auto c = r.append_child("Contents");
    add(c, "Key", maybe_url(e.key, url));
    add(c, "LastModified", iso8601(e.info->mtime));
    add(c, "ETag", e.info->etag);
    add(c, "Size", e.info->size);
    add(c, "StorageClass", "STANDARD");
    if (p.fetch_owner) {
      auto o = c.append_child("Owner");
      add(o, "ID", "s3-testserver");
      add(o, "DisplayName", "s3-testserver");
    }
  }
  for (const auto& cp : page.common_prefixes) {
    auto c = r.append_child("CommonPrefixes");
    add(c, "Prefix", maybe_url(cp, url));
  }
  return render(doc);
}

std::string list_uploads(std::string_view bucket, std::string_view prefix,
                         std::string_view key_marker, std::string_view upload_id_marker,
                         std::size_t max_uploads, const UploadsPage& page, bool url) {
  pugi::xml_document doc;
  auto r = root(doc, "ListMultipartUploadsResult");
  add(r, "Bucket", bucket);
  add(r, "KeyMarker", maybe_url(key_marker, url));
  add(r, "UploadIdMarker", upload_id_marker);
  if (page.truncated && !page.uploads.empty()) {
    add(r, "NextKeyMarker", maybe_url(page.uploads.back().key, url));
    add(r, "NextUploadIdMarker", page.uploads.back().upload_id);
  }
  add(r, "Prefix", maybe_url(prefix, url));
  add(r, "MaxUploads", max_uploads);
  add_bool(r, "IsTruncated", page.truncated);
  if (url) add(r, "EncodingType", "url");
  for (const auto& u : page.uploads) {
    auto e = r.append_child("Upload");
    add(e, "Key", maybe_url(u.key, url));
    add(e, "UploadId", u.upload_id);
    add(e, "StorageClass", "STANDARD");
    add(e, "Initiated", iso8601(u.initiated));
  }
  return render(doc);
}

std::string list_parts(std::string_view bucket, std::string_view key, std::string_view upload_id,
                       int marker, std::size_t max_parts, const PartsPage& page) {
  pugi::xml_document doc;
  auto r = root(doc, "ListPartsResult");
  add(r, "Bucket", bucket);
  add(r, "Key", key);
  add(r, "UploadId", upload_id);
  add(r, "PartNumberMarker", static_cast<std::uint64_t>(marker));
  if (!page.parts.empty())
    add(r, "NextPartNumberMarker", static_cast<std::uint64_t>(page.parts.back().first));
  add(r, "MaxParts", max_parts);
  add_bool(r, "IsTruncated", page.truncated);
  add(r, "StorageClass", "STANDARD");
  if (!page.checksum_algorithm.empty()) add(r, "ChecksumAlgorithm", page.checksum_algorithm);
  for (const auto& [number, part] : page.parts) {
    auto e = r.append_child("Part");
    add(e, "PartNumber", static_cast<std::uint64_t>(number));
    add(e, "LastModified", iso8601(part.mtime));
    add(e, "ETag", part.etag);
    add(e, "Size", part.size);
    for (const auto& [name, value] : part.checksums)
      add(e, checksum_element(name).c_str(), value);
  }
  return render(doc);
}

std::string list_buckets(const std::vector<std::pair<std::string, std::time_t>>& buckets) {
  pugi::xml_document doc;
  auto r = root(doc, "ListAllMyBucketsResult");
  auto owner = r.append_child("Owner");
  add(owner, "ID", "s3-testserver");
  add(owner, "DisplayName", "s3-testserver");
  auto list = r.append_child("Buckets");
  for (const auto& [name, created] : buckets) {
    auto b = list.append_child("Bucket");
    add(b, "Name", name);
    add(b, "CreationDate", iso8601(created));
  }
  return render(doc);
}

std::string location() {
  pugi::xml_document doc;
  root(doc, "LocationConstraint");
  return render(doc);
}

}  // namespace s3up::testserver::xml
