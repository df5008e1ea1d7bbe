#include "server/store.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <system_error>

#include "s3/checksum.hpp"
#include "server/errors.hpp"
#include "server/multipart_checksum.hpp"
#include "util/uri.hpp"

namespace s3up::testserver {
namespace fs = std::filesystem;
namespace {

S3Error io_error(std::string_view what, int err) {
  return S3Error(500, "InternalError",
                 std::string(what) + ": " + std::generic_category().message(err));
}

std::string hex64(std::uint64_t v) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = digits[v & 15];
  return s;
}

std::uint64_t fnv(std::string_view bytes, std::uint64_t h) {
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

bool valid_bucket_name(std::string_view n) {
  if (n.size() < 3 || n.size() > 63) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return alnum(n.front()) && alnum(n.back()) && n.find("..") == std::string_view::npos;
}

// Copies all of file `from` to the end of descriptor `to`.
void append_file(const std::string& from, int to) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) throw io_error("open " + from, errno);
  for (;;) {
    const ssize_t n = ::copy_file_range(in, nullptr, to, nullptr, 1 << 30, 0);
    if (n == 0) break;
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
      const int err = errno;
      ::close(in);
      throw io_error("copy " + from, err);
    }
    // No copy_file_range here: plain reads and writes.
    std::vector<char> buf(1 << 20);
    for (;;) {
      const ssize_t r = ::read(in, buf.data(), buf.size());
      if (r == 0) break;
      if (r < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(in);
        throw io_error("read " + from, err);
      }
      for (ssize_t off = 0; off < r;) {
        const ssize_t w = ::write(to, buf.data() + off, static_cast<std::size_t>(r - off));
        if (w < 0) {
          if (errno == EINTR) continue;
          const int err = errno;
          ::close(in);
          throw io_error("write", err);
        }
        off += w;
      }
    }
    break;
  }
  ::close(in);
}

}  // namespace

std::string quote(std::string_view etag_hex) {
  std::string s;
  s.reserve(etag_hex.size() + 2);
  s.push_back('"');
  s.append(etag_hex);
  s.push_back('"');
  return s;
}

std::string_view unquote(std::string_view etag) {
  if (etag.size() >= 6 && etag.substr(0, 6) == "&quot;") etag.remove_prefix(6);
  if (etag.size() >= 6 && etag.substr(etag.size() - 6) == "&quot;") etag.remove_suffix(6);
  if (!etag.empty() && etag.front() == '"') etag.remove_prefix(1);
  if (!etag.empty() && etag.back() == '"') etag.remove_suffix(1);
  return etag;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/' || (c == '=' && i + 2 >= text.size());
    if (!ok) return std::nullopt;
  }
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t len = static_cast<std::size_t>(n);
  if (!text.empty() && text.back() == '=') --len;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

// --- Spool ---------------------------------------------------------------------------------

Spool::Spool(Spool&& o) noexcept : fd_(std::exchange(o.fd_, -1)), path_(std::move(o.path_)) {}

Spool& Spool::operator=(Spool&& o) noexcept {
  if (this != &o) {
    discard();
    fd_ = std::exchange(o.fd_, -1);
    path_ = std::move(o.path_);
  }
  return *this;
}

Spool::~Spool() { discard(); }

void Spool::write(std::span<const unsigned char> data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw io_error("write " + path_, errno);
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
}

void Spool::commit_to(const std::string& path) {
  if (::close(std::exchange(fd_, -1)) != 0) throw io_error("close " + path_, errno);
  if (::rename(path_.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(path_.c_str());
    throw io_error("rename to " + path, err);
  }
  path_.clear();
}

void Spool::discard() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
    ::unlink(path_.c_str());
  }
}

// --- Store ---------------------------------------------------------------------------------

Store::Store(std::string root, std::uint64_t min_part_size, bool fake_etags)
    : root_(std::move(root)), min_part_size_(min_part_size), fake_etags_(fake_etags) {
  std::random_device rd;
  id_salt_ = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  if (!root_.empty()) {
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
    fs::create_directories(root_);
    fs::remove_all(root_ + "/.tmp");
    fs::remove_all(root_ + "/.uploads");
    fs::create_directories(root_ + "/.tmp");
    fs::create_directories(root_ + "/.uploads");
  }
}

std::string Store::fake_etag(std::string_view key, std::uint64_t size) {
  const std::string sz = std::to_string(size);
  const std::uint64_t a = fnv(sz, fnv(key, 0xcbf29ce484222325ull));
  const std::uint64_t b = fnv(key, fnv(sz, 0x84222325cbf29ce4ull));
  return hex64(a) + hex64(b);
}

void Store::create_bucket(const std::string& name) {
  if (!valid_bucket_name(name)) {
    S3Error e(400, "InvalidBucketName", "The specified bucket is not valid.");
    e.details.emplace_back("BucketName", name);
    throw e;
  }
  const std::lock_guard lock(mutex_);
  if (buckets_.count(name)) return;
  Bucket b;
  b.created = std::time(nullptr);
  if (!discard()) {
    b.dir = root_ + "/" + name;
    std::error_code ec;
    fs::create_directories(b.dir, ec);
    if (ec) throw io_error("mkdir " + b.dir, ec.value());
  }
  buckets_.emplace(name, std::move(b));
}

void Store::require_bucket(const std::string& name) const {
  const std::lock_guard lock(mutex_);
  if (!buckets_.count(name)) throw no_such_bucket(name);
}

std::vector<std::pair<std::string, std::time_t>> Store::buckets() const {
  const std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, std::time_t>> out;
  for (const auto& [name, b] : buckets_) out.emplace_back(name, b.created);
  return out;
}

Spool Store::new_spool() {
  std::uint64_t n;
  {
    const std::lock_guard lock(mutex_);
    n = next_id_++;
  }
  std::string path = root_ + "/.tmp/" + hex64(n);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw io_error("create " + path, errno);
  return Spool(fd, std::move(path));
}

std::string Store::object_path(const Bucket& b, std::string_view key) const {
  std::string name = util::uri_encode(key, true);
  if (!name.empty() && name.front() == '.') name.replace(0, 1, "%2E");
  if (name.empty() || name.size() > 200) name = "#" + util::hex_lower(util::sha256(key));
  return b.dir + "/" + name;
}

void Store::put_object(const std::string& bucket, const std::string& key, ObjectInfo info,
                       Spool* data) {
  const std::lock_guard lock(mutex_);
  const auto it = buckets_.find(bucket);
  if (it == buckets_.end()) throw no_such_bucket(bucket);
  if (data && data->is_open()) {
    info.file = object_path(it->second, key);
    data->commit_to(info.file);
  }
  auto& slot = it->second.objects[key];
  if (!slot) ++objects_;
  slot = std::make_shared<const ObjectInfo>(std::move(info));
}

std::shared_ptr<const ObjectInfo> Store::head(const std::string& bucket,
                                              const std::string& key) const {
  const std::lock_guard lock(mutex_);
  const auto it = buckets_.find(bucket);
  if (it == buckets_.end()) throw no_such_bucket(bucket);
  const auto o = it->second.objects.find(key);
  if (o == it->second.objects.end()) throw no_such_key(key);
  return o->second;
}

std::pair<std::shared_ptr<const ObjectInfo>, int> Store::open(const std::string& bucket,
                                                              const std::string& key) const {
  const std::lock_guard lock(mutex_);
  const auto it = buckets_.find(bucket);
  if (it == buckets_.end()) throw no_such_bucket(bucket);
  const auto o = it->second.objects.find(key);
  if (o == it->second.objects.end()) throw no_such_key(key);
  int fd = -1;
  if (!o->second->file.empty()) {
    fd = ::open(o->second->file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw io_error("open " + o->second->file, errno);
  }
  return {o->second, fd};
}

void Store::remove(const std::string& bucket, const std::string& key) {
  const std::lock_guard lock(mutex_);
  const auto it = buckets_.find(bucket);
  if (it == buckets_.end()) throw no_such_bucket(bucket);
  const auto o = it->second.objects.find(key);
  if (o == it->second.objects.end()) return;
  if (!o->second->file.empty()) ::unlink(o->second->file.c_str());
  it->second.objects.erase(o);
  --objects_;
}

ListPage Store::list(const std::string& bucket, const std::string& prefix,
                     const std::string& delimiter, const std::string& after,
                     std::size_t max_keys) const {
  ListPage page;
  const std::lock_guard lock(mutex_);
  const auto b = buckets_.find(bucket);
  if (b == buckets_.end()) throw no_such_bucket(bucket);
  const auto& objects = b->second.objects;
  auto it = objects.lower_bound(std::max(prefix, after));
  std::string_view skip_prefix;  // a common prefix already returned (or resumed after)
  if (!delimiter.empty() && after.size() > prefix.size() && after.starts_with(prefix) &&
      after.ends_with(delimiter) &&
      after.find(delimiter, prefix.size()) == after.size() - delimiter.size())
    skip_prefix = after;
  std::string last_prefix;
  for (; it != objects.end(); ++it) {
    const std::string& key = it->first;
    if (!key.starts_with(prefix)) break;
    if (key <= after) continue;
    if (!skip_prefix.empty() && key.starts_with(skip_prefix)) continue;
    if (!delimiter.empty()) {
      const auto d = key.find(delimiter, prefix.size());
      if (d != std::string::npos) {
        std::string cp = key.substr(0, d + delimiter.size());
        if (cp == last_prefix) continue;
        if (page.contents.size() + page.common_prefixes.size() >= max_keys) {
          page.truncated = true;
          break;
        }
        last_prefix = cp;
        page.last = cp;
        page.common_prefixes.push_back(std::move(cp));
        continue;
      }
    }
    if (page.contents.size() + page.common_prefixes.size() >= max_keys) {
      page.truncated = true;
      break;
    }
    page.last = key;
    page.contents.push_back({key, it->second});
  }
  return page;
}

std::string Store::create_upload(const std::string& bucket, const std::string& key,
                                 Headers headers, std::string checksum_algorithm,
                                 std::string checksum_type) {
  Upload up;
  up.bucket = bucket;
  up.key = key;
  up.initiated = std::time(nullptr);
  up.headers = std::move(headers);
  up.checksum_algorithm = std::move(checksum_algorithm);
  up.checksum_type = std::move(checksum_type);
  const std::lock_guard lock(mutex_);
  if (!buckets_.count(bucket)) throw no_such_bucket(bucket);
  const std::string id = hex64(id_salt_) + hex64(++next_id_ * 0x9e3779b97f4a7c15ull);
  if (!discard()) {
    up.dir = root_ + "/.uploads/" + id;
    std::error_code ec;
    fs::create_directory(up.dir, ec);
    if (ec) throw io_error("mkdir " + up.dir, ec.value());
  }
  uploads_.emplace(id, std::move(up));
  return id;
}

Store::Upload& Store::upload_locked(const std::string& bucket, const std::string& key,
                                    const std::string& upload_id) {
  if (!buckets_.count(bucket)) throw no_such_bucket(bucket);
  const auto it = uploads_.find(upload_id);
  if (it == uploads_.end() || it->second.bucket != bucket || it->second.key != key)
    throw no_such_upload(upload_id);
  return it->second;
}

const Store::Upload& Store::upload_locked(const std::string& bucket, const std::string& key,
                                          const std::string& upload_id) const {
  return const_cast<Store*>(this)->upload_locked(bucket, key, upload_id);
}

void Store::require_upload(const std::string& bucket, const std::string& key,
                           const std::string& upload_id) const {
  const std::lock_guard lock(mutex_);
  upload_locked(bucket, key, upload_id);
}

void Store::put_part(const std::string& bucket, const std::string& key,
                     const std::string& upload_id, int number, PartInfo part, Spool* data) {
  const std::lock_guard lock(mutex_);
  Upload& up = upload_locked(bucket, key, upload_id);
  if (data && data->is_open()) {
    part.file = up.dir + "/" + std::to_string(number);
    data->commit_to(part.file);
  }
  up.parts[number] = std::move(part);
}

std::shared_ptr<const ObjectInfo> Store::complete(const std::string& bucket,
                                                  const std::string& key,
                                                  const std::string& upload_id,
                                                  const std::vector<CompleteRequestPart>& wanted,
                                                  const CompleteChecksum& sent) {
  if (wanted.empty())
    throw S3Error(400, "MalformedXML",
                  "The XML you provided was not well-formed or did not validate against our "
                  "published schema");
  std::vector<PartInfo> parts;
  parts.reserve(wanted.size());
  Headers headers;
  std::string dir;
  ObjectChecksums checksums;
  {
    const std::lock_guard lock(mutex_);
    Upload& up = upload_locked(bucket, key, upload_id);
    int previous = 0;
    for (const auto& w : wanted) {
      if (w.number <= previous)
        throw S3Error(400, "InvalidPartOrder",
                      "The list of parts was not in ascending order. Parts must be ordered by "
                      "part number.");
      previous = w.number;
    }
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      const auto& w = wanted[i];
      const auto p = up.parts.find(w.number);
      bool ok = p != up.parts.end() && unquote(w.etag) == unquote(p->second.etag);
      if (ok) {
        for (const auto& [name, value] : w.checksums)
          for (const auto& [pname, pvalue] : p->second.checksums)
            if (pname == name && pvalue != value) ok = false;
      }
      if (!ok) {
        S3Error e(400, "InvalidPart",
                  "One or more of the specified parts could not be found.  The part may not "
                  "have been uploaded, or the specified entity tag may not have matched the "
                  "part's entity tag.");
        e.details.emplace_back("UploadId", upload_id);
        e.details.emplace_back("PartNumber", std::to_string(w.number));
        e.details.emplace_back("ETag", std::string(unquote(w.etag)));
        throw e;
      }
      if (i + 1 < wanted.size() && p->second.size < min_part_size_) {
        S3Error e(400, "EntityTooSmall",
                  "Your proposed upload is smaller than the minimum allowed size");
        e.details.emplace_back("ProposedSize", std::to_string(p->second.size));
        e.details.emplace_back("MinSizeAllowed", std::to_string(min_part_size_));
        e.details.emplace_back("PartNumber", std::to_string(w.number));
        e.details.emplace_back("ETag", std::string(unquote(p->second.etag)));
        throw e;
      }
      parts.push_back(p->second);
    }
    // Before the upload ends: a checksum that does not match leaves it open, as in S3.
    checksums = object_checksums(up.checksum_algorithm, up.checksum_type, parts, sent);
    headers = std::move(up.headers);
    dir = up.dir;
    uploads_.erase(upload_id);  // the upload is ours now: it ends here, whatever happens
  }

  ObjectInfo info;
  info.headers = std::move(headers);
  info.mtime = std::time(nullptr);
  info.parts = static_cast<int>(parts.size());
  const std::string suffix = "-" + std::to_string(parts.size());
  bool all_md5 = true;
  for (const auto& p : parts) {
    info.size += p.size;
    all_md5 &= p.has_md5;
  }
  if (all_md5) {
    std::string digests;
    digests.reserve(parts.size() * 16);
    for (const auto& p : parts) digests.append(reinterpret_cast<const char*>(p.md5.data()), 16);
    info.etag = quote(util::hex_lower(util::md5(util::as_bytes(digests))) + suffix);
  } else {
    std::string etags;
    for (const auto& p : parts) etags.append(p.etag);
    info.etag = quote(fake_etag(etags, info.size) + suffix);
  }
  info.checksums = std::move(checksums.checksums);
  info.checksum_type = std::move(checksums.type);

  Spool data;
  if (!discard()) {
    data = new_spool();
    for (const auto& p : parts) append_file(p.file, data.fd());
  }
  put_object(bucket, key, info, &data);
  if (!dir.empty()) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  return head(bucket, key);
}

void Store::abort(const std::string& bucket, const std::string& key,
                  const std::string& upload_id) {
  std::string dir;
  {
    const std::lock_guard lock(mutex_);
    Upload& up = upload_locked(bucket, key, upload_id);
    dir = up.dir;
    uploads_.erase(upload_id);
  }
  if (!dir.empty()) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
}

UploadsPage Store::list_uploads(const std::string& bucket, const std::string& prefix,
                                const std::string& key_marker,
                                const std::string& upload_id_marker,
                                std::size_t max_uploads) const {
  UploadsPage page;
  const std::lock_guard lock(mutex_);
  if (!buckets_.count(bucket)) throw no_such_bucket(bucket);
  for (const auto& [id, up] : uploads_) {
    if (up.bucket != bucket || !up.key.starts_with(prefix)) continue;
    if (!key_marker.empty()) {
      if (up.key < key_marker) continue;
      if (up.key == key_marker && (upload_id_marker.empty() || id <= upload_id_marker)) continue;
    }
    page.uploads.push_back({up.key, id, up.initiated});
  }
  std::sort(page.uploads.begin(), page.uploads.end(), [](const auto& a, const auto& b) {
    return std::tie(a.key, a.upload_id) < std::tie(b.key, b.upload_id);
  });
  if (page.uploads.size() > max_uploads) {
    page.uploads.resize(max_uploads);
    page.truncated = true;
  }
  return page;
}

PartsPage Store::list_parts(const std::string& bucket, const std::string& key,
                            const std::string& upload_id, int marker,
                            std::size_t max_parts) const {
  PartsPage page;
  const std::lock_guard lock(mutex_);
  const Upload& up = upload_locked(bucket, key, upload_id);
  page.checksum_algorithm = up.checksum_algorithm;
  for (auto it = up.parts.upper_bound(marker); it != up.parts.end(); ++it) {
    if (page.parts.size() >= max_parts) {
      page.truncated = true;
      break;
    }
    page.parts.emplace_back(it->first, it->second);
  }
  return page;
}

std::uint64_t Store::object_count() const {
  const std::lock_guard lock(mutex_);
  return objects_;
}

std::uint64_t Store::upload_count() const {
  const std::lock_guard lock(mutex_);
  return uploads_.size();
}

}  // namespace s3up::testserver
