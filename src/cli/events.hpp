// What the program says on stderr during a run, event by event, in both of Log's formats: the
// text lines s3up has always printed, and the JSON objects of --log-format json. No secret is
// ever passed here (the engine's messages and the credentials' descriptions carry none).
#pragma once
#include <string>
#include <string_view>

#include "cli/log.hpp"
#include "engine/options.hpp"
#include "engine/progress.hpp"
#include "engine/report.hpp"

namespace s3up::s3 {
struct OpResult;
}  // namespace s3up::s3

namespace s3up::cli {

// "s3up: error: MESSAGE"; JSON {"event": "error", "message"[, "hint"]}.
void log_error(Log& log, std::string_view message, std::string_view hint = {});
// "s3up: LINE" at level warning; JSON {"event": EVENT, "message": LINE without "warning: "}.
void log_warning(Log& log, std::string_view event, std::string_view line);
// A note from the engine ("note: ..."): "s3up: note: ..."; JSON {"event": "note", "message"}.
void log_note(Log& log, std::string_view note);
// -v: a credentials line ("credentials: imds (...), expire ...").
void log_credentials(Log& log, std::string_view line);
// -v: the S3UP_* variables that set options (names only).
void log_environment(Log& log, const std::vector<std::string>& variables);

// The failures of a finished run: one line per file ("failed: PATH -> s3://BUCKET/KEY: reason"),
// the files the run's error stopped counted in one line in text, each its own event in JSON.
void log_failures(Log& log, const engine::RunSummary& summary, const std::string& bucket);

// --dry-run in JSON: {"event": "dry-run", "path", "key", "url", "size"[, "marker"]}. (In text
// the engine prints "PATH -> s3://BUCKET/KEY (N bytes)" on stdout through UploadOptions::print.)
void log_planned(Log& log, const engine::PlannedEntry& entry, const std::string& bucket);

// --progress log in JSON: {"event": "progress", "files_done", "files_total", ...}.
void log_progress(Log& log, const engine::ProgressSnapshot& s, double bytes_per_s,
                  double files_per_s);

// -vv: a request about to be sent again ("s3up: retry 2/5: PUT key: reason").
void log_retry(Log& log, const s3::OpResult& r, int attempt, bool counted, int max_retries);
// -vvv: a request's result ("s3up: request: PUT key -> 200 (12.3 ms)").
void log_request(Log& log, const s3::OpResult& r);

// JSON only: {"event": "summary", "dry_run", "files", "bytes", "failed", ..., "exit_code",
// "message"} (files and bytes: those planned in a dry run); the summary line itself goes to
// stdout in both formats.
void log_summary(Log& log, const engine::RunSummary& summary, std::string_view line);

}  // namespace s3up::cli
