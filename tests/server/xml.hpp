// The XML documents the server reads and writes (S3's 2006-03-01 schema), with pugixml.
#pragma once
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "server/errors.hpp"
#include "server/store.hpp"

namespace s3up::testserver::xml {

// "2009-10-12T17:50:30.000Z" and "Mon, 12 Oct 2009 17:50:30 GMT".
std::string iso8601(std::time_t t);
std::string http_date(std::time_t t);

// "x-amz-checksum-crc32c" <-> "ChecksumCRC32C".
std::string checksum_element(std::string_view header);
std::string checksum_header(std::string_view element);

std::string error(const S3Error& e, std::string_view resource, std::string_view request_id);

std::string initiate_upload(std::string_view bucket, std::string_view key,
                            std::string_view upload_id);

// Parses a CompleteMultipartUpload body; throws S3Error 400 MalformedXML.
std::vector<CompleteRequestPart> parse_complete(std::string_view body);

std::string complete_upload(std::string_view location, std::string_view bucket,
                            std::string_view key, const ObjectInfo& info);

struct ListV2Params {
  std::string bucket, prefix, delimiter, start_after, continuation_token, encoding_type;
  std::size_t max_keys = 1000;
  bool fetch_owner = false;
};
std::string list_objects_v2(const ListV2Params& p, const ListPage& page,
                            std::string_view next_token);

std::string list_uploads(std::string_view bucket, std::string_view prefix,
                         std::string_view key_marker, std::string_view upload_id_marker,
                         std::size_t max_uploads, const UploadsPage& page, bool url_encoded);

std::string list_parts(std::string_view bucket, std::string_view key, std::string_view upload_id,
                       int marker, std::size_t max_parts, const PartsPage& page);

std::string list_buckets(const std::vector<std::pair<std::string, std::time_t>>& buckets);

std::string location();

}  // namespace s3up::testserver::xml
