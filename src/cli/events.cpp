#include "cli/events.hpp"

#include <cstdio>

#include "s3/s3_protocol.hpp"
#include "util/utf8.hpp"

namespace s3up::cli {
namespace {

std::string_view without_prefix(std::string_view text, std::string_view prefix) {
  if (text.substr(0, prefix.size()) == prefix) text.remove_prefix(prefix.size());
  return text;
}

bool stopped_by_run(const engine::RunSummary& s, const engine::FailedFile& f) {
  const std::string stopped(engine::kStoppedByFatal);
  return s.fatal && (f.reason == stopped || f.reason == stopped + "; multipart upload aborted");
}

std::string url(const std::string& bucket, std::string_view key) {
  return "s3://" + bucket + "/" + std::string(key);
}

std::string milliseconds(std::chrono::microseconds latency) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", static_cast<double>(latency.count()) / 1000.0);
  return buf;
}

// "PUT key" or "GET (bucket)" for a request on the bucket.
std::string request_name(const s3::OpResult& r) {
  return std::string(r.method) + " " + (r.key.empty() ? "(bucket)" : util::printable(r.key));
}

}  // namespace

void log_error(Log& log, std::string_view message, std::string_view hint) {
  std::string text = "s3up: error: " + std::string(message);
  if (!hint.empty()) text += " (" + std::string(hint) + ")";
  std::vector<LogField> fields{{"message", message}};
  if (!hint.empty()) fields.push_back({"hint", hint});
  log.write(LogLevel::Error, "error", text, fields);
}

void log_warning(Log& log, std::string_view event, std::string_view line) {
  log.write(LogLevel::Warning, event, "s3up: " + std::string(line),
            {{"message", without_prefix(line, "warning: ")}});
}

void log_note(Log& log, std::string_view note) {
  log.write(LogLevel::Info, "note", "s3up: " + std::string(note),
            {{"message", without_prefix(note, "note: ")}});
}

void log_credentials(Log& log, std::string_view line) {
  log.write(LogLevel::Info, "credentials", "s3up: " + std::string(line), {{"message", line}});
}

void log_environment(Log& log, const std::vector<std::string>& variables) {
  if (variables.empty()) return;
  std::string names;
  for (const auto& v : variables) names += (names.empty() ? "" : ", ") + v;
  log.write(LogLevel::Info, "environment", "s3up: settings from the environment: " + names,
            {{"variables", names}});
}

void log_failures(Log& log, const engine::RunSummary& s, const std::string& bucket) {
  std::size_t stopped = 0;
  for (const auto& f : s.failed) {
    if (!log.json() && stopped_by_run(s, f)) {
      ++stopped;
      continue;
    }
    std::string text = "failed: " + f.path;
    if (!f.key.empty()) text += " -> " + url(bucket, f.key);
    text += ": " + f.reason;
    std::vector<LogField> fields{{"path", f.path}};
    const std::string where = url(bucket, f.key);
    if (!f.key.empty()) {
      fields.push_back({"key", f.key});
      fields.push_back({"url", where});
    }
    fields.push_back({"reason", f.reason});
    log.write(LogLevel::Error, "failed", text, fields);
  }
  if (stopped > 0)
    log.write(LogLevel::Error, "failed",
              "failed: " + std::to_string(stopped) + (stopped == 1 ? " file" : " files") +
                  " under way when the run stopped (listed in --json)");
}

void log_planned(Log& log, const engine::PlannedEntry& e, const std::string& bucket) {
  const std::string where = url(bucket, e.key);
  std::string text = e.path + (e.marker ? "/" : "") + " -> " + where +
                     (e.marker ? " (directory marker)" : " (" + std::to_string(e.size) + " bytes)");
  std::vector<LogField> fields{{"path", e.path}, {"key", e.key}, {"url", where},
                               {"size", std::uint64_t{e.size}}};
  if (e.marker) fields.push_back({"marker", true});
  log.write(LogLevel::Info, "dry-run", text, fields);
}

void log_progress(Log& log, const engine::ProgressSnapshot& s, double bytes_per_s,
                  double files_per_s) {
  log.write(LogLevel::Info, "progress",
            engine::format_progress_line(s, bytes_per_s, files_per_s, false),
            {{"files_done", s.files_done},
             {"files_total", s.files_total},
             {"bytes_done", s.bytes_done},
             {"bytes_total", s.bytes_total},
             {"totals_final", s.totals_final},
             {"failed", s.failed},
             {"retries", s.retries},
             {"in_flight", s.in_flight},
             {"bytes_per_second", bytes_per_s},
             {"files_per_second", files_per_s},
             {"elapsed_seconds", s.elapsed_seconds}});
}

void log_retry(Log& log, const s3::OpResult& r, int attempt, bool counted, int max_retries) {
  const std::string what = request_name(r);
  const std::string text =
      counted ? "s3up: retry " + std::to_string(attempt + 1) + "/" + std::to_string(max_retries) +
                    ": " + what + ": " + r.message
              : "s3up: sending again (not a retry): " + what + ": " + r.message;
  std::vector<LogField> fields{{"operation", r.operation}, {"method", r.method}};
  if (!r.key.empty()) fields.push_back({"key", r.key});
  fields.push_back({"attempt", std::int64_t{attempt + 1}});
  fields.push_back({"max_retries", std::int64_t{max_retries}});
  fields.push_back({"counted", counted});
  if (r.status) fields.push_back({"status", std::uint64_t{r.status}});
  fields.push_back({"reason", r.message});
  log.write(LogLevel::Debug, "retry", text, fields);
}

void log_request(Log& log, const s3::OpResult& r) {
  std::string outcome = r.status ? std::to_string(r.status) : std::string("no response");
  if (!r.ok) outcome += ": " + r.message;
  const std::string text =
      "s3up: request: " + request_name(r) + " -> " + outcome + " (" + milliseconds(r.latency) + ")";
  std::vector<LogField> fields{{"operation", r.operation}, {"method", r.method}};
  if (!r.key.empty()) fields.push_back({"key", r.key});
  fields.push_back({"status", std::uint64_t{r.status}});
  fields.push_back({"ok", r.ok});
  fields.push_back({"latency_ms", static_cast<double>(r.latency.count()) / 1000.0});
  if (!r.ok) fields.push_back({"error", r.message});
  log.write(LogLevel::Debug, "request", text, fields);
}

void log_summary(Log& log, const engine::RunSummary& s, std::string_view line) {
  if (!log.json()) return;
  log.write(LogLevel::Info, "summary", line,
            {{"dry_run", s.dry_run},
             {"files", s.dry_run ? s.files_planned : s.files_uploaded},
             {"bytes", s.dry_run ? s.bytes_planned : s.bytes_uploaded},
             {"failed", std::uint64_t{s.failed.size()}},
             {"skipped", std::uint64_t{s.skipped.size()}},
             {"unchanged", s.files_unchanged},
             {"not_attempted", s.not_attempted},
             {"retries", s.retries},
             {"seconds", s.seconds},
             {"exit_code", std::int64_t{s.exit_code()}},
             {"message", line}});
}

}  // namespace s3up::cli
