// Options from the environment, rclone's way: every option --NAME also as S3UP_NAME (upper case,
// '-' as '_'); the command line first, then the environment, then the defaults.
//   S3UP_CONCURRENCY=128          --concurrency 128
//   S3UP_DRY_RUN=true             --dry-run (flags: true/false, 1/0, yes/no, on/off)
//   S3UP_EXCLUDE='*.tmp,"a,b"'    --exclude '*.tmp' --exclude 'a,b' (repeatable options: comma-
//                                 separated values, double quotes around a value holding one)
//   S3UP_VERBOSE=2                -vv (a flag value means -v)
// An option given on the command line ignores its variable entirely (repeatable ones included);
// the environment's rules go before the command line's, S3UP_EXCLUDE's before S3UP_INCLUDE's;
// an empty variable counts as unset; S3UP_* names that are no option are ignored, as rclone does.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/option_docs.hpp"

namespace s3up::cli {

// Variable name -> value.
using Environment = std::map<std::string, std::string, std::less<>>;

// The process's S3UP_* variables.
Environment s3up_environment();

// "true"/"false", "1"/"0", "yes"/"no", "on"/"off" in any case; nullopt for anything else.
std::optional<bool> parse_env_flag(std::string_view value);

// A repeatable option's values: comma-separated, a value in double quotes may hold commas (and
// "" for a quote), spaces around the commas are kept. Throws UsageError on an unclosed quote.
std::vector<std::string> split_env_list(std::string_view value, std::string_view variable);

struct EnvArguments {
  std::vector<std::string> args;  // "--concurrency=128", "--dry-run", "-v"...
  std::vector<std::string> used;     // the variables that gave them, in option order
  std::vector<std::string> options;  // their options ("max-memory"), in the same order
};

// The arguments that `env` adds for the options of `doc` that `given` (the command line's) does
// not have. Throws UsageError naming the variable for a flag value that is not one, or a bad
// S3UP_VERBOSE.
EnvArguments environment_arguments(const CommandDoc& doc, const Environment& env,
                                   const std::function<bool(const std::string& option)>& given);

}  // namespace s3up::cli
