#include "engine/run_control.hpp"

namespace s3up::engine {

RunControl::RunControl(const UploadOptions& options, s3::S3Protocol& protocol, Report& report)
    : opt(options), report(report), protocol(protocol) {
  retry.max_retries = options.retries;
  protocol.set_observer([&report](const s3::OpResult& r) {
    report.request_finished(r.ok, is_throttle(r), r.latency);
  });
}

RunControl::~RunControl() { protocol.set_observer(nullptr); }

void RunControl::fail_run(const std::string& reason) {
  report.fatal(reason);
  stop();
}

void RunControl::stop() {
  if (!stopping.exchange(true) && on_stop) on_stop();
}

bool is_throttle(const s3::OpResult& r) { return r.status == 503 || r.code == "SlowDown"; }

Next after_failure(RunControl& run, const s3::OpResult& r, int attempt) {
  switch (r.error_class) {
    case s3::ErrorClass::FatalForRun:
      // S3 names the bucket's region when we signed for another: follow it. A request that
      // flew while another one switched the region is simply sent again.
      if (!r.region_hint.empty() && r.region_hint != r.signed_region) {
        if (r.region_hint != run.protocol.region()) run.protocol.set_region(r.region_hint);
        return Next::RetryNow;
      }
      run.fail_run(r.message);
      return Next::Stop;
    case s3::ErrorClass::Retryable:
      if (run.stopping.load()) return Next::Fail;
      if (attempt >= run.retry.max_retries) {
        // An endpoint that cannot be reached at all concerns every file: stop with one message.
        if (r.transport == http::Failure::Resolve || r.transport == http::Failure::Connect) {
          run.fail_run(r.message + " (after " + std::to_string(attempt + 1) + " attempts)");
          return Next::Stop;
        }
        return Next::Fail;
      }
      run.report.retried();
      return Next::Retry;
    case s3::ErrorClass::FailFile:
      return Next::Fail;
  }
  return Next::Fail;
}

std::optional<std::string> accept_entry(const RunControl& run, const walker::Entry& entry) {
  switch (entry.kind) {
    case walker::EntryKind::Error:
      run.report.failed({entry.path, "", entry.reason});
      return std::nullopt;
    case walker::EntryKind::Skipped:
      run.report.skipped({entry.path, entry.reason.empty() ? "skipped" : entry.reason});
      return std::nullopt;
    case walker::EntryKind::EmptyDir:
      run.report.skipped({entry.path, "empty directory: S3 has no directories, nothing uploaded"});
      return std::nullopt;
    case walker::EntryKind::File:
      break;
  }
  std::string key = s3::make_key(run.opt.prefix, entry.rel);
  if (auto problem = s3::key_problem(key)) {
    run.report.failed({entry.path, key, *problem});
    return std::nullopt;
  }
  return key;
}

}  // namespace s3up::engine
