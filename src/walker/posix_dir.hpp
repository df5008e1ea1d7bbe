// Small POSIX helpers of the walker: listing a directory and describing errno values.
#pragma once
#include <string>
#include <vector>

namespace s3up::walker {

// Names in the directory open as `dir_fd` (except "." and ".."), sorted in the byte order of
// the paths they lead to: a directory sorts as its name followed by '/', so that a depth-first
// walk yields relative paths in byte order, the order in which S3 lists keys ("a-b" < "a.txt" <
// "a/x"). With follow_symlinks, a link to a directory sorts as a directory. Reads through a
// duplicate of the descriptor; `dir_fd` stays open and usable with the *at() calls. Throws
// std::system_error (generic category, errno) when the directory cannot be read.
std::vector<std::string> read_sorted_names(int dir_fd, bool follow_symlinks);

// One-line, lower-case description of an errno value for entry reasons and messages:
// "permission denied" for EACCES/EPERM, "no such file or directory", ... (strerror otherwise).
std::string errno_reason(int error);

}  // namespace s3up::walker
