#include "engine/file_data.hpp"

#include "util/crypto.hpp"
#include "walker/mapped_view.hpp"

#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <system_error>
#include <vector>

namespace s3up::engine {

namespace {

using BufferPtr = std::unique_ptr<char[], BufferRelease>;

// DataBuffers of kReusedFrom or more: the freed ones by capacity (a whole number of MiB), and
// the bytes of those in use, so that both together stay within `limit`.
struct BufferCache {
  std::mutex mutex;
  std::multimap<std::size_t, BufferPtr> free;
  std::size_t bytes = 0;  // in `free`
  std::size_t live = 0;   // in DataBuffers
  std::size_t limit = DataBuffer::kHeldByDefault;

  // Takes out freed buffers, largest first, until the held bytes fit the limit; the caller
  // releases them once the lock is dropped.
  std::vector<BufferPtr> over_limit() {
    std::vector<BufferPtr> out;
    while (!free.empty() && live + bytes > limit) {
      auto last = std::prev(free.end());
      bytes -= last->first;
      out.push_back(std::move(last->second));
      free.erase(last);
    }
    return out;
  }
};

BufferCache& buffer_cache() {
  static BufferCache cache;
  return cache;
}

// `n` bytes (a whole number of MiB) starting on a 2 MiB boundary, offered for huge pages; null
// when the mapping fails.
BufferPtr map_huge(std::size_t n) {
  constexpr std::size_t kAlign = DataBuffer::kHugeFrom;
  void* raw = ::mmap(nullptr, n + kAlign, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return {};
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + kAlign - 1) & ~(kAlign - 1);
  // The slack before and after the aligned range goes back at once.
  if (aligned > start) ::munmap(raw, aligned - start);
  if (const std::size_t after = start + n + kAlign - (aligned + n); after > 0)
    ::munmap(reinterpret_cast<void*>(aligned + n), after);
  ::madvise(reinterpret_cast<void*>(aligned), n, MADV_HUGEPAGE);  // a hint: ignored where THP is off
  return BufferPtr(reinterpret_cast<char*>(aligned), BufferRelease{n});
}

}  // namespace

void BufferRelease::operator()(char* p) const noexcept {
  if (mapped > 0)
    ::munmap(p, mapped);
  else
    delete[] p;
}

DataBuffer::DataBuffer(std::size_t n) : size(n) {
  if (n < kReusedFrom) {
    data.reset(n ? new char[n] : nullptr);
    capacity_ = n;
    return;
  }
  capacity_ = (n + kReusedFrom - 1) / kReusedFrom * kReusedFrom;
  std::vector<BufferPtr> released;  // freed outside the lock
  {
    BufferCache& cache = buffer_cache();
    std::lock_guard lock(cache.mutex);
    cache.live += capacity_;
    if (auto it = cache.free.find(capacity_); it != cache.free.end()) {
      data = std::move(it->second);
      cache.free.erase(it);
      cache.bytes -= capacity_;
      return;
    }
    released = cache.over_limit();  // room for this one
  }
  released.clear();
  if (capacity_ >= kHugeFrom) data = map_huge(capacity_);
  if (data) return;
  try {
    data = BufferPtr(new char[capacity_]);
  } catch (...) {
    BufferCache& cache = buffer_cache();
    std::lock_guard lock(cache.mutex);
    cache.live -= capacity_;
    throw;
  }
}

DataBuffer::~DataBuffer() {
  if (!data || capacity_ < kReusedFrom) return;
  BufferCache& cache = buffer_cache();
  std::unique_lock lock(cache.mutex);
  cache.live -= capacity_;
  if (cache.live + cache.bytes + capacity_ > cache.limit) {
    lock.unlock();
    data.reset();  // freed
    return;
  }
  cache.free.emplace(capacity_, std::move(data));
  cache.bytes += capacity_;
}

void DataBuffer::hold_at_most(std::size_t bytes) {
  std::vector<BufferPtr> released;
  BufferCache& cache = buffer_cache();
  std::lock_guard lock(cache.mutex);
  cache.limit = bytes;
  released = cache.over_limit();
}

std::size_t DataBuffer::reusable_bytes() {
  BufferCache& cache = buffer_cache();
  std::lock_guard lock(cache.mutex);
  return cache.bytes;
}

void DataBuffer::drop_reusable() {
  BufferCache& cache = buffer_cache();
  std::lock_guard lock(cache.mutex);
  cache.free.clear();
  cache.bytes = 0;
}

namespace {

std::int64_t mtime_ns(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

std::string change(const walker::Entry& e, const struct stat& st, const char* when) {
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size != e.size)
    return std::string("file changed ") + when + ": size " + std::to_string(e.size) + " -> " +
           std::to_string(size) + " bytes";
  if (mtime_ns(st) != e.mtime_ns)
    return std::string("file changed ") + when + ": modification time differs";
  return {};
}

// The digests DigestNeeds asks for, fed as bytes are read.
class Digests {
 public:
  explicit Digests(DigestNeeds needs) {
    if (needs.checksum != s3::ChecksumAlgorithm::None) checksum_.emplace(needs.checksum);
    if (needs.md5) md5_.emplace(s3::ChecksumAlgorithm::Md5);
    if (needs.sha256) sha_.emplace();
  }
  bool any() const { return checksum_ || md5_ || sha_; }
  void update(std::span<const char> piece) {
    const std::span<const unsigned char> bytes(
        reinterpret_cast<const unsigned char*>(piece.data()), piece.size());
    if (checksum_) checksum_->update(bytes);
    if (md5_) md5_->update(bytes);
    if (sha_) sha_->update(bytes);
  }
  // Into `r`; an empty body has no SHA-256 here (signing uses the empty string's own).
  void finish(ReadDigest& r, bool empty) {
    if (checksum_) r.checksum = checksum_->value();
    if (md5_) r.md5 = md5_->value();
    if (sha_ && !empty) r.sha256 = util::hex_lower(sha_->finish());
  }

 private:
  std::optional<s3::Checksummer> checksum_, md5_;
  std::optional<util::Sha256> sha_;
};

// A range to digest is read this much at a time and each piece digested at once, while it is
// still in the CPU's cache: a part of several MiB read whole and digested after comes back from
// memory (CRC32C then took 18% of s3up's samples in a loopback run of 40 files in 5 MiB parts,
// against 2% for the same bytes read and checksummed in 1 MiB pieces).
constexpr std::size_t kDigestPiece = std::size_t{256} << 10;

// read_range, feeding `digests` (when given) piece by piece.
std::optional<std::string> read_range_into(const walker::Entry& entry, std::uint64_t offset,
                                           std::span<char> out, Digests* digests) {
  try {
    auto reader = walker::FileReader::open(entry.path);
    if (auto c = change(entry, reader.opened(), "since it was listed"); !c.empty()) return c;
    const std::size_t step = digests != nullptr ? kDigestPiece : out.size();
    for (std::size_t done = 0; done < out.size();) {
      const std::size_t want = std::min(step, out.size() - done);
      const std::size_t got = reader.pread(out.data() + done, want, offset + done);
      if (got != want)
        return "file changed while being read: expected " + std::to_string(out.size()) +
               " bytes at offset " + std::to_string(offset) + ", read " +
               std::to_string(done + got);
      if (digests != nullptr) digests->update(out.subspan(done, got));
      done += got;
    }
    if (auto c = change(entry, reader.stat(), "while being read"); !c.empty()) return c;
    return std::nullopt;
  } catch (const std::system_error& e) {
    return e.what();
  }
}

}  // namespace

std::optional<std::string> read_range(const walker::Entry& entry, std::uint64_t offset,
                                      std::span<char> out) {
  return read_range_into(entry, offset, out, nullptr);
}

std::optional<walker::FileReader> open_listed(const walker::Entry& entry,
                                              std::optional<std::string>& problem) {
  try {
    auto reader = walker::FileReader::open(entry.path);
    if (auto c = change(entry, reader.opened(), "since it was listed"); !c.empty()) {
      problem = c;
      return std::nullopt;
    }
    return reader;
  } catch (const std::system_error& e) {
    problem = e.what();
    return std::nullopt;
  }
}

std::optional<std::string> changed_since_open(const walker::Entry& entry,
                                              const walker::FileReader& reader) {
  try {
    if (auto c = change(entry, reader.stat(), "while being read"); !c.empty()) return c;
    return std::nullopt;
  } catch (const std::system_error& e) {
    return e.what();
  }
}

ReadDigest digest_range(const walker::Entry& entry, const walker::FileReader& file,
                        std::uint64_t offset, std::uint64_t length, DigestNeeds needs) {
  ReadDigest r;
  const std::uint64_t end = offset + length;
  if (offset > entry.size || length > entry.size - offset) {
    r.problem = "internal error: bytes " + std::to_string(offset) + "-" + std::to_string(end) +
                " asked of a file of " + std::to_string(entry.size);
    return r;
  }
  Digests digests(needs);
  try {
    // In place in the page cache (the copy pread makes cost as much CPU as the checksum here);
    // read, from where mapping stopped, when the file cannot be mapped.
    const walker::MappedVisit mapped = walker::visit_mapped(
        file, offset, length, kStreamMemory, [&](std::span<const char> w) { digests.update(w); });
    if (mapped.cut_short) {
      r.problem = changed_since_open(entry, file)
                      .value_or("file changed while being read: it ended before byte " +
                                std::to_string(end) + " while mapped");
      return r;
    }
    DataBuffer buffer(mapped.visited < length
                          ? static_cast<std::size_t>(std::min<std::uint64_t>(kStreamMemory, length))
                          : 0);
    for (std::uint64_t done = offset + mapped.visited; done < end;) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size, end - done));
      const std::size_t got = file.pread(buffer.data.get(), want, done);
      if (got != want) {
        r.problem = "file changed while being read: expected " + std::to_string(entry.size) +
                    " bytes, read up to byte " + std::to_string(done + got);
        return r;
      }
      digests.update({buffer.data.get(), got});
      done += got;
    }
  } catch (const std::system_error& e) {
    r.problem = e.what();
    return r;
  }
  if ((r.problem = changed_since_open(entry, file))) return r;
  digests.finish(r, length == 0);
  return r;
}

ReadDigest read_and_digest(const walker::Entry& entry, std::uint64_t offset, std::span<char> out,
                           DigestNeeds needs) {
  ReadDigest r;
  Digests digests(needs);
  r.problem = read_range_into(entry, offset, out, digests.any() ? &digests : nullptr);
  if (r.problem) return r;
  digests.finish(r, out.empty());
  return r;
}

}  // namespace s3up::engine
