#include "walker/posix_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>

namespace s3up::walker {

namespace {

struct CloseDir {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

}  // namespace

std::vector<std::string> read_sorted_names(int dir_fd) {
  const int copy = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) throw std::system_error(errno, std::generic_category(), "dup");
  std::unique_ptr<DIR, CloseDir> dir(::fdopendir(copy));
  if (!dir) {
    const int error = errno;
    ::close(copy);
    throw std::system_error(error, std::generic_category(), "fdopendir");
  }
  ::rewinddir(dir.get());  // the duplicate shares the offset of dir_fd

  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) {
      if (errno != 0) throw std::system_error(errno, std::generic_category(), "readdir");
      break;
    }
    if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
    names.emplace_back(entry->d_name);
  }
  std::sort(names.begin(), names.end());  // std::string compares bytes as unsigned char
  return names;
}

std::string errno_reason(int error) {
  switch (error) {
    case EACCES:
    case EPERM:
      return "permission denied";
    case ENOENT:
      return "no such file or directory";
    case ELOOP:
      return "symlink loop";
    case EMFILE:
    case ENFILE:
      return "too many open files";
    default:
      break;
  }
  std::string text = std::generic_category().message(error);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

}  // namespace s3up::walker
