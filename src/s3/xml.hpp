// The S3 XML bodies s3up reads and writes, parsed and built with pugixml.
//
// Parsers accept replies with or without the xmlns="http://s3.amazonaws.com/doc/2006-03-01/"
// namespace (and element names with a namespace prefix). None of them throws on bad input: a body
// that is not well-formed XML, or whose root element is not the expected one, gives nullopt
// (ok = false for parse_complete). Only std::bad_alloc can escape.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3up::s3 {

inline constexpr std::string_view kS3XmlNamespace = "http://s3.amazonaws.com/doc/2006-03-01/";

struct S3Error {
  std::string code, message, region /* <Region> if present */, request_id, resource;
  std::string endpoint;  // <Endpoint> of a PermanentRedirect / TemporaryRedirect, if present
  std::string bucket;    // <BucketName> or <Bucket>, if present
};

// The <Error> document of a failed request; nullopt if body is not one.
std::optional<S3Error> parse_error(std::string_view body);

// InitiateMultipartUploadResult/UploadId; nullopt if absent, empty or not that document.
std::optional<std::string> parse_upload_id(std::string_view body);

// CompleteMultipartUpload may answer 200 and still fail: the body is then an <Error> document.
struct CompleteResult {
  bool ok;             // true: a CompleteMultipartUploadResult document
  std::string etag;    // its <ETag>, as sent (with the quotes S3 puts around it)
  S3Error error;       // ok = false: the <Error>, or code "" and a message for an unreadable body
  // The object's checksums the result names, element -> value ("ChecksumCRC64NVME" -> base64,
  // "...-N" for a COMPOSITE one), and <ChecksumType> ("FULL_OBJECT", "COMPOSITE" or "").
  std::vector<std::pair<std::string, std::string>> checksums;
  std::string checksum_type;
};
CompleteResult parse_complete(std::string_view body);

struct CompletedPart {
  int number;
  std::string etag;
  std::string checksum_name;  // element name, e.g. "ChecksumCRC32C"; empty if none
  std::string checksum_value;
};

// <?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="..."><Part>
// <PartNumber>1</PartNumber><ETag>..</ETag><ChecksumCRC32C>..</ChecksumCRC32C></Part>...
// Parts are written in ascending part number order (S3 requires it), text is XML-escaped.
// Throws std::invalid_argument if a checksum_name is not a plain element name ([A-Za-z0-9]+).
std::string build_complete_body(const std::vector<CompletedPart>& parts);

struct ListedUpload {
  std::string key, upload_id;
  std::string initiated;  // <Initiated>, ISO 8601 ("2026-12-02T03:04:05.000Z"), as sent
};
struct ListUploadsPage {
  std::vector<ListedUpload> uploads;
  bool truncated;
  std::string next_key_marker, next_upload_id_marker;
};
// ListMultipartUploadsResult. With <EncodingType>url</EncodingType>, keys and the key marker
// are decoded.
std::optional<ListUploadsPage> parse_list_uploads(std::string_view body);

struct ListedObject {
  std::string key, etag;
  std::uint64_t size;
  std::string last_modified;
};
struct ListObjectsPage {
  std::vector<ListedObject> objects;
  bool truncated;
  std::string next_continuation_token;
};
// ListBucketResult of ListObjectsV2. With <EncodingType>url</EncodingType>, keys are decoded.
// nullopt also if a <Size> is not a number.
std::optional<ListObjectsPage> parse_list_objects_v2(std::string_view body);

struct ListedPart {
  int number;
  std::string etag;
  std::uint64_t size;
  std::string checksum_crc32c, checksum_crc32, checksum_sha256;
};
struct ListPartsPage {
  std::vector<ListedPart> parts;
  bool truncated;
  int next_part_number_marker;  // 0 if absent
};
// ListPartsResult; nullopt also if a <PartNumber> or <Size> is not a number.
std::optional<ListPartsPage> parse_list_parts(std::string_view body);

}  // namespace s3up::s3
