// The command line: s3up [OPTIONS] SOURCE_DIR s3://BUCKET[/PREFIX]
#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cli/env_options.hpp"

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
  int verbose = 0;  // -v count, at most 3 (log.hpp: kVerbose*)
  std::string log_format = "text";  // text | json
  bool follow_symlinks = false;
  std::size_t concurrency = 64;
  bool concurrency_auto = false;  // --concurrency auto
  std::string engine = "async";   // async | threaded
  std::size_t threads = 0;  // 0: number of cores
  std::string checksum = "crc32c";
  std::string trailing_checksum = "auto";  // auto, on, off
  std::uint64_t multipart_threshold = 0, part_size = 0, max_memory = 0;  // 0: defaults
  int retries = 5;
  double connect_timeout = 10, read_timeout = 30, request_timeout = 0;  // seconds
  // Choosing what to upload.
  std::vector<std::pair<bool, std::string>> filters;  // (include?, glob) in command-line order
  bool dry_run = false, sync = false, size_only = false, sync_checksum = false;
  bool sync_checksum_strict = false;
  bool dir_markers = false;
  bool abort_stale_uploads = false;
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
  // Hidden --generate-man and --generate-completion SHELL (the build writes the manual page and
  // the completion scripts with them).
  bool generate_man = false;
  std::optional<std::string> generate_completion;
  // The S3UP_* variables that set options (names only: values are never repeated).
  std::vector<std::string> from_environment;
};

// Parses argv, with the options that `env` sets (S3UP_<OPTION>, env_options.hpp) for those the
// command line leaves out; without `env`, the command line alone. Throws UsageError with a
// one-line message for anything wrong on the command line itself or in a variable (unknown
// option, bad number, missing arguments; a variable's fault names it); --help, --version and
// the generators set flags.
CliOptions parse_command_line(int argc, char** argv, const Environment& env = {});

// --help's text: the options by group, and where else settings come from.
std::string help_text();

}  // namespace s3up::cli
