// engine::Report and RunSummary: counting while the run goes on, the exit code, the summary line
// (exact strings) and the JSON report (parsed back with Boost.JSON, every documented field).
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/report.hpp"

using namespace s3up::engine;
namespace json = boost::json;

namespace {

using namespace std::chrono;

// 2026-01-02T03:04:05.678Z
system_clock::time_point started_at() {
  return sys_days{year{2026} / January / 2} + hours(3) + minutes(4) + seconds(5) +
         milliseconds(678);
}

json::object to_json(const RunSummary& s) {
  std::ostringstream out;
  write_json(s, out);
  const std::string text = out.str();
  BOOST_TEST_REQUIRE(!text.empty());
  BOOST_TEST(text.back() == '\n');                                 // one line
  BOOST_TEST(text.find('\n') == text.size() - 1);
  json::error_code ec;
  json::value v = json::parse(text, ec);  // strict: valid UTF-8 only
  BOOST_TEST_REQUIRE(!ec, "not JSON: " << ec.message() << ": " << text);
  BOOST_TEST_REQUIRE(v.is_object());
  return v.as_object();
}

std::set<std::string> keys(const json::object& o) {
  std::set<std::string> k;
  for (const auto& item : o) k.insert(std::string(item.key()));
  return k;
}

std::uint64_t num(const json::value& v) { return v.to_number<std::uint64_t>(); }
std::string str(const json::value& v) { return std::string(v.as_string()); }

}  // namespace

BOOST_AUTO_TEST_SUITE(report)

BOOST_AUTO_TEST_CASE(exit_codes) {
  RunSummary s;
  BOOST_TEST(s.exit_code() == 0);
  s.failed.push_back({"/a", "a", "boom"});
  BOOST_TEST(s.exit_code() == 1);
  s.interrupted = true;
  BOOST_TEST(s.exit_code() == 130);  // interrupted wins over failed files
  s.fatal = "AccessDenied";
  BOOST_TEST(s.exit_code() == 2);    // an error for every file wins over everything
  s.interrupted = false;
  BOOST_TEST(s.exit_code() == 2);
  s.failed.clear();
  BOOST_TEST(s.exit_code() == 2);
  RunSummary skipped_only;
  skipped_only.skipped.push_back({"/l", "symlink skipped (use --follow-symlinks)"});
  BOOST_TEST(skipped_only.exit_code() == 0);  // skipped entries are not failures
  RunSummary interrupted;
  interrupted.interrupted = true;
  BOOST_TEST(interrupted.exit_code() == 130);
}

BOOST_AUTO_TEST_CASE(counts_what_the_run_records) {
  Report r;
  r.uploaded(100, false, Integrity::ChecksumVerified);
  r.uploaded(20 << 20, true, Integrity::Md5Verified);
  r.failed({"/src/x", "p/x", "file changed while read"});
  r.skipped({"/src/l", "symlink skipped (use --follow-symlinks)"});
  r.retried();
  r.retried();
  r.credentials_renewed();
  r.sent(7);
  r.sent(8);
  r.request_finished(true, false, microseconds(100));
  r.request_finished(false, true, microseconds(100));
  r.request_finished(false, false, microseconds(100));
  r.unchanged(5);
  r.unchanged(6);
  r.dir_marker();
  r.planned(9);
  r.not_attempted(4, true);
  r.sync_fallback(SyncFallback::EtagMd5);
  r.sync_fallback(SyncFallback::EtagMd5);
  r.sync_fallback(SyncFallback::SizeMtime);
  BOOST_TEST(r.note("note: one"));
  BOOST_TEST(!r.note("note: one"));  // kept (and printed) once
  BOOST_TEST(r.note("note: two"));
  BOOST_TEST(r.files_uploaded() == 2u);
  BOOST_TEST(r.bytes_uploaded() == 100u + (20u << 20));
  BOOST_TEST(r.retries() == 2u);
  BOOST_TEST(r.bytes_sent() == 15u);
  BOOST_TEST(r.requests_ok() == 1u);
  BOOST_TEST(r.throttled() == 1u);
  BOOST_TEST(r.files_unchanged() == 2u);
  BOOST_TEST(r.failures() == 1u);
  BOOST_TEST(!r.has_fatal());
  BOOST_TEST(r.fatal("NoSuchBucket"));
  BOOST_TEST(!r.fatal("later"));
  BOOST_TEST(r.has_fatal());
  const RunSummary s = r.finish();
  BOOST_TEST(s.files_uploaded == 2u);
  BOOST_TEST(s.bytes_uploaded == 100u + (20u << 20));
  BOOST_TEST(s.multipart_uploads == 1u);
  BOOST_TEST(s.retries == 2u);
  BOOST_TEST(s.throttled == 1u);
  BOOST_TEST(s.credential_renewals == 1u);
  BOOST_TEST(s.files_unchanged == 2u);
  BOOST_TEST(s.bytes_unchanged == 11u);
  BOOST_TEST(s.dir_markers == 1u);
  BOOST_TEST(s.files_planned == 1u);
  BOOST_TEST(s.bytes_planned == 9u);
  BOOST_TEST(s.not_attempted == 4u);
  BOOST_TEST(s.walk_complete);
  BOOST_TEST(s.integrity[static_cast<std::size_t>(Integrity::ChecksumVerified)] == 1u);
  BOOST_TEST(s.integrity[static_cast<std::size_t>(Integrity::Md5Verified)] == 1u);
  BOOST_TEST((s.weakest_integrity() == Integrity::Md5Verified));
  BOOST_TEST(s.sync_fallbacks[static_cast<std::size_t>(SyncFallback::EtagMd5)] == 2u);
  BOOST_TEST(s.sync_fallbacks[static_cast<std::size_t>(SyncFallback::SizeMtime)] == 1u);
  BOOST_TEST((s.notes == std::vector<std::string>{"note: one", "note: two"}));
  BOOST_TEST_REQUIRE(s.failed.size() == 1u);
  BOOST_TEST(s.failed[0].key == "p/x");
  BOOST_TEST(s.failed[0].reason == "file changed while read");
  BOOST_TEST_REQUIRE(s.skipped.size() == 1u);
  BOOST_TEST(s.skipped[0].path == "/src/l");
  BOOST_TEST(*s.fatal == "NoSuchBucket");
}

BOOST_AUTO_TEST_CASE(names_are_made_printable) {
  Report r;
  r.failed({"/src/caf\xE9", "p/caf\xE9", "line\nbreak"});
  r.skipped({"/src/\x01odd", "fifo skipped"});
  r.fatal("bad\xFF");
  const RunSummary s = r.finish();
  BOOST_TEST(s.failed[0].path == "/src/caf\\xe9");
  BOOST_TEST(s.failed[0].key == "p/caf\\xe9");
  BOOST_TEST(s.failed[0].reason == "line\\nbreak");
  BOOST_TEST(s.skipped[0].path == "/src/\\x01odd");
  BOOST_TEST(*s.fatal == "bad\\xff");
}

BOOST_AUTO_TEST_CASE(counts_from_many_threads) {
  Report r;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&r] {
      for (int i = 0; i < 5000; ++i) {
        r.uploaded(3, i % 2 == 0, Integrity::ChecksumVerified);
        r.retried();
        r.failed({"/f", "f", "x"});
      }
    });
  for (auto& t : threads) t.join();
  const RunSummary s = r.finish();
  BOOST_TEST(s.files_uploaded == 20'000u);
  BOOST_TEST(s.bytes_uploaded == 60'000u);
  BOOST_TEST(s.multipart_uploads == 10'000u);
  BOOST_TEST(s.retries == 20'000u);
  BOOST_TEST(s.failed.size() == 20'000u);
}

BOOST_AUTO_TEST_CASE(summary_of_a_plain_run) {
  RunSummary s;
  s.files_uploaded = 10;
  s.bytes_uploaded = 10 << 20;
  s.seconds = 2.0;
  BOOST_TEST(summary_line(s) ==
             "Uploaded 10 files (10.0 MiB) in 2.00 s: 5.2 MB/s, 5 files/s; 0 failed, 0 retries");
}

BOOST_AUTO_TEST_CASE(summary_in_the_singular_interrupted) {
  RunSummary s;
  s.files_uploaded = 1;
  s.bytes_uploaded = 512;
  s.seconds = 0.5;
  s.failed = {{"/a", "a", "x"}, {"/b", "b", "y"}};
  s.skipped = {{"/l", "symlink skipped (use --follow-symlinks)"}};
  s.retries = 1;
  s.interrupted = true;
  BOOST_TEST(summary_line(s) ==
             "Uploaded 1 file (512 B) in 0.50 s: 0.0 MB/s, 2 files/s; 2 failed, 1 skipped, "
             "1 retry (interrupted)");
}

BOOST_AUTO_TEST_CASE(summary_groups_thousands_and_lists_markers_and_unchanged) {
  RunSummary s;
  s.files_uploaded = 1'234'567;
  s.bytes_uploaded = 5ull << 30;
  s.seconds = 10'000;
  s.dir_markers = 3;
  s.files_unchanged = 2'000;
  s.failed.assign(1'000, FailedFile{"/f", "f", "x"});
  s.retries = 12'345;
  BOOST_TEST(summary_line(s) ==
             "Uploaded 1,234,567 files (5.0 GiB) in 10000.00 s: 0.5 MB/s, 123 files/s, "
             "3 directory markers, 2,000 unchanged; 1,000 failed, 12,345 retries");
}

BOOST_AUTO_TEST_CASE(summary_of_an_instant_empty_run) {
  RunSummary s;  // seconds 0: no division by zero
  BOOST_TEST(summary_line(s) ==
             "Uploaded 0 files (0 B) in 0.00 s: 0.0 MB/s, 0 files/s; 0 failed, 0 retries");
}

BOOST_AUTO_TEST_CASE(summary_when_everything_was_unchanged) {
  RunSummary s;
  s.files_unchanged = 1;
  s.bytes_unchanged = 100;
  s.seconds = 0.3;
  BOOST_TEST(summary_line(s) == "Nothing to upload: 1 file (100 B) already in the bucket, unchanged");
  s.files_unchanged = 3;
  s.bytes_unchanged = 3 << 20;
  BOOST_TEST(summary_line(s) ==
             "Nothing to upload: 3 files (3.0 MiB) already in the bucket, unchanged");
  // Not when something went wrong: the full line says what.
  s.seconds = 1;
  s.failed = {{"/a", "a", "x"}};
  BOOST_TEST(summary_line(s) == "Uploaded 0 files (0 B) in 1.00 s: 0.0 MB/s, 0 files/s, "
                                "3 unchanged; 1 failed, 0 retries");
  s.failed.clear();
  s.fatal = "AccessDenied";
  BOOST_TEST(summary_line(s).rfind("Uploaded 0 files", 0) == 0u);
  s.fatal.reset();
  s.interrupted = true;
  BOOST_TEST(summary_line(s) == "Uploaded 0 files (0 B) in 1.00 s: 0.0 MB/s, 0 files/s, "
                                "3 unchanged; 0 failed, 0 retries (interrupted)");
}

BOOST_AUTO_TEST_CASE(summary_of_a_dry_run) {
  RunSummary s;
  s.dry_run = true;
  s.files_planned = 2;
  s.bytes_planned = 2048;
  s.seconds = 0.1;
  BOOST_TEST(summary_line(s) == "Dry run: would upload 2 files (2.0 KiB); 0 failed; nothing was sent");
  s.files_planned = 1;
  s.bytes_planned = 10;
  s.dir_markers = 4;
  s.files_unchanged = 1;
  s.failed = {{"/a", "a", "x"}};
  s.skipped = {{"/l", "s"}, {"/m", "s"}};
  BOOST_TEST(summary_line(s) == "Dry run: would upload 1 file (10 B) and 4 directory markers; "
                                "1 unchanged; 1 failed, 2 skipped; nothing was sent");
}

// The summary says "1 file" and "1 retry"; a single directory marker is "1 directory marker".
BOOST_AUTO_TEST_CASE(summary_of_one_directory_marker_is_singular) {
  RunSummary s;
  s.files_uploaded = 2;
  s.bytes_uploaded = 2;
  s.seconds = 1;
  s.dir_markers = 1;
  BOOST_TEST(summary_line(s) ==
             "Uploaded 2 files (2 B) in 1.00 s: 0.0 MB/s, 2 files/s, 1 directory marker; "
             "0 failed, 0 retries");
  s.dry_run = true;
  s.files_planned = 2;
  s.bytes_planned = 2;
  BOOST_TEST(summary_line(s) ==
             "Dry run: would upload 2 files (2 B) and 1 directory marker; 0 failed; nothing was sent");
}

// report.hpp documents the line as "... in 1.23 s: 4.5 MB/s, 1,003 files/s; ...": the file rate
// is grouped like every other count.
BOOST_AUTO_TEST_CASE(summary_groups_the_file_rate) {
  RunSummary s;
  s.files_uploaded = 1'234;
  s.seconds = 1;
  BOOST_TEST(summary_line(s) ==
             "Uploaded 1,234 files (0 B) in 1.00 s: 0.0 MB/s, 1,234 files/s; 0 failed, 0 retries");
  s.files_uploaded = 12'345'678;
  s.seconds = 4;  // 3,086,419.5 rounds to even, as "%.0f" would
  BOOST_TEST(summary_line(s) == "Uploaded 12,345,678 files (0 B) in 4.00 s: 0.0 MB/s, "
                                "3,086,420 files/s; 0 failed, 0 retries");
}

BOOST_AUTO_TEST_CASE(json_report_holds_every_documented_field) {
  RunSummary s;
  s.files_uploaded = 1'234;
  s.bytes_uploaded = 5'000'000'000;
  s.multipart_uploads = 3;
  s.retries = 4;
  s.throttled = 2;
  s.files_unchanged = 5;
  s.bytes_unchanged = 6;
  s.dir_markers = 7;
  s.seconds = 12.5;
  s.failed = {{"/src/a", "p/a", "file changed while read"}, {"/src/b", "", "permission denied"}};
  s.skipped = {{"/src/l", "symlink skipped (use --follow-symlinks)"}};
  s.engine = "threaded";
  s.concurrency = 48;
  s.concurrency_peak = 96;
  s.threads = 8;
  s.lost_uploads_aborted = 2;
  s.connections_opened = 70;
  s.connections_peak_open = 50;
  s.stragglers_resent = 3;
  s.started = started_at();
  s.finished = started_at() + milliseconds(12'500);
  const json::object o = to_json(s);
  BOOST_TEST((keys(o) == std::set<std::string>{"totals", "failed", "skipped", "exit_code",
                                               "interrupted", "engine", "concurrency",
                                               "concurrency_peak", "threads", "started",
                                               "finished", "walk_complete", "peak_rss_bytes",
                                               "connections",
                                               "checksum", "integrity", "integrity_counts"}));
  const json::object& t = o.at("totals").as_object();
  BOOST_TEST((keys(t) == std::set<std::string>{"files", "bytes", "failed", "skipped", "retries",
                                               "throttled", "multipart_uploads", "unchanged",
                                               "unchanged_bytes", "dir_markers", "not_attempted",
                                               "resumed_bytes", "stale_uploads_aborted",
                                               "lost_uploads_aborted", "seconds"}));
  BOOST_TEST(num(t.at("files")) == 1'234u);
  BOOST_TEST(num(t.at("bytes")) == 5'000'000'000u);
  BOOST_TEST(num(t.at("failed")) == 2u);
  BOOST_TEST(num(t.at("skipped")) == 1u);
  BOOST_TEST(num(t.at("retries")) == 4u);
  BOOST_TEST(num(t.at("throttled")) == 2u);
  BOOST_TEST(num(t.at("multipart_uploads")) == 3u);
  BOOST_TEST(num(t.at("unchanged")) == 5u);
  BOOST_TEST(num(t.at("unchanged_bytes")) == 6u);
  BOOST_TEST(num(t.at("dir_markers")) == 7u);
  BOOST_TEST(t.at("seconds").to_number<double>() == 12.5);
  BOOST_TEST(num(t.at("lost_uploads_aborted")) == 2u);
  const json::object& c = o.at("connections").as_object();
  BOOST_TEST((keys(c) == std::set<std::string>{"opened", "peak_open", "opened_ahead",
                                               "awaited_ahead", "tls_handshakes", "tls_resumed",
                                               "paced", "borrowed", "stragglers_resent"}));
  BOOST_TEST(num(c.at("opened")) == 70u);
  BOOST_TEST(num(c.at("peak_open")) == 50u);
  BOOST_TEST(num(c.at("stragglers_resent")) == 3u);
  const json::array& failed = o.at("failed").as_array();
  BOOST_TEST_REQUIRE(failed.size() == 2u);
  BOOST_TEST((keys(failed[0].as_object()) == std::set<std::string>{"path", "key", "reason"}));
  BOOST_TEST(str(failed[0].at("path")) == "/src/a");
  BOOST_TEST(str(failed[0].at("key")) == "p/a");
  BOOST_TEST(str(failed[0].at("reason")) == "file changed while read");
  BOOST_TEST(str(failed[1].at("path")) == "/src/b");
  BOOST_TEST(str(failed[1].at("key")) == "");
  BOOST_TEST(str(failed[1].at("reason")) == "permission denied");
  const json::array& skipped = o.at("skipped").as_array();
  BOOST_TEST_REQUIRE(skipped.size() == 1u);
  BOOST_TEST((keys(skipped[0].as_object()) == std::set<std::string>{"path", "reason"}));
  BOOST_TEST(str(skipped[0].at("path")) == "/src/l");
  BOOST_TEST(str(skipped[0].at("reason")) == "symlink skipped (use --follow-symlinks)");
  BOOST_TEST(num(o.at("exit_code")) == 1u);
  BOOST_TEST(o.at("interrupted").as_bool() == false);
  BOOST_TEST(str(o.at("engine")) == "threaded");
  BOOST_TEST(num(o.at("concurrency")) == 48u);
  BOOST_TEST(num(o.at("concurrency_peak")) == 96u);
  BOOST_TEST(num(o.at("threads")) == 8u);
  BOOST_TEST(str(o.at("started")) == "2026-01-02T03:04:05.678Z");
  BOOST_TEST(str(o.at("finished")) == "2026-01-02T03:04:18.178Z");
}

BOOST_AUTO_TEST_CASE(json_report_gives_auto_s_limit_over_the_run) {
  RunSummary s;
  s.concurrency = 512;
  s.concurrency_peak = 1024;
  BOOST_TEST(to_json(s).count("concurrency_history") == 0u);  // a fixed limit: none
  s.concurrency_history = {{0, 64}, {0.1004, 512}, {0.45, 1024}, {0.9, 512}, {2.5, 512}};
  const json::object o = to_json(s);
  const json::array& h = o.at("concurrency_history").as_array();
  BOOST_TEST_REQUIRE(h.size() == 5u);
  BOOST_TEST(h[1].as_array().size() == 2u);
  BOOST_TEST(h[1].as_array()[0].to_number<double>() == 0.1);  // to the millisecond
  BOOST_TEST(num(h[1].as_array()[1]) == 512u);
  BOOST_TEST(num(h[2].as_array()[1]) == 1024u);
  BOOST_TEST(h[4].as_array()[0].to_number<double>() == 2.5);
}

BOOST_AUTO_TEST_CASE(json_report_says_what_the_store_verified) {
  RunSummary s;
  s.files_uploaded = 10;
  s.checksum = s3up::s3::ChecksumAlgorithm::Crc32c;
  s.integrity[static_cast<std::size_t>(Integrity::ChecksumVerified)] = 0;
  s.integrity[static_cast<std::size_t>(Integrity::EtagCompared)] = 2;
  s.integrity[static_cast<std::size_t>(Integrity::Md5Verified)] = 8;
  s.notes = {"note: the endpoint does not verify CRC32C"};
  const json::object o = to_json(s);
  BOOST_TEST(str(o.at("checksum")) == "crc32c");
  BOOST_TEST(str(o.at("integrity")) == "etag-md5-compared");  // the weakest any file got
  const json::object& c = o.at("integrity_counts").as_object();
  BOOST_TEST((keys(c) == std::set<std::string>{"crc32c-verified", "md5-verified",
                                               "etag-md5-compared", "none"}));
  BOOST_TEST(num(c.at("md5-verified")) == 8u);
  BOOST_TEST(num(c.at("etag-md5-compared")) == 2u);
  BOOST_TEST(num(c.at("crc32c-verified")) == 0u);
  BOOST_TEST(num(c.at("none")) == 0u);
  BOOST_TEST(o.at("notes").as_array().size() == 1u);
  // The summary line says it when less than the full check.
  s.seconds = 1;
  BOOST_TEST(summary_line(s).ends_with("; integrity: 8 md5-verified, 2 etag-md5-compared"));
  // Nothing more when every file got it.
  RunSummary full;
  full.files_uploaded = 3;
  full.seconds = 1;
  full.integrity[static_cast<std::size_t>(Integrity::ChecksumVerified)] = 3;
  BOOST_TEST(summary_line(full).find("integrity") == std::string::npos);
  BOOST_TEST(str(to_json(full).at("integrity")) == "crc32c-verified");
  BOOST_TEST(!to_json(full).contains("notes"));
  BOOST_TEST(!to_json(full).contains("sync_checksum_fallbacks"));
  full.checksum = s3up::s3::ChecksumAlgorithm::None;
  full.integrity = {};
  full.integrity[static_cast<std::size_t>(Integrity::None)] = 3;
  BOOST_TEST(summary_line(full).ends_with("; integrity: not checked (--checksum none)"));
  BOOST_TEST(str(to_json(full).at("integrity")) == "none");
}

BOOST_AUTO_TEST_CASE(resumed_parts_are_not_in_the_rate) {
  RunSummary s;
  s.files_uploaded = 1;
  s.bytes_uploaded = 100'000'000;
  s.bytes_resumed = 60'000'000;  // sent by an earlier run, resumed from the journal
  s.seconds = 2;
  BOOST_TEST(summary_line(s).find("of it resumed from an earlier run) in 2.00 s: 20.0 MB/s") !=
             std::string::npos, summary_line(s));
  BOOST_TEST(num(to_json(s).at("totals").at("resumed_bytes")) == 60'000'000u);
  Report r;
  r.resumed(5);
  r.sent(3);
  BOOST_TEST(r.bytes_sent() == 8u);  // the progress line counts both
  BOOST_TEST(r.finish().bytes_resumed == 5u);
}

BOOST_AUTO_TEST_CASE(stopped_runs_count_what_they_never_got_to) {
  RunSummary s;
  s.fatal.emplace("PutObject: HTTP 403 InvalidAccessKeyId");
  s.not_attempted = 1'500;
  s.seconds = 1;
  BOOST_TEST(summary_line(s).find("0 failed, 1,500 not attempted") != std::string::npos);
  BOOST_TEST(num(to_json(s).at("totals").at("not_attempted")) == 1'500u);
  BOOST_TEST(to_json(s).at("walk_complete").as_bool());
  s.walk_complete = false;  // the rest of the walk was cut short: a lower bound
  BOOST_TEST(summary_line(s).find("1,500+ not attempted") != std::string::npos);
  BOOST_TEST(!to_json(s).at("walk_complete").as_bool());
  s.sync_fallbacks[static_cast<std::size_t>(SyncFallback::SizeMtime)] = 2;
  const json::object o = to_json(s);
  const json::object& f = o.at("sync_checksum_fallbacks").as_object();
  BOOST_TEST(num(f.at("size-mtime")) == 2u);
  BOOST_TEST(num(f.at("etag-md5")) == 0u);
  BOOST_TEST(num(f.at("uploaded")) == 0u);
}

BOOST_AUTO_TEST_CASE(json_report_names_the_credentials_when_known) {
  RunSummary s;
  s.credentials = "imds";
  s.credential_refreshes = 3;
  s.credential_renewals = 1;
  const json::object o = to_json(s);
  BOOST_TEST(str(o.at("credentials")) == "imds");
  BOOST_TEST(num(o.at("credential_refreshes")) == 3u);
  BOOST_TEST(num(o.at("credential_renewals")) == 1u);
  // Zero counts are written too once the provider is known.
  s.credential_refreshes = 0;
  s.credential_renewals = 0;
  const json::object z = to_json(s);
  BOOST_TEST(num(z.at("credential_refreshes")) == 0u);
  BOOST_TEST(num(z.at("credential_renewals")) == 0u);
  // Unknown provider: none of the three.
  s.credentials.clear();
  const json::object none = to_json(s);
  BOOST_TEST(!none.contains("credentials"));
  BOOST_TEST(!none.contains("credential_refreshes"));
  BOOST_TEST(!none.contains("credential_renewals"));
}

BOOST_AUTO_TEST_CASE(json_report_of_a_stopped_run) {
  const auto stopped = [](bool fatal) {
    RunSummary s;
    if (fatal) s.fatal.emplace("PutObject: HTTP 403 AccessDenied: Access Denied");
    s.interrupted = true;
    s.started = s.finished = started_at();
    return to_json(s);
  };
  const json::object o = stopped(true);
  BOOST_TEST(str(o.at("error")) == "PutObject: HTTP 403 AccessDenied: Access Denied");
  BOOST_TEST(num(o.at("exit_code")) == 2u);
  BOOST_TEST(o.at("interrupted").as_bool() == true);
  BOOST_TEST(str(o.at("engine")) == "async");  // the default
  BOOST_TEST(!o.contains("dry_run"));
  BOOST_TEST(o.at("failed").as_array().empty());
  BOOST_TEST(o.at("skipped").as_array().empty());
  const json::object i = stopped(false);
  BOOST_TEST(num(i.at("exit_code")) == 130u);
  BOOST_TEST(!i.contains("error"));
}

BOOST_AUTO_TEST_CASE(json_report_of_a_dry_run) {
  RunSummary s;
  s.dry_run = true;
  s.files_planned = 12;
  s.bytes_planned = 3'000;
  s.dir_markers = 2;
  const json::object o = to_json(s);
  const json::object& d = o.at("dry_run").as_object();
  BOOST_TEST((keys(d) == std::set<std::string>{"files", "bytes"}));
  BOOST_TEST(num(d.at("files")) == 12u);
  BOOST_TEST(num(d.at("bytes")) == 3'000u);
  BOOST_TEST(num(o.at("totals").at("files")) == 0u);  // nothing uploaded
  BOOST_TEST(num(o.at("totals").at("dir_markers")) == 2u);
  BOOST_TEST(num(o.at("exit_code")) == 0u);
}

BOOST_AUTO_TEST_CASE(json_report_of_names_that_are_not_utf8_is_valid_json) {
  Report r;
  r.failed({"/src/caf\xE9", "p/caf\xE9", "not valid UTF-8 (at byte 5)"});
  r.skipped({"/src/\"quoted\"\\", "fifo skipped"});
  RunSummary s = r.finish();
  const json::object o = to_json(s);  // parses strictly
  BOOST_TEST(str(o.at("failed").at(0).at("path")) == "/src/caf\\xe9");
  BOOST_TEST(str(o.at("skipped").at(0).at("path")) == "/src/\"quoted\"\\");
}

BOOST_AUTO_TEST_SUITE_END()
