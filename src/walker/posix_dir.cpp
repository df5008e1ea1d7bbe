#include "walker/posix_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
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

namespace {

// Whether `entry` leads to a directory, from d_type when the file system gives it.
bool leads_to_directory(int dir_fd, const dirent* entry, bool follow_symlinks) {
  if (entry->d_type == DT_DIR) return true;
  if (entry->d_type != DT_UNKNOWN && !(entry->d_type == DT_LNK && follow_symlinks)) return false;
  struct stat st;
  const int flags = follow_symlinks ? 0 : AT_SYMLINK_NOFOLLOW;
  return ::fstatat(dir_fd, entry->d_name, &st, flags) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::vector<std::string> read_sorted_names(int dir_fd, bool follow_symlinks) {
  const int copy = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) throw std::system_error(errno, std::generic_category(), "dup");
  std::unique_ptr<DIR, CloseDir> dir(::fdopendir(copy));
  if (!dir) {
    const int error = errno;
    ::close(copy);
    throw std::system_error(error, std::generic_category(), "fdopendir");
  }
  ::rewinddir(dir.get());  // the duplicate shares the offset of dir_fd

  // Sorted by the name with a '/' appended for directories; that suffix is dropped after.
  std::vector<std::pair<std::string, bool>> listed;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) {
      if (errno != 0) throw std::system_error(errno, std::generic_category(), "readdir");
      break;
    }
    if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
    const bool is_dir = leads_to_directory(dir_fd, entry, follow_symlinks);
    listed.emplace_back(std::string(entry->d_name) + (is_dir ? "/" : ""), is_dir);
  }
  std::sort(listed.begin(), listed.end());  // std::string compares bytes as unsigned char
  std::vector<std::string> names;
  names.reserve(listed.size());
  for (auto& [name, is_dir] : listed) {
    if (is_dir) name.pop_back();
    names.push_back(std::move(name));
  }
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
