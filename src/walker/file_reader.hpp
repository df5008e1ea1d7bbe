// Positional reads of a local file for the uploader, with re-stat to detect a file that changed
// between the walk and the upload.
#pragma once
#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "walker/unique_fd.hpp"

namespace s3up::walker {

class FileReader {
 public:
  // Opens `path` read-only (O_CLOEXEC | O_NONBLOCK, so a file replaced by a fifo cannot block;
  // the flag does nothing to reads of the regular file it must be). Throws std::system_error (errno) whose what() names the path, e.g.
  // "cannot open 'a/b.txt': Permission denied"; EISDIR for a directory; EINVAL, "cannot open
  // 'p' (not a regular file): Invalid argument", for fifos, sockets and devices.
  static FileReader open(const std::string& path);

  FileReader(FileReader&&) noexcept = default;
  FileReader& operator=(FileReader&&) noexcept = default;

  // Reads up to `len` bytes at `offset` into `buf`, looping over short reads and EINTR. Returns
  // the bytes read: less than `len` only at end of file. Thread-safe (pread). Throws
  // std::system_error naming the path on an I/O error.
  std::size_t pread(void* buf, std::size_t len, std::uint64_t offset) const;

  // Fresh fstat() of the open file. Throws std::system_error naming the path.
  struct stat stat() const;
  // The fstat() taken by open(): what the file was when it was opened.
  const struct stat& opened() const { return opened_; }
  std::uint64_t size() const;     // from a fresh stat()
  std::int64_t mtime_ns() const;  // from a fresh stat(): st_mtim in nanoseconds

  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }

 private:
  FileReader(std::string path, UniqueFd fd, const struct stat& opened)
      : path_(std::move(path)), fd_(std::move(fd)), opened_(opened) {}

  std::string path_;
  UniqueFd fd_;
  struct stat opened_;
};

}  // namespace s3up::walker
