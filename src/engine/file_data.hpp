// Reading file bytes for upload, refusing torn data: the file must still be the one the walker
// listed (same size and modification time) before and after the read.
#pragma once
#include "s3/checksum.hpp"
#include "walker/file_reader.hpp"
#include "walker/walker.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace s3up::engine {

// Reads `length` bytes at `offset` of the entry's file into `out`. Returns nullopt on success,
// else a one-line reason (open failure, changed since listed, changed while read, short read).
std::optional<std::string> read_range(const walker::Entry& entry, std::uint64_t offset, std::span<char> out);

// Which digests of a body to compute as it is read: the flexible checksum (`checksum`, None for
// none), the MD5 (Content-MD5, or the ETag comparison), the SHA-256 (signed payloads, plain
// HTTP).
struct DigestNeeds {
  s3::ChecksumAlgorithm checksum = s3::ChecksumAlgorithm::None;
  bool md5 = false;
  bool sha256 = false;

  bool any() const { return checksum != s3::ChecksumAlgorithm::None || md5 || sha256; }
};

// A body read for upload with its digests: `problem` as read_range's; `checksum` the base64
// flexible checksum, `md5` the base64 MD5, `sha256` the hex SHA-256; each empty unless asked.
struct ReadDigest {
  std::optional<std::string> problem;
  std::string checksum;
  std::string md5;
  std::string sha256;
};

// read_range, then the digests of what was read.
ReadDigest read_and_digest(const walker::Entry& entry, std::uint64_t offset, std::span<char> out,
                           DigestNeeds needs);

// Single PUTs larger than this, and every multipart part, are streamed from the file (a first
// pass computes their digests, the body is read again as it is sent), so that memory holds
// pieces, not whole files or parts.
inline constexpr std::uint64_t kStreamFrom = 8ull << 20;
// The memory a streamed body holds: its digest pass's window (a mapping, or a buffer where the
// file cannot be mapped).
inline constexpr std::uint64_t kStreamMemory = 1ull << 20;

// The first pass of a streamed body: the digests of the entry's bytes [offset, offset + length)
// in `file` (the entry's file, opened with open_listed: the one the body is then sent from),
// looked at in place in the page cache kStreamMemory at a time (walker::visit_mapped; read into a
// buffer where it cannot be mapped), refusing torn data as read_range does (the file must still
// be the one listed, and hold the whole range).
ReadDigest digest_range(const walker::Entry& entry, const walker::FileReader& file,
                        std::uint64_t offset, std::uint64_t length, DigestNeeds needs);

// Opens the entry's file to stream it, checking that it is still the file the walker listed.
// Sets `problem` (and returns nullopt) otherwise.
std::optional<walker::FileReader> open_listed(const walker::Entry& entry,
                                              std::optional<std::string>& problem);
// After a streamed send: the problem when the file changed meanwhile, else nullopt.
std::optional<std::string> changed_since_open(const walker::Entry& entry,
                                              const walker::FileReader& reader);

// How a DataBuffer's memory goes back: delete[], or munmap of `mapped` bytes (the mapped ones).
struct BufferRelease {
  std::size_t mapped = 0;
  void operator()(char* p) const noexcept;
};

// Memory for file data, allocated without zero-filling. Buffers of kReusedFrom bytes or more (whole
// files of a MiB or more; multipart parts too until they were streamed) are taken from, and given
// back to, a process-wide cache of freed ones, by size in whole MiB: a fresh buffer costs the
// kernel a page fault and a zeroed page for every 4 KiB (and a zeroed 2 MiB for every huge page)
// each time, one reused costs nothing (with 512 MiB of 16 MiB parts in flight on loopback, zeroing
// was half of s3up's CPU while the cache held 64 MiB). The buffers in use and the cache together
// hold at most hold_at_most's bytes (kHeldByDefault until a run sets its --max-memory, which also
// bounds the buffers in use): a buffer freed beyond it is released, and a new one releases cached
// buffers of other sizes to make room, so reuse costs no memory beyond what --max-memory allows.
// Buffers of kHugeFrom or more are mapped on a 2 MiB boundary and offered to the kernel for
// transparent huge pages (madvise; where THP is off they are plain pages): a fresh 5 MiB part then
// costs 2-3 faults, not 1,280 (a page fault costs several microseconds in a VM).
struct DataBuffer {
  static constexpr std::size_t kReusedFrom = std::size_t{1} << 20;
  static constexpr std::size_t kHeldByDefault = std::size_t{64} << 20;
  static constexpr std::size_t kHugeFrom = std::size_t{2} << 20;

  explicit DataBuffer(std::size_t size);
  ~DataBuffer();
  DataBuffer(const DataBuffer&) = delete;
  DataBuffer& operator=(const DataBuffer&) = delete;

  std::unique_ptr<char[], BufferRelease> data;
  std::size_t size;
  std::span<char> span() { return {data.get(), size}; }

  // The bytes that buffers in use and the cache may hold together (a run: its --max-memory).
  static void hold_at_most(std::size_t bytes);
  // The bytes the cache holds now, and freeing them (for tests).
  static std::size_t reusable_bytes();
  static void drop_reusable();

 private:
  std::size_t capacity_ = 0;  // allocated (size rounded up to a MiB when reused)
};

}  // namespace s3up::engine
