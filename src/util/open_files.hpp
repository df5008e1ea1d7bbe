// The process's limit on open file descriptors (RLIMIT_NOFILE). Many systems start processes at
// a soft limit of 1,024 while allowing far more (the hard limit); a run with hundreds of requests
// in flight holds a socket for each, and a streamed body its file too.
#pragma once
#include <cstddef>
#include <cstdint>

namespace s3up::util {

// Raises the soft limit to the hard one (at most `ceiling`) where it is lower; returns the soft
// limit in force afterwards (unchanged when it cannot be raised).
std::uint64_t raise_open_files_limit(std::uint64_t ceiling = 1u << 20);

// Descriptors kept for what is not a request: the standard streams, the walker's directories,
// the journal, the logs, the resolver.
inline constexpr std::uint64_t kFilesReserved = 64;

// The most requests in flight that `open_files` descriptors allow: two each (a connection, and a
// streamed body's file) beyond kFilesReserved; at least 1.
std::size_t requests_for_open_files(std::uint64_t open_files);

}  // namespace s3up::util
