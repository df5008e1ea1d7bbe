#include "engine/journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace s3up::engine {
namespace json = boost::json;

namespace {

constexpr std::int64_t kVersion = 1;
constexpr std::string_view kMagic = R"({"s3up_journal":)";

json::string_view js(std::string_view s) { return {s.data(), s.size()}; }

std::string header_line(std::string_view destination) {
  json::object o;
  o["s3up_journal"] = kVersion;
  o["destination"] = js(destination);
  return json::serialize(o) + '\n';
}

json::value parse_line(std::string_view line) {
  json::parse_options options;
  options.allow_invalid_utf8 = true;  // keys are written as given
  return json::parse(js(line), {}, options);
}

std::string_view get_string(const json::object& o, std::string_view name) {
  const json::string& s = o.at(js(name)).as_string();
  return {s.data(), s.size()};
}

// An optional string member: "" when absent (fields added to the format later).
std::string_view get_optional_string(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(js(name));
  if (!v) return {};
  const json::string& s = v->as_string();
  return {s.data(), s.size()};
}

template <typename T>
T get_number(const json::object& o, std::string_view name) {
  return o.at(js(name)).to_number<T>();
}

// fsync the folder holding `path`, so that a newly created file survives a crash.
void sync_parent_folder(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) parent = ".";
  const int dir = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return;  // best effort
  ::fsync(dir);
  ::close(dir);
}

}  // namespace

Journal::Journal(std::string path, std::string destination)
    : path_(std::move(path)), destination_(std::move(destination)) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot open", errno);
  try {
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK)
        throw JournalError("journal " + path_ + " is in use by another process");
      fail("cannot lock", errno);
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail("cannot stat", errno);
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < text.size()) {
      const ssize_t n = ::pread(fd_, text.data() + got, text.size() - got, static_cast<off_t>(got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("cannot read", errno);
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    text.resize(got);
    replay(text);
  } catch (...) {
    ::close(fd_);
    throw;
  }
  writer_ = std::thread([this] { writer_loop(); });
}

Journal::~Journal() {
  try {
    close();
  } catch (...) {
  }
}

void Journal::fail(std::string_view what, int err) const {
  throw JournalError("journal " + path_ + ": " + std::string(what) + ": " + std::strerror(err));
}

void Journal::replay(std::string_view text) {
  const std::size_t first_end = text.find('\n');
  if (first_end == std::string_view::npos) {
    // Empty, or a header torn while the journal was being created.
    const std::string_view head = text.substr(0, std::min(text.size(), kMagic.size()));
    if (!text.empty() && kMagic.substr(0, head.size()) != head)
      throw JournalError("journal " + path_ + " is not an s3up journal");
    if (!text.empty()) truncate_to(0);
    write_header();
    return;
  }

  // The header.
  try {
    const json::object header = parse_line(text.substr(0, first_end)).as_object();
    const auto version = get_number<std::int64_t>(header, "s3up_journal");
    if (version != kVersion)
      throw JournalError("journal " + path_ + " has version " + std::to_string(version) +
                         ", this s3up reads version " + std::to_string(kVersion));
    const std::string_view destination = get_string(header, "destination");
    if (destination != destination_)
      throw JournalError("journal " + path_ + " is for " + std::string(destination) +
                         ", not for " + destination_ + "; use another journal file");
  } catch (const JournalError&) {
    throw;
  } catch (const std::exception&) {
    throw JournalError("journal " + path_ + " is not an s3up journal");
  }

  // The records. A bad last line is what a crash leaves; a bad line before it is corruption.
  std::size_t pos = first_end + 1;
  std::size_t line_number = 1;
  while (pos < text.size()) {
    ++line_number;
    const std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) {  // torn: written without its newline
      truncate_to(pos);
      return;
    }
    const std::string_view line = text.substr(pos, end - pos);
    if (!line.empty()) {
      try {
        apply(line);
      } catch (const std::exception&) {
        if (end + 1 < text.size())
          throw JournalError("journal " + path_ + " is corrupt at line " +
                             std::to_string(line_number));
        truncate_to(pos);
        return;
      }
    }
    pos = end + 1;
  }
}

void Journal::apply(std::string_view line) {
  const json::object o = parse_line(line).as_object();
  const std::string_view op = get_string(o, "op");
  const std::string_view key = get_string(o, "key");
  if (op == "done") {
    note_finished(key, get_number<std::uint64_t>(o, "size"), get_number<std::int64_t>(o, "mtime_ns"));
  } else if (op == "start") {
    JournalUpload upload;
    upload.key = key;
    upload.upload_id = get_string(o, "upload_id");
    upload.size = get_number<std::uint64_t>(o, "size");
    upload.mtime_ns = get_number<std::int64_t>(o, "mtime_ns");
    upload.part_size = get_number<std::uint64_t>(o, "part_size");
    upload.checksum = get_optional_string(o, "checksum");
    upload.checksum_type = get_optional_string(o, "checksum_type");
    note_started(upload);
  } else if (op == "part") {
    JournalPart part;
    part.number = get_number<int>(o, "number");
    part.etag = get_string(o, "etag");
    part.checksum = get_string(o, "checksum");
    part.size = get_number<std::uint64_t>(o, "size");
    note_part(key, get_string(o, "upload_id"), part);
  } else if (op == "close") {
    note_closed(key, get_string(o, "upload_id"));
  }
  // Other ops, from a later version of the same format, are skipped.
}

void Journal::note_finished(std::string_view key, std::uint64_t size, std::int64_t mtime_ns) {
  finished_.insert_or_assign(std::string(key), std::make_pair(size, mtime_ns));
}

void Journal::note_started(const JournalUpload& upload) {
  JournalUpload copy = upload;
  copy.parts.clear();
  uploads_.insert_or_assign(upload.key, std::move(copy));
}

void Journal::note_part(std::string_view key, std::string_view upload_id,
                        const JournalPart& part) {
  const auto it = uploads_.find(std::string(key));
  if (it == uploads_.end() || it->second.upload_id != upload_id) return;
  it->second.parts.insert_or_assign(part.number, part);
}

void Journal::note_closed(std::string_view key, std::string_view upload_id) {
  const auto it = uploads_.find(std::string(key));
  if (it != uploads_.end() && it->second.upload_id == upload_id) uploads_.erase(it);
}

void Journal::truncate_to(std::uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) fail("cannot truncate", errno);
  if (::fdatasync(fd_) != 0) fail("cannot sync", errno);
}

void Journal::write_header() {
  write_all(header_line(destination_));
  if (::fdatasync(fd_) != 0) fail("cannot sync", errno);
  sync_parent_folder(path_);
}

void Journal::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write", errno);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool Journal::finished(std::string_view key, std::uint64_t size, std::int64_t mtime_ns) const {
  std::lock_guard lock(mu_);
  const auto it = finished_.find(std::string(key));
  return it != finished_.end() && it->second == std::make_pair(size, mtime_ns);
}

std::optional<JournalUpload> Journal::open_upload(std::string_view key) const {
  std::lock_guard lock(mu_);
  const auto it = uploads_.find(std::string(key));
  if (it == uploads_.end()) return std::nullopt;
  return it->second;
}

std::size_t Journal::finished_count() const {
  std::lock_guard lock(mu_);
  return finished_.size();
}

void Journal::throw_if_failed() const {
  if (!error_.empty()) throw JournalError(error_);
  if (closed_ || stopping_) throw JournalError("journal " + path_ + " is closed");
}

std::uint64_t Journal::append(std::string line) {
  line += '\n';
  pending_ += line;
  if (++pending_records_ == 1) first_pending_ = std::chrono::steady_clock::now();
  if (pending_records_ == 1 || pending_records_ == kBatchRecords) cv_.notify_one();
  return ++recorded_;
}

std::uint64_t Journal::record_finished(std::string_view key, std::uint64_t size, std::int64_t mtime_ns) {
  json::object o;
  o["op"] = "done";
  o["key"] = js(key);
  o["size"] = size;
  o["mtime_ns"] = mtime_ns;
  std::string line = json::serialize(o);
  std::lock_guard lock(mu_);
  throw_if_failed();
  note_finished(key, size, mtime_ns);
  return append(std::move(line));
}

std::uint64_t Journal::record_upload_started(const JournalUpload& upload) {
  json::object o;
  o["op"] = "start";
  o["key"] = js(upload.key);
  o["upload_id"] = js(upload.upload_id);
  o["size"] = upload.size;
  o["mtime_ns"] = upload.mtime_ns;
  o["part_size"] = upload.part_size;
  o["checksum"] = js(upload.checksum);
  o["checksum_type"] = js(upload.checksum_type);
  std::string line = json::serialize(o);
  std::lock_guard lock(mu_);
  throw_if_failed();
  note_started(upload);
  return append(std::move(line));
}

std::uint64_t Journal::record_part(std::string_view key, std::string_view upload_id,
                          const JournalPart& part) {
  json::object o;
  o["op"] = "part";
  o["key"] = js(key);
  o["upload_id"] = js(upload_id);
  o["number"] = part.number;
  o["etag"] = js(part.etag);
  o["checksum"] = js(part.checksum);
  o["size"] = part.size;
  std::string line = json::serialize(o);
  std::lock_guard lock(mu_);
  throw_if_failed();
  note_part(key, upload_id, part);
  return append(std::move(line));
}

std::uint64_t Journal::record_upload_closed(std::string_view key, std::string_view upload_id) {
  json::object o;
  o["op"] = "close";
  o["key"] = js(key);
  o["upload_id"] = js(upload_id);
  std::string line = json::serialize(o);
  std::lock_guard lock(mu_);
  throw_if_failed();
  note_closed(key, upload_id);
  return append(std::move(line));
}

void Journal::flush_locked_io() {
  std::string batch;
  std::uint64_t upto = 0;
  {
    std::lock_guard lock(mu_);
    if (!error_.empty()) throw JournalError(error_);
    batch.swap(pending_);
    pending_records_ = 0;
    upto = recorded_;
  }
  // An empty batch: the records up to `upto`, if any, were synced under io_mu_ already.
  if (!batch.empty()) {
    try {
      write_all(batch);
      if (::fdatasync(fd_) != 0) fail("cannot sync", errno);
    } catch (const JournalError& e) {
      failed(e.what());
      throw;
    }
  }
  std::vector<std::function<void(const std::string&)>> ready;
  {
    std::lock_guard lock(mu_);
    if (!batch.empty()) ++syncs_;
    synced_ = std::max(synced_, upto);
    std::erase_if(callbacks_, [&](auto& entry) {
      if (entry.first > synced_) return false;
      ready.push_back(std::move(entry.second));
      return true;
    });
  }
  durable_cv_.notify_all();
  for (auto& done : ready) done("");
}

void Journal::failed(const std::string& error) {
  std::vector<std::pair<std::uint64_t, std::function<void(const std::string&)>>> waiting;
  std::function<void(const std::string&)> handler;
  {
    std::lock_guard lock(mu_);
    if (failing_) return;
    failing_ = true;
    handler = on_failure_;
  }
  // The handler is told first: whoever sees the error next (a waiter, a record) finds the run
  // already told, and the handler has returned before anyone could go on to end the run.
  if (handler) handler(error);
  {
    std::lock_guard lock(mu_);
    error_ = error;
    waiting.swap(callbacks_);
  }
  durable_cv_.notify_all();
  for (auto& [seq, done] : waiting) done(error);
}

std::uint64_t Journal::last_recorded() const {
  std::lock_guard lock(mu_);
  return recorded_;
}

std::uint64_t Journal::syncs() const {
  std::lock_guard lock(mu_);
  return syncs_;
}

void Journal::on_failure(std::function<void(const std::string&)> handler) {
  std::lock_guard lock(mu_);
  on_failure_ = std::move(handler);
}

void Journal::wait_durable(std::uint64_t seq) {
  std::unique_lock lock(mu_);
  seq = std::min(seq, recorded_);
  for (;;) {
    if (synced_ >= seq) return;
    if (!error_.empty()) throw JournalError(error_);
    if (closed_) throw JournalError("journal " + path_ + " is closed");
    if (wanted_ < seq) {
      wanted_ = seq;
      cv_.notify_one();
    }
    durable_cv_.wait(lock);
  }
}

void Journal::when_durable(std::uint64_t seq, std::function<void(const std::string&)> done) {
  std::string outcome;
  {
    std::lock_guard lock(mu_);
    seq = std::min(seq, recorded_);
    if (synced_ < seq && error_.empty()) {
      // (While closing, close()'s last flush syncs it and calls back.)
      callbacks_.emplace_back(seq, std::move(done));
      if (wanted_ < seq) {
        wanted_ = seq;
        cv_.notify_one();
      }
      return;
    }
    if (synced_ < seq) outcome = error_;
  }
  done(outcome);
}

void Journal::flush() {
  std::lock_guard io(io_mu_);
  {
    std::lock_guard lock(mu_);
    throw_if_failed();
  }
  flush_locked_io();
}

void Journal::writer_loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || pending_records_ > 0; });
    if (stopping_) return;
    const auto deadline = first_pending_ + kBatchDelay;
    // (Someone waiting for a record to be durable cuts the delay short.)
    cv_.wait_until(lock, deadline, [&] {
      return stopping_ || pending_records_ == 0 || pending_records_ >= kBatchRecords ||
             wanted_ > synced_;
    });
    if (stopping_) return;
    if (pending_records_ == 0) continue;  // flushed meanwhile
    if (!error_.empty()) {  // nothing more can be written; record_* report the error
      pending_.clear();
      pending_records_ = 0;
      continue;
    }
    lock.unlock();
    {
      std::lock_guard io(io_mu_);
      try {
        flush_locked_io();
      } catch (const JournalError&) {
        // Kept in error_, reported by the next record_*, flush() or close().
      }
    }
    lock.lock();
  }
}

void Journal::close() {
  {
    std::lock_guard lock(mu_);
    if (closed_ || stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  std::string error;
  {
    std::lock_guard io(io_mu_);
    try {
      flush_locked_io();
    } catch (const JournalError& e) {
      error = e.what();
    }
  }
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  if (::close(fd_) != 0 && error.empty())
    error = "journal " + path_ + ": cannot close: " + std::strerror(errno);
  fd_ = -1;
  if (!error.empty()) throw JournalError(error);
}

}  // namespace s3up::engine
