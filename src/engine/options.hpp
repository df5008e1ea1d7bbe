// What one upload run is asked to do, as plain values (filled by the CLI, or by tests).
#pragma once
#include "net/http_client.hpp"
#include "s3/checksum.hpp"
#include "s3/credentials.hpp"
#include "s3/location.hpp"
#include "s3/object_settings.hpp"
#include "engine/progress.hpp"
#include "engine/shard.hpp"
#include "walker/path_filter.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace s3up::s3 {
struct OpResult;  // s3/s3_protocol.hpp
}  // namespace s3up::s3

namespace s3up::engine {

// Where and as whom to talk to S3.
struct ServiceOptions {
  s3::Endpoint endpoint;
  bool path_style = false;
  // Shared by every connection of the run; temporary credentials are renewed as they age.
  std::shared_ptr<s3::CredentialsSource> credentials;
  std::string region = "us-east-1";
  http::TlsSettings tls;
  http::Timeouts timeouts;

  bool endpoint_tls() const { return endpoint.scheme == "https"; }
};

// --sync: which files count as already uploaded.
enum class SyncMode {
  Off,           // upload everything
  SizeAndMtime,  // same size, and the object is newer than the file or carries its mtime
  SizeOnly,      // same size
  Checksum,      // same size and the same stored checksum (--checksum algorithm)
};

// A file (or directory marker) a --dry-run would upload, as UploadOptions::planned receives it.
struct PlannedEntry {
  std::string path;  // printable (util::printable)
  std::string key;   // printable
  std::uint64_t size = 0;
  bool marker = false;  // a directory marker ("key/")
};

// When a streamed PutObject carries its checksum in an aws-chunked trailer instead of a header
// computed in a first pass over the file (--trailing-checksum, trailing_checksums.hpp): from the
// first body (`on`, and `auto` on AWS's own endpoints), once the store's replies echoed the
// checksum (`auto` elsewhere), or never (`off`).
enum class TrailingChecksums { FromStart, OnceEchoed, Never };

// What to upload and how hard to push.
struct UploadOptions {
  std::string source;  // directory (or one file)
  std::string bucket;
  std::string prefix;  // "" or ending in '/'
  std::size_t concurrency = 64;        // requests in flight (the starting point when adaptive)
  bool adaptive_concurrency = false;   // --concurrency auto
  std::size_t concurrency_ceiling = 1024;  // the most --concurrency auto may reach
  std::size_t threads = 2;
  s3::ChecksumAlgorithm checksum = s3::ChecksumAlgorithm::Crc32c;
  TrailingChecksums trailing_checksums = TrailingChecksums::OnceEchoed;
  std::uint64_t multipart_threshold = 8ull << 20;
  std::uint64_t part_size = 16ull << 20;
  // The part size is the default (no --part-size): smaller objects are spread over more parts
  // (plan_parts in part_plan.hpp).
  bool spread_parts = true;
  std::uint64_t max_memory = 512ull << 20;
  int retries = 5;
  bool follow_symlinks = false;
  bool handle_signals = true;  // SIGINT/SIGTERM stop the run (exit 130)

  // What to upload.
  walker::PathFilter filter;        // --include / --exclude
  std::optional<Shard> shard;       // --shard K/N
  SyncMode sync = SyncMode::Off;    // --sync [--size-only | --sync-checksum]
  // --sync-checksum-strict: an object the store keeps no checksum (nor MD5 ETag) for is
  // uploaded again rather than compared by size and modification time.
  bool sync_checksum_strict = false;
  bool dir_markers = false;         // empty directories become "key/" objects
  bool dry_run = false;             // list what would be uploaded; change nothing
  std::function<void(const std::string&)> print;  // receives dry-run lines
  std::function<void(const std::string&)> note;   // receives "note: ..." lines (each once)
  // Structured events, for a caller that logs them its own way (each may be left empty; they
  // are called from any of the run's threads, and must be thread-safe and not throw):
  std::function<void(const PlannedEntry&)> planned;  // dry-run entries, instead of `print`
  ProgressReporter::LogSink progress_log;  // --progress log samples, instead of the plain line
  // A failed request about to be sent again (`attempt`: the 0-based attempt that failed;
  // `counted`: whether it counts against --retries, not for a region redirect).
  std::function<void(const s3::OpResult&, int attempt, bool counted)> on_retry;
  std::function<void(const s3::OpResult&)> on_request;  // every request's result
  std::function<void(const std::string&)> warning;      // "interrupted: ..." (else stderr)

  // How objects are stored and sent.
  s3::ObjectSettings object;
  std::uint64_t limit_rate = 0;     // bytes per second over the whole run, 0 = unlimited
  std::string journal;              // --journal FILE, "" for none
  // --abort-stale-uploads: before a key is uploaded as multipart, abort the uploads earlier runs
  // left open for it (always done with a journal).
  bool abort_stale_uploads = false;
  ProgressMode progress = ProgressMode::None;
};

}  // namespace s3up::engine
