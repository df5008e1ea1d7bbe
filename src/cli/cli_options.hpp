// The command line: s3up [OPTIONS] SOURCE_DIR s3://BUCKET[/PREFIX]
#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace s3up::cli {

// A bad command line: the message says what to fix (exit 2).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CliOptions {
  std::string source;
  std::string destination;  // s3://bucket[/prefix]
  std::optional<std::string> endpoint_url, region, profile, ca_bundle, json_path;
  bool path_style = false;
  bool no_verify_ssl = false;
  bool quiet = false;
  bool verbose = false;
  bool follow_symlinks = false;
  std::size_t concurrency = 64;
  bool concurrency_auto = false;  // --concurrency auto
  std::string engine = "async";   // async | threaded
  std::size_t threads = 0;  // 0: number of cores
  std::string checksum = "crc32c";
  std::uint64_t multipart_threshold = 0, part_size = 0, max_memory = 0;  // 0: defaults
  int retries = 5;
  double connect_timeout = 10, read_timeout = 30, request_timeout = 0;  // seconds
  // Choosing what to upload.
  std::vector<std::pair<bool, std::string>> filters;  // (include?, glob) in command-line order
  bool dry_run = false, sync = false, size_only = false, sync_checksum = false;
  bool sync_checksum_strict = false;
  bool dir_markers = false;
  std::optional<std::string> shard, journal;
  // Object settings.
  std::optional<std::string> content_type, cache_control, content_encoding, storage_class, sse,
      sse_kms_key_id, acl;
  bool no_guess_mime_type = false;
  std::vector<std::pair<std::string, std::string>> metadata;
  std::uint64_t limit_rate = 0;
  std::string progress = "auto";
  bool show_help = false, show_version = false;
  std::string help_text;
};

// Parses argv. Throws UsageError with a one-line message for anything wrong on the command
// line itself (unknown option, bad number, missing arguments); --help and --version set flags.
CliOptions parse_command_line(int argc, char** argv);

}  // namespace s3up::cli
