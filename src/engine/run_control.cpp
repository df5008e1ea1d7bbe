#include "engine/run_control.hpp"

#include "engine/shard.hpp"
#include "s3/object_settings.hpp"
#include "util/utf8.hpp"

namespace s3up::engine {

RunControl::RunControl(const UploadOptions& options, s3::S3Protocol& protocol, Report& report)
    : opt(options),
      report(report),
      protocol(protocol),
      // SSE-KMS and SSE-C objects have ETags that are not the MD5 of their bytes.
      integrity(options.checksum, options.object.sse.value_or("") != "aws:kms",
                [this](const std::string& text) { note(text); }),
      trailers(options.trailing_checksums, [this](const std::string& text) { note(text); }) {
  retry.max_retries = options.retries;
  protocol.set_observer([&report, &options](const s3::OpResult& r) {
    report.request_finished(r.ok, is_throttle(r), r.latency);
    if (options.on_request) options.on_request(r);
  });
  if (auto* source = protocol.credentials_source())
    source->set_lapse_handler([this](const std::string& reason) { fail_run(reason); });
}

RunControl::~RunControl() {
  if (journal) journal->on_failure(nullptr);
  protocol.set_observer(nullptr);
  if (auto* source = protocol.credentials_source()) source->set_lapse_handler(nullptr);
}

void RunControl::note(const std::string& text) {
  if (report.note(text) && opt.note) opt.note(text);
}

void RunControl::fail_run(const std::string& reason, std::error_code error) {
  report.fatal(reason, error);
  stop();
}

void RunControl::attach_journal(Journal* j) {
  journal = j;
  if (journal) journal->on_failure([this](const std::string& error) { fail_run(error); });
}

namespace {

// Runs one record_* of the journal: a failure stops the run.
template <class Record>
std::uint64_t journaled(RunControl& run, Record record) {
  if (!run.journal) return 0;
  try {
    return record(*run.journal);
  } catch (const JournalError& e) {
    run.fail_run(e.what());  // (already stopped by the failure handler, unless closed)
    return 0;
  }
}

}  // namespace

std::uint64_t RunControl::journal_finished(std::string_view key, std::uint64_t size,
                                           std::int64_t mtime_ns) {
  return journaled(*this, [&](Journal& j) { return j.record_finished(key, size, mtime_ns); });
}

std::uint64_t RunControl::journal_started(const JournalUpload& upload) {
  return journaled(*this, [&](Journal& j) { return j.record_upload_started(upload); });
}

std::uint64_t RunControl::journal_part(std::string_view key, std::string_view upload_id,
                                       const JournalPart& part) {
  return journaled(*this, [&](Journal& j) { return j.record_part(key, upload_id, part); });
}

std::uint64_t RunControl::journal_closed(std::string_view key, std::string_view upload_id) {
  return journaled(*this, [&](Journal& j) { return j.record_upload_closed(key, upload_id); });
}

bool RunControl::wait_journal_durable(std::uint64_t seq) {
  if (!journal) return true;
  try {
    journal->wait_durable(seq);
    return true;
  } catch (const JournalError& e) {
    fail_run(e.what());
    return false;
  }
}

namespace {

// A retry decided: told to opt.on_retry. `counted`: a retry within --retries (Next::Retry), not
// a request sent again at once (Next::RetryNow).
Next retry_logged(RunControl& run, const s3::OpResult& r, int attempt, bool counted) {
  if (run.opt.on_retry) run.opt.on_retry(r, attempt, counted);
  return counted ? Next::Retry : Next::RetryNow;
}

}  // namespace

bool is_throttle(const s3::OpResult& r) {
  return r.status == 503 || r.error == s3::S3Errc::slow_down;
}

Next after_failure(RunControl& run, const s3::OpResult& r, int attempt) {
  if (s3::is_credentials_expiry(r.error)) {
    const auto* source = run.protocol.credentials_source();
    if (source && source->refreshable() && !run.stopping.load()) return Next::Renew;
  }
  if (r.clock_corrected && !run.stopping.load()) {
    // The endpoint's clock differs from this machine's: requests are signed with its time from
    // now on (S3Protocol), and this one is sent again at once, as the AWS SDKs do.
    const long long seconds = r.clock_offset.count();
    const long long minutes = ((seconds < 0 ? -seconds : seconds) + 30) / 60;
    run.note("note: the endpoint's clock is about " + std::to_string(minutes) + " minute" +
             (minutes == 1 ? "" : "s") + (seconds < 0 ? " behind" : " ahead of") +
             " this machine's (RequestTimeTooSkewed): requests are signed with the endpoint's "
             "time");
    return retry_logged(run, r, attempt, false);
  }
  switch (r.error_class) {
    case s3::ErrorClass::FatalForRun:
      // S3 names the bucket's region when we signed for another: follow it. A request that
      // flew while another one switched the region is simply sent again. The switches are
      // counted, so that an endpoint that keeps redirecting cannot keep the run going round.
      if (!r.region_hint.empty() && r.region_hint != r.signed_region) {
        if (r.region_hint == run.protocol.region()) return retry_logged(run, r, attempt, false);
        if (run.region_switches.fetch_add(1) < kMaxRegionSwitches) {
          run.protocol.set_region(r.region_hint);
          return retry_logged(run, r, attempt, false);
        }
        run.fail_run(r.message + " (redirected to region " + r.region_hint + " after " +
                         std::to_string(kMaxRegionSwitches) + " region switches already)",
                     r.error);
        return Next::Stop;
      }
      run.fail_run(r.message, r.error);
      return Next::Stop;
    case s3::ErrorClass::Retryable:
      if (run.stopping.load()) return Next::Fail;
      if (attempt >= run.retry.max_retries) {
        // An endpoint that cannot be reached at all concerns every file: stop with one message.
        if (r.transport == http::Failure::Resolve || r.transport == http::Failure::Connect) {
          run.fail_run(r.message + " (after " + std::to_string(attempt + 1) + " attempt" +
                           (attempt == 0 ? ")" : "s)"),
                       r.error);
          return Next::Stop;
        }
        return Next::Fail;
      }
      run.report.retried();
      return retry_logged(run, r, attempt, true);
    case s3::ErrorClass::FailFile:
      return Next::Fail;
  }
  return Next::Fail;
}

Next after_renewal(RunControl& run, const s3::OpResult& r, bool renewed) {
  if (renewed) {
    run.report.credentials_renewed();
    return Next::RetryNow;
  }
  const auto* source = run.protocol.credentials_source();
  std::string reason = r.message + "; the credentials from " +
                       (source ? source->provider() : std::string("the provider")) +
                       " could not be renewed";
  if (source && !source->last_error().empty()) reason += ": " + source->last_error();
  run.fail_run(reason, r.error);
  return Next::Stop;
}

std::optional<Accepted> accept_entry(const UploadOptions& opt, Report& report,
                                     const Journal* journal, const walker::Entry& entry) {
  switch (entry.kind) {
    case walker::EntryKind::Error:
      report.failed({entry.path, "", entry.reason});
      return std::nullopt;
    case walker::EntryKind::Skipped:
      report.skipped({entry.path, entry.reason.empty() ? "skipped" : entry.reason});
      return std::nullopt;
    case walker::EntryKind::EmptyDir:
      if (!opt.dir_markers) {
        report.skipped(
            {entry.path, "empty directory not uploaded (S3 has no directories; use --dir-markers)"});
        return std::nullopt;
      }
      break;
    case walker::EntryKind::File:
      break;
  }
  Accepted a;
  a.marker = entry.kind == walker::EntryKind::EmptyDir;
  a.key = s3::make_key(opt.prefix, a.marker ? entry.rel + "/" : entry.rel);
  if (auto problem = s3::key_problem(a.key)) {
    report.failed({entry.path, a.key, *problem});
    return std::nullopt;
  }
  if (opt.shard && !in_shard(a.key, *opt.shard)) return std::nullopt;
  if (journal && !a.marker && journal->finished(a.key, entry.size, entry.mtime_ns)) {
    report.unchanged(entry.size);
    return std::nullopt;
  }
  return a;
}

void plan_entry(const UploadOptions& opt, Report& report, const walker::Entry& entry,
                const Accepted& accepted) {
  const std::string dest = " -> s3://" + opt.bucket + "/" + util::printable(accepted.key);
  if (accepted.marker) report.dir_marker();
  else report.planned(entry.size);
  if (opt.planned) {
    opt.planned({util::printable(entry.path), util::printable(accepted.key),
                 accepted.marker ? 0 : entry.size, accepted.marker});
    return;
  }
  if (accepted.marker) {
    if (opt.print) opt.print(util::printable(entry.path) + "/" + dest + " (directory marker)");
  } else {
    if (opt.print)
      opt.print(util::printable(entry.path) + dest + " (" + std::to_string(entry.size) +
                    " bytes)");
  }
}

s3::Headers dir_marker_headers(const UploadOptions& opt, const BodyChecks& checks) {
  s3::Headers headers = s3::object_headers(opt.object, "", 0);
  std::erase_if(headers, [](const s3::Header& h) { return h.first == s3::kMtimeHeader; });
  if (checks.flexible != s3::ChecksumAlgorithm::None) {
    headers.emplace_back(std::string(s3::header_name(checks.flexible)),
                         s3::checksum_of(checks.flexible, {}));
    headers.emplace_back("x-amz-sdk-checksum-algorithm",
                         std::string(s3::algorithm_header_value(checks.flexible)));
  }
  if (checks.content_md5)
    headers.emplace_back("Content-MD5", s3::checksum_of(s3::ChecksumAlgorithm::Md5, {}));
  return headers;
}

std::unique_ptr<Journal> open_journal(const ServiceOptions& service, const UploadOptions& opt) {
  if (opt.journal.empty() || opt.dry_run) return nullptr;
  return std::make_unique<Journal>(opt.journal, "s3://" + opt.bucket + "/" + opt.prefix + " @ " +
                                                    service.endpoint.host + ":" +
                                                    std::to_string(service.endpoint.port));
}

}  // namespace s3up::engine
