// Streaming, deterministic walk of a local directory tree (POSIX *at() calls; no HTTP, no S3,
// no coroutines). Memory is bounded by the names of the directories on the current path, and
// one descriptor is kept open per directory level (a level that cannot be opened, e.g. EMFILE,
// becomes an Error entry). Not thread-safe: one walker per thread.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace s3up::walker {

class PathFilter;

enum class EntryKind { File, EmptyDir, Skipped, Error };

// "file", "empty dir", "skipped", "error": for messages.
const char* to_string(EntryKind kind);

struct Entry {
  EntryKind kind = EntryKind::File;
  std::string path;  // path to open: the root joined with rel (the root itself for a file root)
  std::string rel;   // relative to the root, '/' separators, no "./", raw bytes of the names
                     // (may be invalid UTF-8: the caller validates)
  std::uint64_t size = 0;     // File only
  std::int64_t mtime_ns = 0;  // File only: st_mtim in nanoseconds since the epoch
  std::string reason;         // Skipped/Error: a one-line cause, e.g. "permission denied"
};

struct Options {
  bool follow_symlinks = false;
  bool report_empty_dirs = true;
  // --include/--exclude rules: entries they exclude are not returned at all, and directories
  // they exclude entirely are not descended. Not owned; must outlive the walker.
  const PathFilter* filter = nullptr;
};

// The root does not exist or cannot be read. what(): one line naming the root and the cause.
class WalkError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Walker {
 public:
  // Opens the root and reads its names. Throws WalkError when the root does not exist, cannot be
  // read, or is neither a directory nor a regular file. The root itself is always followed if it
  // is a symlink. If the root is a regular file, the walk yields exactly that file with rel = its
  // base name (as `aws s3 cp FILE s3://b/p/` does). Trailing '/' on root are accepted.
  Walker(std::string root, Options options = {});
  ~Walker();
  Walker(Walker&&) noexcept;
  Walker& operator=(Walker&&) noexcept;

  // Returns the next entry, nullopt at the end. Depth-first, in the byte order of the relative
  // paths (a directory's contents come where "name/" sorts), which is the order S3 lists keys
  // in; hidden names included.
  // Never throws for problems below the root: they become entries:
  //  - regular file: File (even if unreadable: opening it is the uploader's business);
  //  - directory without any entry: EmptyDir (if report_empty_dirs; never for the root);
  //  - symlink: Skipped "symlink skipped (use --follow-symlinks)"; when following: the target's
  //    kind (path through the link), Error "broken symlink", or Error "symlink loop" (a chain
  //    that loops, or a directory that is one of its own ancestors);
  //  - fifo / socket / device: Skipped "fifo skipped" / "socket skipped" / "device skipped";
  //  - unreadable directory: Error "permission denied" (other causes: errno's text);
  //  - a name that vanished while walking: Skipped "vanished during the walk".
  // Only std::bad_alloc may escape.
  std::optional<Entry> next();

  std::uint64_t files_seen() const;  // File entries returned so far
  std::uint64_t bytes_seen() const;  // sum of their sizes
  std::uint64_t files_filtered() const;  // files left out by the filter

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace s3up::walker
