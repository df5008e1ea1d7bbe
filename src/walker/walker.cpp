#include "walker/walker.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <system_error>
#include <utility>
#include <vector>

#include "walker/path_filter.hpp"
#include "walker/posix_dir.hpp"
#include "walker/unique_fd.hpp"

namespace s3up::walker {

const char* to_string(EntryKind kind) {
  switch (kind) {
    case EntryKind::File:
      return "file";
    case EntryKind::EmptyDir:
      return "empty dir";
    case EntryKind::Skipped:
      return "skipped";
    case EntryKind::Error:
      return "error";
  }
  return "?";
}

namespace {

constexpr const char* kSymlinkSkipped = "symlink skipped (use --follow-symlinks)";

std::int64_t mtime_ns(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// "a/b/" -> "a/b"; "/" and "//" stay "/".
std::string strip_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string base_name(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

WalkError root_error(const std::string& root, const std::string& cause) {
  return WalkError("cannot walk '" + root + "': " + cause);
}

// A directory being listed: its names are read once, then visited one by one.
struct Frame {
  UniqueFd fd;
  std::string rel;  // "" for the root
  std::vector<std::string> names;
  std::size_t next = 0;
  dev_t dev = 0;
  ino_t ino = 0;
};

}  // namespace

struct Walker::Impl {
  std::string root;  // without trailing '/'
  Options options;
  std::optional<Entry> single_file;  // the root, when it is a regular file
  std::vector<Frame> stack;          // the directories on the current path, root first
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  std::uint64_t filtered = 0;

  // Whether the include/exclude rules keep this entry (an empty directory as "dir/").
  bool selected(const Entry& e) const {
    if (e.kind == EntryKind::EmptyDir) return options.filter->selected(e.rel + "/");
    return options.filter->selected(e.rel);
  }

  std::string path_of(const std::string& rel) const {
    return root == "/" ? "/" + rel : root + "/" + rel;
  }

  Entry make(EntryKind kind, std::string rel, std::string reason = {}) const {
    Entry entry;
    entry.kind = kind;
    entry.path = path_of(rel);
    entry.rel = std::move(rel);
    entry.reason = std::move(reason);
    return entry;
  }

  Entry file(std::string rel, const struct stat& st) {
    Entry entry = make(EntryKind::File, std::move(rel));
    entry.size = static_cast<std::uint64_t>(st.st_size);
    entry.mtime_ns = mtime_ns(st);
    return entry;
  }

  bool on_ancestor_chain(dev_t dev, ino_t ino) const {
    for (const Frame& frame : stack) {
      if (frame.dev == dev && frame.ino == ino) return true;
    }
    return false;
  }

  std::optional<Entry> visit(int dir_fd, const std::string& name, std::string rel);
  std::optional<Entry> enter(int dir_fd, const std::string& name, std::string rel,
                             const struct stat& st, bool via_link);
};

// Describes one name of the directory `dir_fd`; descending into directories (pushes a frame).
std::optional<Entry> Walker::Impl::visit(int dir_fd, const std::string& name, std::string rel) {
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    const int error = errno;
    if (error == ENOENT)
      return make(EntryKind::Skipped, std::move(rel), "vanished during the walk");
    return make(EntryKind::Error, std::move(rel), errno_reason(error));
  }
  bool via_link = false;
  if (S_ISLNK(st.st_mode)) {
    if (!options.follow_symlinks) return make(EntryKind::Skipped, std::move(rel), kSymlinkSkipped);
    if (::fstatat(dir_fd, name.c_str(), &st, 0) != 0) {
      const int error = errno;
      if (error == ENOENT || error == ENOTDIR) {
        return make(EntryKind::Error, std::move(rel), "broken symlink");
      }
      return make(EntryKind::Error, std::move(rel), errno_reason(error));  // ELOOP: symlink loop
    }
    via_link = true;
  }
  if (S_ISREG(st.st_mode)) return file(std::move(rel), st);
  if (S_ISDIR(st.st_mode)) return enter(dir_fd, name, std::move(rel), st, via_link);
  if (S_ISFIFO(st.st_mode)) return make(EntryKind::Skipped, std::move(rel), "fifo skipped");
  if (S_ISSOCK(st.st_mode)) return make(EntryKind::Skipped, std::move(rel), "socket skipped");
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    return make(EntryKind::Skipped, std::move(rel), "device skipped");
  }
  return make(EntryKind::Skipped, std::move(rel), "unsupported file type skipped");
}

// Opens and lists a subdirectory: returns EmptyDir / Error entries, or pushes it and returns
// nullopt so that next() continues inside it.
std::optional<Entry> Walker::Impl::enter(int dir_fd, const std::string& name, std::string rel,
                                         const struct stat& st, bool via_link) {
  if (options.filter && options.filter->prunes_directory(rel)) return std::nullopt;
  if (on_ancestor_chain(st.st_dev, st.st_ino)) {
    return make(EntryKind::Error, std::move(rel), via_link ? "symlink loop" : "directory loop");
  }
  const int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (via_link ? 0 : O_NOFOLLOW);
  UniqueFd fd(::openat(dir_fd, name.c_str(), flags));
  if (!fd) {
    const int error = errno;
    if (error == ENOENT)
      return make(EntryKind::Skipped, std::move(rel), "vanished during the walk");
    return make(EntryKind::Error, std::move(rel), errno_reason(error));
  }
  Frame frame;
  try {
    frame.names = read_sorted_names(fd.get(), options.follow_symlinks);
  } catch (const std::system_error& e) {
    return make(EntryKind::Error, std::move(rel), errno_reason(e.code().value()));
  }
  if (frame.names.empty()) {
    if (!options.report_empty_dirs) return std::nullopt;
    return make(EntryKind::EmptyDir, std::move(rel));
  }
  struct stat opened;
  if (::fstat(fd.get(), &opened) != 0) {
    return make(EntryKind::Error, std::move(rel), errno_reason(errno));
  }
  frame.fd = std::move(fd);
  frame.rel = std::move(rel);
  frame.dev = opened.st_dev;
  frame.ino = opened.st_ino;
  stack.push_back(std::move(frame));
  return std::nullopt;
}

Walker::Walker(std::string root, Options options) : impl_(std::make_unique<Impl>()) {
  impl_->root = strip_trailing_slashes(root);
  impl_->options = options;

  struct stat st;
  if (::stat(impl_->root.c_str(), &st) != 0) throw root_error(root, errno_reason(errno));
  if (S_ISREG(st.st_mode)) {
    Entry entry;
    entry.kind = EntryKind::File;
    entry.path = impl_->root;
    entry.rel = base_name(impl_->root);
    entry.size = static_cast<std::uint64_t>(st.st_size);
    entry.mtime_ns = mtime_ns(st);
    impl_->single_file = std::move(entry);
    return;
  }
  if (!S_ISDIR(st.st_mode)) throw root_error(root, "not a directory or a regular file");

  Frame frame;
  frame.fd.reset(::open(impl_->root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!frame.fd) throw root_error(root, errno_reason(errno));
  try {
    frame.names = read_sorted_names(frame.fd.get(), impl_->options.follow_symlinks);
  } catch (const std::system_error& e) {
    throw root_error(root, errno_reason(e.code().value()));
  }
  struct stat opened;
  if (::fstat(frame.fd.get(), &opened) != 0) throw root_error(root, errno_reason(errno));
  frame.dev = opened.st_dev;
  frame.ino = opened.st_ino;
  impl_->stack.push_back(std::move(frame));
}

Walker::~Walker() = default;
Walker::Walker(Walker&&) noexcept = default;
Walker& Walker::operator=(Walker&&) noexcept = default;

std::optional<Entry> Walker::next() {
  Impl& walk = *impl_;
  std::optional<Entry> entry;
  if (walk.single_file) {
    entry = std::exchange(walk.single_file, std::nullopt);
  }
  while (!entry && !walk.stack.empty()) {
    Frame& dir = walk.stack.back();
    if (dir.next == dir.names.size()) {
      walk.stack.pop_back();
      continue;
    }
    std::string name = std::move(dir.names[dir.next++]);
    std::string rel = dir.rel.empty() ? name : dir.rel + "/" + name;
    entry = walk.visit(dir.fd.get(), name, std::move(rel));  // may push a frame: `dir` dangles
    if (entry && walk.options.filter && !walk.selected(*entry)) {
      if (entry->kind == EntryKind::File) ++walk.filtered;
      entry.reset();
    }
  }
  if (entry && entry->kind == EntryKind::File) {
    ++walk.files;
    walk.bytes += entry->size;
  }
  return entry;
}

std::uint64_t Walker::files_seen() const { return impl_->files; }
std::uint64_t Walker::bytes_seen() const { return impl_->bytes; }
std::uint64_t Walker::files_filtered() const { return impl_->filtered; }

}  // namespace s3up::walker
