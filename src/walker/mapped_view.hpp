// A file's bytes read where they lie, in the page cache, without copying them (mmap): for a pass
// that only reads them (a checksum before a streamed body) and for the body itself as it is sent
// (TLS encrypts from the mapping), where pread would copy every byte into a buffer first.
//
// A file cut short under a mapping raises SIGBUS on the pages past its new end. Every
// MappedRange is guarded: a handler (installed on first use, process-wide, and again should
// something replace it) maps a page of zeros over such a page of a live MappedRange, on
// whichever thread reads it, and marks the range faulted; the read goes on and the owner, seeing
// faulted(), treats the bytes as torn. A SIGBUS anywhere else keeps the disposition it had
// before.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "walker/file_reader.hpp"

namespace s3up::walker {

// `length` bytes of a file from `offset`, mapped read-only and guarded. Move-only; unmapped when
// destroyed (nothing may read the bytes after that).
class MappedRange {
 public:
  // nullopt when the file cannot be mapped here (a file system without mmap, no address space)
  // or the guard has no room for another range (4,096 live at once): read it instead.
  static std::optional<MappedRange> map(int fd, std::uint64_t offset, std::size_t length);

  MappedRange(MappedRange&& other) noexcept;
  MappedRange& operator=(MappedRange&& other) noexcept;
  MappedRange(const MappedRange&) = delete;
  MappedRange& operator=(const MappedRange&) = delete;
  ~MappedRange();

  std::span<const char> bytes() const { return {base_ + skip_, length_}; }
  // Some page read past the file's end (it was cut short while mapped): read as zeros.
  bool faulted() const;

 private:
  MappedRange(char* base, std::size_t mapped, std::size_t skip, std::size_t length, int slot)
      : base_(base), mapped_(mapped), skip_(skip), length_(length), slot_(slot) {}
  void release() noexcept;

  char* base_ = nullptr;     // page-aligned
  std::size_t mapped_ = 0;   // bytes mapped from base_
  std::size_t skip_ = 0;     // from base_ to `offset`
  std::size_t length_ = 0;
  int slot_ = -1;            // in the guard's table
};

struct MappedVisit {
  // Bytes handed to the visitor intact, from `offset` on: less than asked when the file was cut
  // short or a window could not be mapped (read the rest with pread).
  std::uint64_t visited = 0;
  // The file ended under a mapping: the window then visited read zeros past its end (not counted
  // in `visited`) and the visit stopped there.
  bool cut_short = false;
};

// Hands `visit` the bytes [offset, offset + len) of `file`, in order, in windows of at most
// `window` bytes, each a MappedRange alive for the call (so the pages mapped at once stay within
// a window). The visitor must only read the bytes. Thread-safe.
MappedVisit visit_mapped(const FileReader& file, std::uint64_t offset, std::uint64_t len,
                         std::size_t window, const std::function<void(std::span<const char>)>& visit);

}  // namespace s3up::walker
