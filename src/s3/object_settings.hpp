// The headers an uploaded object carries: content type, caching, metadata, storage class,
// encryption and ACL, plus the source file's modification time for --sync.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "s3/s3_client.hpp"

namespace s3up::s3 {

struct ObjectSettings {
  std::optional<std::string> content_type;  // forced for every object
  bool guess_content_type = true;           // from the extension when not forced
  std::optional<std::string> cache_control, content_encoding;
  std::vector<std::pair<std::string, std::string>> metadata;  // x-amz-meta-<name>
  std::optional<std::string> storage_class;  // STANDARD, STANDARD_IA, GLACIER_IR, ...
  std::optional<std::string> sse;            // AES256 | aws:kms
  std::optional<std::string> sse_kms_key_id;
  std::optional<std::string> acl;            // private, public-read, bucket-owner-full-control, ...
};

// The metadata key under which the file's modification time is stored, as rclone does
// ("x-amz-meta-mtime": seconds since the epoch with up to 9 decimals).
inline constexpr std::string_view kMtimeHeader = "x-amz-meta-mtime";
std::string format_mtime(std::int64_t mtime_ns);        // "1700000000.123456789"
std::optional<std::int64_t> parse_mtime(std::string_view text);

// Checks the settings; returns a one-line problem (unknown storage class, canned ACL or SSE
// algorithm, a KMS key without aws:kms, a metadata name that is not a token) or nullopt.
std::optional<std::string> settings_problem(const ObjectSettings& settings);

// The values settings_problem accepts for --storage-class, --acl and --sse (for the command
// line's documentation and shell completion).
std::vector<std::string_view> storage_class_names();
std::vector<std::string_view> canned_acl_names();
std::vector<std::string_view> sse_algorithm_names();

// The headers of a PutObject / CreateMultipartUpload for the file `rel` with this mtime.
Headers object_headers(const ObjectSettings& settings, std::string_view rel, std::int64_t mtime_ns);

}  // namespace s3up::s3
