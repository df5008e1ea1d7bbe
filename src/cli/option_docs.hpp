// The command line described, for the documents generated from it (the manual page, the shell
// completions): read from the same cxxopts table that parses the command line and prints --help
// (cli_options.cpp), so that an option added there appears everywhere.
#pragma once
#include <string>
#include <vector>

namespace s3up::cli {

struct OptionDoc {
  std::string group;          // --help's heading: "Destination", "Transfer", ...
  std::string name;           // long name without dashes: "max-memory"
  char short_name = 0;        // 'v' for -v; 0 for none
  std::string arg;            // the value's placeholder ("SIZE"); "" for a flag
  std::string description;    // as --help prints it
  std::string default_value;  // "" when --help shows none
  bool repeatable = false;    // may be given more than once (--include, --metadata, -v)
  // The only values the option accepts (--checksum, --engine, ...), from the code that checks
  // them; empty when free.
  std::vector<std::string> values;
  std::string env;  // its S3UP_<OPTION> variable; "" for --help and --version

  // How a shell completes the value.
  bool file_value() const { return arg == "FILE"; }
};

struct CommandDoc {
  std::string name;                // "s3up"
  std::string summary;             // one line: what the command does
  std::string usage;               // "[OPTIONS] SOURCE_DIR s3://BUCKET[/PREFIX]"
  std::vector<std::string> groups; // in --help's order
  std::vector<OptionDoc> options;  // in --help's order (by group)
};

// Everything --help lists, and nothing it does not (the hidden generator options are left out).
CommandDoc command_doc();

// "max-memory" -> "S3UP_MAX_MEMORY" (rclone's convention).
std::string env_name(std::string_view option);

}  // namespace s3up::cli
