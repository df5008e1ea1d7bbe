#include "engine/file_data.hpp"

#include "util/crypto.hpp"

#include <sys/stat.h>

#include <system_error>

namespace s3up::engine {
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
