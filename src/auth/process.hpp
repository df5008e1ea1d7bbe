// credential_process: runs a command named in a profile and reads credentials from its standard
// output, as aws-cli does. The command is split like a POSIX shell words it (botocore uses
// shlex.split) and run directly, never through a shell.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "auth/provider.hpp"

namespace s3up::auth {

// shlex.split in POSIX mode: whitespace separates words; '...' keeps everything literally;
// "..." keeps everything but the escapes \\ and \" (as shlex: a backslash before any other
// character, $ and ` included, stays); a backslash outside quotes escapes the next character;
// quoted and unquoted parts run together into one word ('' alone is an empty word); '#' is NOT a
// comment. Throws ProviderError on an unterminated quote or a trailing backslash, or when there
// is no word at all.
std::vector<std::string> split_command_line(std::string_view command);

// Runs the command at every fetch (stdin from /dev/null, stderr passed through, stdout read;
// killed after 60 s), and parses its output with parse_process_output. Throws ProviderError:
// not found, non-zero exit (with the status), bad output.
ProviderPtr make_process_provider(std::string command, std::string profile);

// {"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken"?, "Expiration"?}. Throws
// ProviderError: not JSON, Version missing or not 1, keys missing (never quoting the output).
s3::Credentials parse_process_output(std::string_view json);

}  // namespace s3up::auth
