#include "s3/xml.hpp"

#include <pugixml.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include "util/uri.hpp"
#include "util/xml_nodes.hpp"

namespace s3up::s3 {
namespace {

// S3 uses a default namespace, but a prefixed one must work as well.
using util::child;
using util::local_name;

// Text of the first child element called `name`, "" if there is none.
std::string text(pugi::xml_node parent, std::string_view name) {
  return child(parent, name).text().get();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::strchr(" \t\r\n", s.front()) != nullptr) s.remove_prefix(1);
  while (!s.empty() && std::strchr(" \t\r\n", s.back()) != nullptr) s.remove_suffix(1);
  return s;
}

template <typename Int>
std::optional<Int> parse_number(std::string_view s) {
  s = trim(s);
  Int value{};
  const auto res = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || res.ec != std::errc{} || res.ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

bool parse_bool(std::string_view s) { return trim(s) == "true"; }

// Loads body and returns its root element; an empty node if body is not well-formed XML.
pugi::xml_node load(pugi::xml_document& doc, std::string_view body) {
  if (body.empty()) return {};
  const pugi::xml_parse_result res =
      doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_auto);
  if (!res) return {};
  return doc.document_element();
}

bool is(pugi::xml_node node, std::string_view name) {
  return node && local_name(node.name()) == name;
}

// Loads body and returns its root element if it is called root_name; an empty node otherwise.
pugi::xml_node load_root(pugi::xml_document& doc, std::string_view body,
                         std::string_view root_name) {
  const pugi::xml_node root = load(doc, body);
  return is(root, root_name) ? root : pugi::xml_node{};
}

// Keys of listings requested with encoding-type=url are form-encoded ('+' is a space).
std::string decode_key(std::string_view key, bool url_encoded) {
  if (!url_encoded) return std::string(key);
  std::string plus_as_space(key);
  std::replace(plus_as_space.begin(), plus_as_space.end(), '+', ' ');
  return util::uri_decode(plus_as_space);
}

bool is_url_encoded(pugi::xml_node root) { return trim(text(root, "EncodingType")) == "url"; }

S3Error error_from(pugi::xml_node root) {
  S3Error e;
  e.code = text(root, "Code");
  e.message = text(root, "Message");
  e.region = text(root, "Region");
  e.request_id = text(root, "RequestId");
  e.resource = text(root, "Resource");
  e.endpoint = text(root, "Endpoint");
  e.bucket = text(root, "BucketName");
  if (e.bucket.empty()) e.bucket = text(root, "Bucket");
  return e;
}

class StringWriter : public pugi::xml_writer {
 public:
  explicit StringWriter(std::string& out) : out_(out) {}
  void write(const void* data, std::size_t size) override {
    out_.append(static_cast<const char*>(data), size);
  }

 private:
  std::string& out_;
};

bool is_plain_element_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

}  // namespace

std::optional<S3Error> parse_error(std::string_view body) {
  pugi::xml_document doc;
  const pugi::xml_node root = load_root(doc, body, "Error");
  if (!root) return std::nullopt;
  return error_from(root);
}

std::optional<std::string> parse_upload_id(std::string_view body) {
  pugi::xml_document doc;
  const pugi::xml_node root = load_root(doc, body, "InitiateMultipartUploadResult");
  if (!root) return std::nullopt;
  std::string id(trim(text(root, "UploadId")));
  if (id.empty()) return std::nullopt;
  return id;
}

CompleteResult parse_complete(std::string_view body) {
  CompleteResult out{false, {}, {}, {}, {}};
  pugi::xml_document doc;
  const pugi::xml_node root = load(doc, body);
  // S3 says CompleteMultipartUploadResult; some implementations (moto) ...Response.
  if (is(root, "CompleteMultipartUploadResult") || is(root, "CompleteMultipartUploadResponse")) {
    out.ok = true;
    out.etag = text(root, "ETag");
    out.checksum_type = text(root, "ChecksumType");
    for (pugi::xml_node c : root.children()) {
      const std::string_view name = util::local_name(c.name());
      if (c.type() == pugi::node_element && name.starts_with("Checksum") && name != "ChecksumType")
        out.checksums.emplace_back(std::string(name), c.text().get());
    }
    return out;
  }
  if (is(root, "Error")) {
    out.error = error_from(root);
    return out;
  }
  out.error.message = "unreadable CompleteMultipartUpload reply";
  return out;
}

std::string build_complete_body(const std::vector<CompletedPart>& parts) {
  std::vector<const CompletedPart*> sorted;
  sorted.reserve(parts.size());
  for (const CompletedPart& p : parts) {
    if (!p.checksum_name.empty() && !is_plain_element_name(p.checksum_name))
      throw std::invalid_argument("build_complete_body: bad checksum name '" + p.checksum_name +
                                  "'");
    sorted.push_back(&p);
  }
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const CompletedPart* a, const CompletedPart* b) { return a->number < b->number; });

  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node root = doc.append_child("CompleteMultipartUpload");
  root.append_attribute("xmlns") = std::string(kS3XmlNamespace).c_str();
  for (const CompletedPart* p : sorted) {
    pugi::xml_node part = root.append_child("Part");
    part.append_child("PartNumber").text().set(p->number);
    part.append_child("ETag").text().set(p->etag.c_str());
    if (!p->checksum_name.empty())
      part.append_child(p->checksum_name.c_str()).text().set(p->checksum_value.c_str());
  }
  std::string out;
  StringWriter writer(out);
  doc.save(writer, "", pugi::format_raw, pugi::encoding_utf8);
  return out;
}

std::optional<ListUploadsPage> parse_list_uploads(std::string_view body) {
  pugi::xml_document doc;
  const pugi::xml_node root = load_root(doc, body, "ListMultipartUploadsResult");
  if (!root) return std::nullopt;
  const bool encoded = is_url_encoded(root);
  ListUploadsPage page{{}, parse_bool(text(root, "IsTruncated")),
                       decode_key(text(root, "NextKeyMarker"), encoded),
                       text(root, "NextUploadIdMarker")};
  for (pugi::xml_node c : root.children()) {
    if (c.type() != pugi::node_element || local_name(c.name()) != "Upload") continue;
    page.uploads.push_back(
        {decode_key(text(c, "Key"), encoded), text(c, "UploadId"), text(c, "Initiated")});
  }
  return page;
}

std::optional<ListObjectsPage> parse_list_objects_v2(std::string_view body) {
  pugi::xml_document doc;
  const pugi::xml_node root = load_root(doc, body, "ListBucketResult");
  if (!root) return std::nullopt;
  const bool encoded = is_url_encoded(root);
  ListObjectsPage page{{}, parse_bool(text(root, "IsTruncated")),
                       text(root, "NextContinuationToken")};
  for (pugi::xml_node c : root.children()) {
    if (c.type() != pugi::node_element || local_name(c.name()) != "Contents") continue;
    const auto size = parse_number<std::uint64_t>(text(c, "Size"));
    if (!size) return std::nullopt;
    page.objects.push_back(
        {decode_key(text(c, "Key"), encoded), text(c, "ETag"), *size, text(c, "LastModified")});
  }
  return page;
}

std::optional<ListPartsPage> parse_list_parts(std::string_view body) {
  pugi::xml_document doc;
  const pugi::xml_node root = load_root(doc, body, "ListPartsResult");
  if (!root) return std::nullopt;
  ListPartsPage page{{}, parse_bool(text(root, "IsTruncated")), 0};
  if (const std::string marker = text(root, "NextPartNumberMarker"); !trim(marker).empty()) {
    const auto n = parse_number<int>(marker);
    if (!n) return std::nullopt;
    page.next_part_number_marker = *n;
  }
  for (pugi::xml_node c : root.children()) {
    if (c.type() != pugi::node_element || local_name(c.name()) != "Part") continue;
    const auto number = parse_number<int>(text(c, "PartNumber"));
    const auto size = parse_number<std::uint64_t>(text(c, "Size"));
    if (!number || !size) return std::nullopt;
    page.parts.push_back({*number, text(c, "ETag"), *size, text(c, "ChecksumCRC32C"),
                          text(c, "ChecksumCRC32"), text(c, "ChecksumSHA256")});
  }
  return page;
}

}  // namespace s3up::s3
