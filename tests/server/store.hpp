// Buckets, objects and multipart uploads. Thread-safe: one mutex guards the maps, file I/O
// happens outside it.
//
// With a root folder, object data lives in ROOT/BUCKET/ENCODED-KEY (the key percent-encoded,
// '/' included, or "#" + SHA-256 hex for keys too long for a file name), written first to
// ROOT/.tmp and renamed into place only once the whole request succeeded, so a failed request
// stores nothing. Parts live in ROOT/.uploads/UPLOAD-ID/PART until Complete or Abort. All
// metadata is in memory: the server starts empty. In discard mode only metadata is kept.
#pragma once
#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "util/crypto.hpp"

namespace s3up::testserver {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct ObjectInfo {
  std::uint64_t size = 0;
  std::string etag;     // with its quotes
  Headers headers;      // returned on GET/HEAD: content-type, x-amz-meta-*, ...
  Headers checksums;    // "x-amz-checksum-crc32c" -> base64 (composite ones end in "-N")
  std::string checksum_type;  // of `checksums`: "FULL_OBJECT", "COMPOSITE" or ""
  std::time_t mtime = 0;
  std::string file;     // root mode: the data file
  int parts = 0;        // > 0: made by CompleteMultipartUpload
};

struct PartInfo {
  std::uint64_t size = 0;
  std::string etag;  // with its quotes
  util::Md5Digest md5{};
  bool has_md5 = false;  // false with --no-etag-md5
  Headers checksums;
  std::time_t mtime = 0;
  std::string file;
};

// A body being received, in root mode: a temporary file removed unless committed.
class Spool {
 public:
  Spool() = default;
  Spool(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  Spool(Spool&& o) noexcept;
  Spool& operator=(Spool&& o) noexcept;
  ~Spool();

  bool is_open() const { return fd_ >= 0; }
  void write(std::span<const unsigned char> data);  // throws S3Error 500 on I/O errors
  // Closes the file and moves it to `path` (replacing what is there); the spool is empty after.
  void commit_to(const std::string& path);
  void discard();  // removes the file now
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// The object checksum a CompleteMultipartUpload request names in its headers.
struct CompleteChecksum {
  std::string type;    // x-amz-checksum-type, or ""
  std::string header;  // "x-amz-checksum-crc64nvme" (lower case), or ""
  std::string value;   // its value
};

struct CompleteRequestPart {
  int number = 0;
  std::string etag;
  Headers checksums;  // "x-amz-checksum-crc32c" -> value, from <ChecksumCRC32C> etc.
};

struct ListedEntry {
  std::string key;
  std::shared_ptr<const ObjectInfo> info;
};
struct ListPage {
  std::vector<ListedEntry> contents;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string last;  // the last key or common prefix returned (the continuation point)
};

struct UploadSummary {
  std::string key, upload_id;
  std::time_t initiated;
};
struct UploadsPage {
  std::vector<UploadSummary> uploads;
  bool truncated = false;
};

struct PartsPage {
  std::vector<std::pair<int, PartInfo>> parts;
  bool truncated = false;
  std::string checksum_algorithm;
};

class Store {
 public:
  // root empty: discard mode.
  explicit Store(std::string root, std::uint64_t min_part_size, bool fake_etags);

  bool discard() const { return root_.empty(); }

  // 200 also when it exists already (as S3 does for the owner in us-east-1).
  void create_bucket(const std::string& name);
  void require_bucket(const std::string& name) const;  // NoSuchBucket
  std::vector<std::pair<std::string, std::time_t>> buckets() const;

  // A fresh temporary file for a body (root mode only).
  Spool new_spool();

  // Stores an object; `data` (root mode) is committed into place.
  void put_object(const std::string& bucket, const std::string& key, ObjectInfo info,
                  Spool* data);
  std::shared_ptr<const ObjectInfo> head(const std::string& bucket, const std::string& key) const;
  // The object and an open descriptor of its data (root mode), taken together.
  std::pair<std::shared_ptr<const ObjectInfo>, int> open(const std::string& bucket,
                                                         const std::string& key) const;
  void remove(const std::string& bucket, const std::string& key);

  // Keys in order, starting after `after` (exclusive); with a delimiter, keys sharing a
  // common prefix are rolled up into it.
  ListPage list(const std::string& bucket, const std::string& prefix,
                const std::string& delimiter, const std::string& after, std::size_t max_keys) const;

  // checksum_type: the upload's, from upload_checksum_type (multipart_checksum.hpp).
  std::string create_upload(const std::string& bucket, const std::string& key, Headers headers,
                            std::string checksum_algorithm, std::string checksum_type);
  void put_part(const std::string& bucket, const std::string& key, const std::string& upload_id,
                int number, PartInfo part, Spool* data);
  // Validates the part list (InvalidPart, InvalidPartOrder, EntityTooSmall, MalformedXML) and
  // the object checksum `sent` names (BadDigest; the upload stays open then), assembles the
  // object and ends the upload.
  std::shared_ptr<const ObjectInfo> complete(const std::string& bucket, const std::string& key,
                                             const std::string& upload_id,
                                             const std::vector<CompleteRequestPart>& parts,
                                             const CompleteChecksum& sent = {});
  void abort(const std::string& bucket, const std::string& key, const std::string& upload_id);
  UploadsPage list_uploads(const std::string& bucket, const std::string& prefix,
                           const std::string& key_marker, const std::string& upload_id_marker,
                           std::size_t max_uploads) const;
  PartsPage list_parts(const std::string& bucket, const std::string& key,
                       const std::string& upload_id, int marker, std::size_t max_parts) const;
  // Throws NoSuchUpload unless the upload exists for that bucket and key.
  void require_upload(const std::string& bucket, const std::string& key,
                      const std::string& upload_id) const;

  std::uint64_t object_count() const;
  std::uint64_t upload_count() const;

  // A stable stand-in for an MD5 ETag (--no-etag-md5): 32 hex digits from key and size.
  static std::string fake_etag(std::string_view key, std::uint64_t size);

 private:
  struct Upload {
    std::string bucket, key;
    std::time_t initiated = 0;
    Headers headers;
    std::string checksum_algorithm;  // "CRC32C", ... or empty
    std::string checksum_type;       // "FULL_OBJECT", "COMPOSITE", or empty without an algorithm
    std::map<int, PartInfo> parts;
    std::string dir;  // root mode
  };
  struct Bucket {
    std::time_t created = 0;
    std::map<std::string, std::shared_ptr<const ObjectInfo>> objects;
    std::string dir;  // root mode
  };

  std::string object_path(const Bucket& b, std::string_view key) const;
  Upload& upload_locked(const std::string& bucket, const std::string& key,
                        const std::string& upload_id);
  const Upload& upload_locked(const std::string& bucket, const std::string& key,
                              const std::string& upload_id) const;

  std::string root_;
  std::uint64_t min_part_size_;
  bool fake_etags_;
  mutable std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;
  std::unordered_map<std::string, Upload> uploads_;
  std::uint64_t objects_ = 0;
  std::uint64_t next_id_ = 0;
  std::uint64_t id_salt_;
};

// Helpers shared with the handlers.
std::string quote(std::string_view etag_hex);
std::string_view unquote(std::string_view etag);
// Decodes standard base64; nullopt if malformed.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace s3up::testserver
