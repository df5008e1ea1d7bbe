#include "engine/file_data.hpp"

#include "util/crypto.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <system_error>

namespace s3up::engine {

namespace {

// Freed DataBuffers of kReusedFrom or more, by capacity (a whole number of MiB).
struct BufferCache {
  std::mutex mutex;
  std::multimap<std::size_t, std::unique_ptr<char[]>> free;
  std::size_t bytes = 0;
};

BufferCache& buffer_cache() {
  static BufferCache cache;
  return cache;
}

}  // namespace

DataBuffer::DataBuffer(std::size_t n) : size(n) {
  if (n < kReusedFrom) {
    data.reset(n ? new char[n] : nullptr);
    capacity_ = n;
    return;
  }
  capacity_ = (n + kReusedFrom - 1) / kReusedFrom * kReusedFrom;
  {
    BufferCache& cache = buffer_cache();
    std::lock_guard lock(cache.mutex);
    if (auto it = cache.free.find(capacity_); it != cache.free.end()) {
      data = std::move(it->second);
      cache.free.erase(it);
      cache.bytes -= capacity_;
      return;
    }
  }
  data.reset(new char[capacity_]);
}

DataBuffer::~DataBuffer() {
  if (!data || capacity_ < kReusedFrom) return;
  BufferCache& cache = buffer_cache();
  std::lock_guard lock(cache.mutex);
  if (cache.bytes + capacity_ > kMaxReused) return;  // freed
  cache.free.emplace(capacity_, std::move(data));
  cache.bytes += capacity_;
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

}  // namespace

std::optional<std::string> read_range(const walker::Entry& entry, std::uint64_t offset,
                                      std::span<char> out) {
  try {
    auto reader = walker::FileReader::open(entry.path);
    if (auto c = change(entry, reader.opened(), "since it was listed"); !c.empty()) return c;
    const std::size_t got = reader.pread(out.data(), out.size(), offset);
    if (got != out.size())
      return "file changed while being read: expected " + std::to_string(out.size()) +
             " bytes at offset " + std::to_string(offset) + ", read " + std::to_string(got);
    if (auto c = change(entry, reader.stat(), "while being read"); !c.empty()) return c;
    return std::nullopt;
  } catch (const std::system_error& e) {
    return e.what();
  }
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

ReadDigest digest_file(const walker::Entry& entry, DigestNeeds needs) {
  ReadDigest r;
  auto reader = open_listed(entry, r.problem);
  if (!reader) return r;
  std::optional<s3::Checksummer> checksum, md5;
  if (needs.checksum != s3::ChecksumAlgorithm::None) checksum.emplace(needs.checksum);
  if (needs.md5) md5.emplace(s3::ChecksumAlgorithm::Md5);
  std::optional<util::Sha256> sha;
  if (needs.sha256) sha.emplace();
  DataBuffer buffer(static_cast<std::size_t>(std::min<std::uint64_t>(kStreamMemory, entry.size)));
  try {
    for (std::uint64_t done = 0; done < entry.size;) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size, entry.size - done));
      const std::size_t got = reader->pread(buffer.data.get(), want, done);
      if (got != want) {
        r.problem = "file changed while being read: expected " + std::to_string(entry.size) +
                    " bytes, read " + std::to_string(done + got);
        return r;
      }
      const std::span<const unsigned char> bytes(
          reinterpret_cast<const unsigned char*>(buffer.data.get()), got);
      if (checksum) checksum->update(bytes);
      if (md5) md5->update(bytes);
      if (sha) sha->update(bytes);
      done += got;
    }
  } catch (const std::system_error& e) {
    r.problem = e.what();
    return r;
  }
  if ((r.problem = changed_since_open(entry, *reader))) return r;
  if (checksum) r.checksum = checksum->value();
  if (md5) r.md5 = md5->value();
  if (sha && entry.size > 0) r.sha256 = util::hex_lower(sha->finish());
  return r;
}

ReadDigest read_and_digest(const walker::Entry& entry, std::uint64_t offset, std::span<char> out,
                           DigestNeeds needs) {
  ReadDigest r;
  r.problem = read_range(entry, offset, out);
  if (r.problem) return r;
  const std::span<const unsigned char> bytes(reinterpret_cast<const unsigned char*>(out.data()),
                                             out.size());
  if (needs.checksum != s3::ChecksumAlgorithm::None) r.checksum = s3::checksum_of(needs.checksum, bytes);
  if (needs.md5) r.md5 = s3::checksum_of(s3::ChecksumAlgorithm::Md5, bytes);
  if (needs.sha256 && !out.empty()) r.sha256 = util::hex_lower(util::sha256(bytes));
  return r;
}

}  // namespace s3up::engine
