#include "engine/report.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>

#include "util/units.hpp"
#include "util/utf8.hpp"

namespace s3up::engine {

int RunSummary::exit_code() const {
  if (fatal) return 2;
  if (interrupted) return 130;
  return failed.empty() ? 0 : 1;
}

Integrity RunSummary::weakest_integrity() const {
  for (int i = 0; i < kIntegrityLevels; ++i)
    if (integrity[static_cast<std::size_t>(i)] > 0) return static_cast<Integrity>(i);
  return full_integrity(checksum);
}

void Report::uploaded(std::uint64_t bytes, bool multipart, Integrity level) {
  integrity_[static_cast<std::size_t>(level)].fetch_add(1, std::memory_order_relaxed);
  files_.fetch_add(1, std::memory_order_relaxed);
  bytes_.fetch_add(bytes, std::memory_order_relaxed);
  if (multipart) multipart_.fetch_add(1, std::memory_order_relaxed);
}

void Report::failed(FailedFile f) {
  f.path = util::printable(f.path);
  f.key = util::printable(f.key);
  f.reason = util::printable(f.reason);
  std::lock_guard lock(mutex_);
  failed_.push_back(std::move(f));
}

void Report::skipped(SkippedEntry s) {
  s.path = util::printable(s.path);
  s.reason = util::printable(s.reason);
  std::lock_guard lock(mutex_);
  skipped_.push_back(std::move(s));
}

void Report::sent(std::uint64_t bytes) { sent_.fetch_add(bytes, std::memory_order_relaxed); }

void Report::resumed(std::uint64_t bytes) {
  sent_.fetch_add(bytes, std::memory_order_relaxed);
  resumed_.fetch_add(bytes, std::memory_order_relaxed);
}

void Report::stale_upload_aborted() { stale_aborted_.fetch_add(1, std::memory_order_relaxed); }
void Report::lost_upload_aborted() { lost_aborted_.fetch_add(1, std::memory_order_relaxed); }

void Report::request_finished(bool ok, bool throttled, std::chrono::microseconds latency) {
  if (ok) {
    requests_ok_.fetch_add(1, std::memory_order_relaxed);
    latencies_.record(latency);
  }
  if (throttled) throttled_.fetch_add(1, std::memory_order_relaxed);
}

void Report::unchanged(std::uint64_t bytes) {
  unchanged_.fetch_add(1, std::memory_order_relaxed);
  unchanged_bytes_.fetch_add(bytes, std::memory_order_relaxed);
}

void Report::dir_marker() { markers_.fetch_add(1, std::memory_order_relaxed); }

void Report::planned(std::uint64_t bytes) {
  planned_.fetch_add(1, std::memory_order_relaxed);
  planned_bytes_.fetch_add(bytes, std::memory_order_relaxed);
}

void Report::sync_fallback(SyncFallback how) {
  sync_fallbacks_[static_cast<std::size_t>(how)].fetch_add(1, std::memory_order_relaxed);
}

void Report::not_attempted(std::uint64_t files, bool walk_complete) {
  not_attempted_.fetch_add(files, std::memory_order_relaxed);
  if (!walk_complete) walk_complete_.store(false, std::memory_order_relaxed);
}

bool Report::note(const std::string& text) {
  std::lock_guard lock(mutex_);
  for (const auto& n : notes_)
    if (n == text) return false;
  notes_.push_back(text);
  return true;
}

void Report::retried() { retries_.fetch_add(1, std::memory_order_relaxed); }

void Report::credentials_renewed() { renewals_.fetch_add(1, std::memory_order_relaxed); }

bool Report::fatal(std::string reason, std::error_code error) {
  std::lock_guard lock(mutex_);
  if (fatal_) return false;
  fatal_ = util::printable(reason);
  fatal_error_ = error;
  has_fatal_.store(true, std::memory_order_release);
  return true;
}

std::uint64_t Report::failures() const {
  std::lock_guard lock(mutex_);
  return failed_.size();
}

RunSummary Report::finish() {
  RunSummary s;
  s.files_uploaded = files_.load();
  s.bytes_uploaded = bytes_.load();
  s.bytes_resumed = resumed_.load();
  s.stale_uploads_aborted = stale_aborted_.load();
  s.lost_uploads_aborted = lost_aborted_.load();
  s.multipart_uploads = multipart_.load();
  s.retries = retries_.load();
  s.credential_renewals = renewals_.load();
  s.throttled = throttled_.load();
  s.files_unchanged = unchanged_.load();
  s.bytes_unchanged = unchanged_bytes_.load();
  s.dir_markers = markers_.load();
  s.files_planned = planned_.load();
  s.bytes_planned = planned_bytes_.load();
  s.not_attempted = not_attempted_.load();
  s.walk_complete = walk_complete_.load();
  for (std::size_t i = 0; i < s.integrity.size(); ++i) s.integrity[i] = integrity_[i].load();
  for (std::size_t i = 0; i < s.sync_fallbacks.size(); ++i)
    s.sync_fallbacks[i] = sync_fallbacks_[i].load();
  std::lock_guard lock(mutex_);
  s.notes = std::move(notes_);
  s.failed = std::move(failed_);
  s.skipped = std::move(skipped_);
  s.fatal = std::move(fatal_);
  s.fatal_error = fatal_error_;
  return s;
}

namespace {

std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

// "1 directory marker", "3 directory markers".
std::string markers(std::uint64_t n) {
  return grouped(n) + " directory marker" + (n == 1 ? "" : "s");
}

// A rate rounded to the nearest whole number (as "%.0f" would print it), for grouped().
std::uint64_t whole(double rate) {
  const double rounded = std::nearbyint(rate);
  if (!(rounded >= 0)) return 0;
  if (rounded >= 18446744073709551615.0) return std::numeric_limits<std::uint64_t>::max();
  return static_cast<std::uint64_t>(rounded);
}

std::string iso8601(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

// "" when every uploaded file got the full check of its --checksum algorithm; otherwise what
// they got: "; integrity: 10 crc32c-verified, 3 md5-verified".
std::string integrity_summary(const RunSummary& s) {
  if (s.files_uploaded == 0) return "";
  if (s.checksum == s3::ChecksumAlgorithm::None) return "; integrity: not checked (--checksum none)";
  if (s.weakest_integrity() == full_integrity(s.checksum)) return "";
  std::string out;
  for (int i = kIntegrityLevels - 1; i >= 0; --i) {
    const auto n = s.integrity[static_cast<std::size_t>(i)];
    if (n == 0) continue;
    out += (out.empty() ? "; integrity: " : ", ") + grouped(n) + " " +
           integrity_name(static_cast<Integrity>(i), s.checksum);
  }
  return out;
}

constexpr const char* kSyncFallbackNames[kSyncFallbacks] = {"etag-md5", "size-mtime", "uploaded"};

}  // namespace

std::string summary_line(const RunSummary& s) {
  const double secs = s.seconds > 0 ? s.seconds : 1e-9;
  if (s.dry_run) {
    std::string line = "Dry run: would upload " + grouped(s.files_planned) + " file" +
                       (s.files_planned == 1 ? "" : "s") + " (" +
                       util::format_bytes(s.bytes_planned) + ")";
    if (s.dir_markers) line += " and " + markers(s.dir_markers);
    if (s.files_unchanged) line += "; " + grouped(s.files_unchanged) + " unchanged";
    line += "; " + grouped(s.failed.size()) + " failed";
    if (!s.skipped.empty()) line += ", " + grouped(s.skipped.size()) + " skipped";
    return line + "; nothing was sent";
  }
  if (s.files_uploaded == 0 && s.files_unchanged > 0 && s.failed.empty() && !s.fatal &&
      !s.interrupted)
    return "Nothing to upload: " + grouped(s.files_unchanged) + " file" +
           (s.files_unchanged == 1 ? "" : "s") + " (" + util::format_bytes(s.bytes_unchanged) +
           ") already in the bucket, unchanged";
  // The rate counts what this run sent: parts resumed from an earlier run are not.
  const std::uint64_t sent = s.bytes_uploaded - std::min(s.bytes_resumed, s.bytes_uploaded);
  char rate[128];
  std::snprintf(rate, sizeof rate, " in %.2f s: %.1f MB/s, ", s.seconds,
                static_cast<double>(sent) / 1e6 / secs);
  std::string line = "Uploaded " + grouped(s.files_uploaded) + " file" +
                     (s.files_uploaded == 1 ? "" : "s") + " (" +
                     util::format_bytes(s.bytes_uploaded) +
                     (s.bytes_resumed ? ", " + util::format_bytes(s.bytes_resumed) +
                                            " of it resumed from an earlier run"
                                      : std::string()) +
                     ")" + rate +
                     grouped(whole(static_cast<double>(s.files_uploaded) / secs)) + " files/s";
  if (s.dir_markers) line += ", " + markers(s.dir_markers);
  if (s.files_unchanged) line += ", " + grouped(s.files_unchanged) + " unchanged";
  line += "; " + grouped(s.failed.size()) + " failed";
  if (s.not_attempted)
    line += ", " + grouped(s.not_attempted) + (s.walk_complete ? "" : "+") + " not attempted";
  if (!s.skipped.empty()) line += ", " + grouped(s.skipped.size()) + " skipped";
  line += ", " + grouped(s.retries) + " retr" + (s.retries == 1 ? "y" : "ies");
  if (s.interrupted) line += " (interrupted)";
  return line + integrity_summary(s);
}

void write_json(const RunSummary& s, std::ostream& out) {
  boost::json::object totals{
      {"files", s.files_uploaded},
      {"bytes", s.bytes_uploaded},
      {"failed", s.failed.size()},
      {"skipped", s.skipped.size()},
      {"retries", s.retries},
      {"throttled", s.throttled},
      {"multipart_uploads", s.multipart_uploads},
      {"unchanged", s.files_unchanged},
      {"unchanged_bytes", s.bytes_unchanged},
      {"dir_markers", s.dir_markers},
      {"not_attempted", s.not_attempted},
      {"resumed_bytes", s.bytes_resumed},
      {"stale_uploads_aborted", s.stale_uploads_aborted},
      {"lost_uploads_aborted", s.lost_uploads_aborted},
      {"seconds", s.seconds},
  };
  boost::json::object integrity_counts;
  for (int i = kIntegrityLevels - 1; i >= 0; --i)
    integrity_counts[integrity_name(static_cast<Integrity>(i), s.checksum)] =
        s.integrity[static_cast<std::size_t>(i)];
  boost::json::array failed;
  for (const auto& f : s.failed)
    failed.push_back(boost::json::object{{"path", f.path}, {"key", f.key}, {"reason", f.reason}});
  boost::json::array skipped;
  for (const auto& k : s.skipped)
    skipped.push_back(boost::json::object{{"path", k.path}, {"reason", k.reason}});
  boost::json::object doc{
      {"totals", std::move(totals)},
      {"failed", std::move(failed)},
      {"skipped", std::move(skipped)},
      {"exit_code", s.exit_code()},
      {"interrupted", s.interrupted},
      {"engine", s.engine},
      {"concurrency", s.concurrency},
      {"concurrency_peak", s.concurrency_peak},
      {"threads", s.threads},
      {"started", iso8601(s.started)},
      {"finished", iso8601(s.finished)},
      {"walk_complete", s.walk_complete},
      {"peak_rss_bytes", s.peak_rss_bytes},
      {"connections", boost::json::object{{"opened", s.connections_opened},
                                          {"peak_open", s.connections_peak_open},
                                          {"opened_ahead", s.connections_opened_ahead},
                                          {"awaited_ahead", s.connections_awaited},
                                          {"tls_handshakes", s.tls_handshakes},
                                          {"tls_resumed", s.tls_resumed},
                                          {"paced", s.connections_paced},
                                          {"borrowed", s.connections_borrowed},
                                          {"stragglers_resent", s.stragglers_resent}}},
      {"checksum", std::string(s3::to_string(s.checksum))},
      {"integrity", integrity_name(s.weakest_integrity(), s.checksum)},
      {"integrity_counts", std::move(integrity_counts)},
  };
  bool fallbacks = false;
  boost::json::object sync_fallbacks;
  for (int i = 0; i < kSyncFallbacks; ++i) {
    const auto n = s.sync_fallbacks[static_cast<std::size_t>(i)];
    sync_fallbacks[kSyncFallbackNames[i]] = n;
    fallbacks = fallbacks || n > 0;
  }
  if (fallbacks) doc["sync_checksum_fallbacks"] = std::move(sync_fallbacks);
  if (!s.notes.empty()) {
    boost::json::array notes;
    for (const auto& n : s.notes) notes.push_back(boost::json::string(n));
    doc["notes"] = std::move(notes);
  }
  if (!s.credentials.empty()) {
    doc["credentials"] = s.credentials;
    doc["credential_refreshes"] = s.credential_refreshes;
    doc["credential_renewals"] = s.credential_renewals;
  }
  if (!s.concurrency_history.empty()) {
    boost::json::array history;
    for (const auto& p : s.concurrency_history)
      history.push_back(boost::json::array{std::round(p.seconds * 1000) / 1000, p.limit});
    doc["concurrency_history"] = std::move(history);
  }
  if (s.fatal) doc["error"] = *s.fatal;
  if (s.dry_run)
    doc["dry_run"] = boost::json::object{{"files", s.files_planned}, {"bytes", s.bytes_planned}};
  out << boost::json::serialize(doc) << '\n';
}

}  // namespace s3up::engine
