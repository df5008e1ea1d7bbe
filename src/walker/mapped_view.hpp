// A file's bytes looked at where they lie, in the page cache, without copying them (mmap): for a
// pass that only reads them (a checksum before a streamed body), where pread would copy every
// byte into a buffer first. A file cut short under a mapping raises SIGBUS on the bytes past its
// new end; while a window is being visited a handler (installed once, process-wide) maps zero
// pages over the rest of that window instead, and the visit is reported cut short. SIGBUS
// anywhere else keeps the disposition it had before.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

#include "walker/file_reader.hpp"

namespace s3up::walker {

struct MappedVisit {
  // Bytes handed to the visitor intact, from `offset` on: less than asked when the file was cut
  // short or a window could not be mapped (read the rest with pread).
  std::uint64_t visited = 0;
  // The file ended under a mapping: the window then visited read zeros past its end (not counted
  // in `visited`) and the visit stopped there.
  bool cut_short = false;
};

// Hands `visit` the bytes [offset, offset + len) of `file`, in order, in windows of at most
// `window` bytes, each mapped read-only for the call and unmapped after it (so the pages mapped
// at once stay within a window). The visitor must only read the bytes. Thread-safe.
MappedVisit visit_mapped(const FileReader& file, std::uint64_t offset, std::uint64_t len,
                         std::size_t window, const std::function<void(std::span<const char>)>& visit);

}  // namespace s3up::walker
