// engine::RunControl and the entry handling both engines share: what the control counts through
// the protocol's observer, the credentials' lapse handler, stopping, accept_entry (errors,
// skipped entries, empty directories, keys S3 refuses, shards, files the journal has as
// finished), plan_entry (--dry-run), dir_marker_headers and open_journal.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "engine/journal.hpp"
#include "engine/run_control.hpp"
#include "engine/shard.hpp"
#include "run_fixture.hpp"
#include "temp_tree.hpp"

using namespace s3up;
using namespace s3up::engine;
using s3up::test::FakeCredentials;
using s3up::test::RunHarness;

namespace {

walker::Entry entry(walker::EntryKind kind, std::string rel, std::uint64_t size = 0,
                    std::int64_t mtime_ns = 0, std::string reason = "") {
  walker::Entry e;
  e.kind = kind;
  e.path = "/src/" + rel;
  e.rel = std::move(rel);
  e.size = size;
  e.mtime_ns = mtime_ns;
  e.reason = std::move(reason);
  return e;
}

walker::Entry file(std::string rel, std::uint64_t size = 10, std::int64_t mtime_ns = 1000) {
  return entry(walker::EntryKind::File, std::move(rel), size, mtime_ns);
}

http::Outcome http_reply(unsigned status, std::string body = "") {
  http::Outcome out;
  out.response.result(status);
  out.response.body() = std::move(body);
  return out;
}

s3::OpResult send(const s3::S3Protocol& p, http::Outcome out) {
  const auto call = s3::S3Call::head_object("k");
  return p.finish(call, p.prepare(call), std::move(out), std::chrono::microseconds(2500));
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(run_control)

BOOST_AUTO_TEST_CASE(counts_every_reply_until_destroyed) {
  RunHarness h;
  send(h.protocol, http_reply(200));
  send(h.protocol, http_reply(200));
  send(h.protocol, http_reply(503, "<Error><Code>SlowDown</Code><Message>m</Message></Error>"));
  send(h.protocol, http_reply(500, "<Error><Code>InternalError</Code></Error>"));
  http::Outcome refused;
  refused.failure = http::Failure::Connect;
  refused.detail = "connect to 127.0.0.1:9: Connection refused";
  send(h.protocol, std::move(refused));
  BOOST_TEST(h.report.requests_ok() == 2u);
  BOOST_TEST(h.report.throttled() == 1u);
  const auto counts = h.report.latencies().snapshot();
  BOOST_TEST(LatencyHistogram::count(counts, {}) == 2u);  // successes only
  h.run.reset();
  send(h.protocol, http_reply(200));
  send(h.protocol, http_reply(503));
  BOOST_TEST(h.report.requests_ok() == 2u);
  BOOST_TEST(h.report.throttled() == 1u);
}

BOOST_AUTO_TEST_CASE(stop_wakes_the_dispatcher_once) {
  RunHarness h;
  BOOST_TEST(!h.run->stopping.load());
  h.run->stop();
  h.run->stop();
  BOOST_TEST(h.run->stopping.load());
  BOOST_TEST(h.stops == 1);
  BOOST_TEST(!h.report.has_fatal());  // stopping alone is not an error
  BOOST_TEST(h.report.finish().exit_code() == 0);
}

BOOST_AUTO_TEST_CASE(stop_without_a_waker) {
  RunHarness h;
  h.run->on_stop = nullptr;
  h.run->fail_run("bucket gone");
  BOOST_TEST(h.run->stopping.load());
  BOOST_TEST(*h.report.finish().fatal == "bucket gone");
}

BOOST_AUTO_TEST_CASE(fail_run_records_the_first_reason_and_stops) {
  RunHarness h;
  h.run->fail_run("first reason");
  h.run->fail_run("second reason");
  BOOST_TEST(h.stops == 1);
  const RunSummary s = h.report.finish();
  BOOST_TEST(*s.fatal == "first reason");
  BOOST_TEST(s.exit_code() == 2);
}

BOOST_AUTO_TEST_CASE(lapsed_credentials_stop_the_run) {
  auto source = std::make_shared<FakeCredentials>(true);
  RunHarness h(5, source);
  BOOST_TEST_REQUIRE(static_cast<bool>(source->lapse_handler));
  source->lapse_handler("the credentials from imds expired and could not be renewed");
  BOOST_TEST(h.run->stopping.load());
  BOOST_TEST(h.stops == 1);
  BOOST_TEST(*h.report.finish().fatal ==
             "the credentials from imds expired and could not be renewed");
  h.run.reset();
  BOOST_TEST(!source->lapse_handler);  // removed with the RunControl
}

BOOST_AUTO_TEST_CASE(walk_errors_are_failed_files) {
  RunHarness h;
  const auto e = entry(walker::EntryKind::Error, "locked", 0, 0, "permission denied");
  BOOST_TEST(!accept_entry(h.run->opt, h.run->report, h.run->journal, e));
  BOOST_TEST(h.report.failures() == 1u);
  const RunSummary s = h.report.finish();
  BOOST_TEST_REQUIRE(s.failed.size() == 1u);
  BOOST_TEST(s.failed[0].path == "/src/locked");
  BOOST_TEST(s.failed[0].key == "");
  BOOST_TEST(s.failed[0].reason == "permission denied");
  BOOST_TEST(s.exit_code() == 1);
}

BOOST_AUTO_TEST_CASE(skipped_entries_keep_their_reason) {
  RunHarness h;
  BOOST_TEST(!accept_entry(h.run->opt, h.run->report, h.run->journal, entry(walker::EntryKind::Skipped, "link", 0, 0,
                                         "symlink skipped (use --follow-symlinks)")));
  BOOST_TEST(!accept_entry(h.run->opt, h.run->report, h.run->journal, entry(walker::EntryKind::Skipped, "odd")));
  const RunSummary s = h.report.finish();
  BOOST_TEST(s.failed.empty());
  BOOST_TEST_REQUIRE(s.skipped.size() == 2u);
  BOOST_TEST(s.skipped[0].path == "/src/link");
  BOOST_TEST(s.skipped[0].reason == "symlink skipped (use --follow-symlinks)");
  BOOST_TEST(s.skipped[1].path == "/src/odd");
  BOOST_TEST(s.skipped[1].reason == "skipped");
  BOOST_TEST(s.exit_code() == 0);
}

BOOST_AUTO_TEST_CASE(empty_directories_are_skipped_without_dir_markers) {
  RunHarness h;
  h.opt.prefix = "p/";
  BOOST_TEST(!accept_entry(h.run->opt, h.run->report, h.run->journal, entry(walker::EntryKind::EmptyDir, "a/empty")));
  const RunSummary s = h.report.finish();
  BOOST_TEST(s.failed.empty());
  BOOST_TEST_REQUIRE(s.skipped.size() == 1u);
  BOOST_TEST(s.skipped[0].path == "/src/a/empty");
  BOOST_TEST(s.skipped[0].reason ==
             "empty directory not uploaded (S3 has no directories; use --dir-markers)");
}

BOOST_AUTO_TEST_CASE(empty_directories_become_markers_with_dir_markers) {
  RunHarness h;
  h.opt.prefix = "p/";
  h.opt.dir_markers = true;
  const auto a = accept_entry(h.run->opt, h.run->report, h.run->journal, entry(walker::EntryKind::EmptyDir, "a/empty"));
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST(a->key == "p/a/empty/");
  BOOST_TEST(a->marker);
  const RunSummary s = h.report.finish();
  BOOST_TEST(s.skipped.empty());
  BOOST_TEST(s.failed.empty());
}

BOOST_AUTO_TEST_CASE(files_get_prefix_plus_relative_path) {
  RunHarness h;
  auto a = accept_entry(h.run->opt, h.run->report, h.run->journal, file("a/b c+d.txt"));
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST(a->key == "a/b c+d.txt");  // no prefix: the bucket's root; raw, not encoded
  BOOST_TEST(!a->marker);
  h.opt.prefix = "logs/host1/";
  h.opt.dir_markers = true;  // changes nothing for files
  a = accept_entry(h.run->opt, h.run->report, h.run->journal, file("x/y.log"));
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST(a->key == "logs/host1/x/y.log");
  BOOST_TEST(!a->marker);
  BOOST_TEST(h.report.failures() == 0u);
}

BOOST_AUTO_TEST_CASE(keys_over_1024_bytes_fail) {
  RunHarness h;
  h.opt.prefix = "p/";
  BOOST_TEST(accept_entry(h.run->opt, h.run->report, h.run->journal, file(std::string(1022, 'a'))).has_value());  // 1024 bytes
  const std::string long_rel(1023, 'b');
  BOOST_TEST(!accept_entry(h.run->opt, h.run->report, h.run->journal, file(long_rel)));  // 1025 bytes with the prefix
  // A marker's key has one byte more than its directory's name.
  h.opt.dir_markers = true;
  const std::string dir_rel(1022, 'c');
  BOOST_TEST(!accept_entry(h.run->opt, h.run->report, h.run->journal, entry(walker::EntryKind::EmptyDir, dir_rel)));
  const RunSummary s = h.report.finish();
  BOOST_TEST_REQUIRE(s.failed.size() == 2u);
  BOOST_TEST(s.failed[0].path == "/src/" + long_rel);
  BOOST_TEST(s.failed[0].key == "p/" + long_rel);
  BOOST_TEST(s.failed[0].reason == "key is 1025 bytes, over S3's 1024-byte limit");
  BOOST_TEST(s.failed[1].key == "p/" + dir_rel + "/");
  BOOST_TEST(s.failed[1].reason == "key is 1025 bytes, over S3's 1024-byte limit");
  BOOST_TEST(s.exit_code() == 1);
}

BOOST_AUTO_TEST_CASE(keys_that_are_not_utf8_fail_and_are_reported_printably) {
  RunHarness h;
  h.opt.prefix = "p/";
  BOOST_TEST(!accept_entry(h.run->opt, h.run->report, h.run->journal, file("caf\xE9.txt")));  // Latin-1 é
  BOOST_TEST(!accept_entry(h.run->opt, h.run->report, h.run->journal, file("ok/\xED\xA0\x80")));  // a surrogate
  BOOST_TEST(accept_entry(h.run->opt, h.run->report, h.run->journal, file("caf\xC3\xA9.txt")).has_value());  // UTF-8 é
  const RunSummary s = h.report.finish();
  BOOST_TEST_REQUIRE(s.failed.size() == 2u);
  BOOST_TEST(s.failed[0].path == "/src/caf\\xe9.txt");
  BOOST_TEST(s.failed[0].key == "p/caf\\xe9.txt");
  BOOST_TEST(s.failed[0].reason == "not valid UTF-8 (at byte 5)");
  BOOST_TEST(s.failed[1].key == "p/ok/\\xed\\xa0\\x80");
  BOOST_TEST(s.failed[1].reason == "not valid UTF-8 (at byte 5)");
}

BOOST_AUTO_TEST_CASE(other_shards_keys_are_passed_over_silently) {
  constexpr std::uint32_t kShards = 3;
  std::vector<std::string> rels;
  for (int i = 0; i < 60; ++i) rels.push_back("dir/file_" + std::to_string(i) + ".bin");
  std::vector<int> taken(rels.size(), 0);
  for (std::uint32_t k = 0; k < kShards; ++k) {
    RunHarness h;
    h.opt.prefix = "p/";
    h.opt.shard = Shard{k, kShards};
    std::size_t accepted = 0;
    for (std::size_t i = 0; i < rels.size(); ++i) {
      const auto a = accept_entry(h.run->opt, h.run->report, h.run->journal, file(rels[i]));
      // The shard is decided on the whole key, prefix included.
      BOOST_TEST(a.has_value() == in_shard("p/" + rels[i], Shard{k, kShards}));
      if (a) {
        ++taken[i];
        ++accepted;
      }
    }
    BOOST_TEST(accepted > 0u);
    BOOST_TEST(accepted < rels.size());
    const RunSummary s = h.report.finish();
    BOOST_TEST(s.failed.empty());
    BOOST_TEST(s.skipped.empty());
    BOOST_TEST(s.files_unchanged == 0u);
  }
  for (int n : taken) BOOST_TEST(n == 1);  // every key in exactly one shard
}

BOOST_AUTO_TEST_CASE(shards_apply_to_directory_markers) {
  RunHarness h;
  h.opt.dir_markers = true;
  int accepted = 0;
  for (std::uint32_t k = 0; k < 4; ++k) {
    h.opt.shard = Shard{k, 4};
    const auto a = accept_entry(h.run->opt, h.run->report, h.run->journal, entry(walker::EntryKind::EmptyDir, "d"));
    BOOST_TEST(a.has_value() == in_shard("d/", Shard{k, 4}));
    accepted += a ? 1 : 0;
  }
  BOOST_TEST(accepted == 1);
}

BOOST_AUTO_TEST_CASE(files_the_journal_has_as_finished_are_unchanged) {
  test::TempTree tmp;
  Journal journal(tmp.path("journal"), "s3://bucket/p/ @ 127.0.0.1:9");
  journal.record_finished("p/done.txt", 10, 1000);
  RunHarness h;
  h.opt.prefix = "p/";
  h.run->journal = &journal;
  BOOST_TEST(!accept_entry(h.run->opt, h.run->report, h.run->journal, file("done.txt", 10, 1000)));
  BOOST_TEST(h.report.files_unchanged() == 1u);
  // Changed since: size or mtime differ.
  BOOST_TEST(accept_entry(h.run->opt, h.run->report, h.run->journal, file("done.txt", 11, 1000)).has_value());
  BOOST_TEST(accept_entry(h.run->opt, h.run->report, h.run->journal, file("done.txt", 10, 1001)).has_value());
  BOOST_TEST(accept_entry(h.run->opt, h.run->report, h.run->journal, file("other.txt", 10, 1000)).has_value());
  const RunSummary s = h.report.finish();
  BOOST_TEST(s.files_unchanged == 1u);
  BOOST_TEST(s.bytes_unchanged == 10u);
  BOOST_TEST(s.skipped.empty());
  BOOST_TEST(s.failed.empty());
}

BOOST_AUTO_TEST_CASE(journal_is_not_asked_for_other_shards_or_markers) {
  test::TempTree tmp;
  Journal journal(tmp.path("journal"), "s3://bucket/ @ 127.0.0.1:9");
  std::string mine, theirs;
  for (int i = 0; mine.empty() || theirs.empty(); ++i) {
    const std::string key = "f" + std::to_string(i);
    (in_shard(key, Shard{0, 2}) ? mine : theirs) = key;
  }
  journal.record_finished(mine, 10, 1000);
  journal.record_finished(theirs, 10, 1000);
  journal.record_finished("d/", 0, 0);
  RunHarness h;
  h.run->journal = &journal;
  h.opt.shard = Shard{0, 2};
  BOOST_TEST(!accept_entry(h.run->opt, h.run->report, h.run->journal, file(mine, 10, 1000)));
  BOOST_TEST(!accept_entry(h.run->opt, h.run->report, h.run->journal, file(theirs, 10, 1000)));
  BOOST_TEST(h.report.files_unchanged() == 1u);  // only this shard's file counts
  h.opt.shard.reset();
  h.opt.dir_markers = true;
  const auto marker = accept_entry(h.run->opt, h.run->report, h.run->journal, entry(walker::EntryKind::EmptyDir, "d"));
  BOOST_TEST_REQUIRE(marker.has_value());  // markers are always written again
  BOOST_TEST(marker->key == "d/");
  BOOST_TEST(h.report.files_unchanged() == 1u);
}

BOOST_AUTO_TEST_CASE(plan_entry_prints_and_counts_files_and_markers) {
  RunHarness h;
  std::vector<std::string> lines;
  h.opt.print = [&lines](const std::string& line) { lines.push_back(line); };
  h.opt.prefix = "p/";
  h.opt.dry_run = true;
  h.opt.dir_markers = true;
  const auto f = file("a/b.txt", 1234);
  const auto a = accept_entry(h.run->opt, h.run->report, h.run->journal, f);
  BOOST_TEST_REQUIRE(a.has_value());
  plan_entry(h.run->opt, h.run->report, f, *a);
  const auto d = entry(walker::EntryKind::EmptyDir, "empty");
  const auto m = accept_entry(h.run->opt, h.run->report, h.run->journal, d);
  BOOST_TEST_REQUIRE(m.has_value());
  plan_entry(h.run->opt, h.run->report, d, *m);
  const auto z = file("zero", 0);
  plan_entry(h.run->opt, h.run->report, z, *accept_entry(h.run->opt, h.run->report, h.run->journal, z));
  BOOST_TEST_REQUIRE(lines.size() == 3u);
  BOOST_TEST(lines[0] == "/src/a/b.txt -> s3://bucket/p/a/b.txt (1234 bytes)");
  BOOST_TEST(lines[1] == "/src/empty/ -> s3://bucket/p/empty/ (directory marker)");
  BOOST_TEST(lines[2] == "/src/zero -> s3://bucket/p/zero (0 bytes)");
  const RunSummary s = h.report.finish();
  BOOST_TEST(s.files_planned == 2u);
  BOOST_TEST(s.bytes_planned == 1234u);
  BOOST_TEST(s.dir_markers == 1u);
  BOOST_TEST(s.files_uploaded == 0u);
}

BOOST_AUTO_TEST_CASE(plan_entry_prints_control_characters_escaped) {
  RunHarness h;
  std::vector<std::string> lines;
  h.opt.print = [&lines](const std::string& line) { lines.push_back(line); };
  const auto f = file("tab\there\n.txt", 3);
  const auto a = accept_entry(h.run->opt, h.run->report, h.run->journal, f);
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST(a->key == "tab\there\n.txt");  // the key itself is kept as is
  plan_entry(h.run->opt, h.run->report, f, *a);
  BOOST_TEST_REQUIRE(lines.size() == 1u);
  BOOST_TEST(lines[0] == "/src/tab\\there\\n.txt -> s3://bucket/tab\\there\\n.txt (3 bytes)");
}

BOOST_AUTO_TEST_CASE(plan_entry_without_a_printer_still_counts) {
  RunHarness h;
  const auto f = file("x", 7);
  plan_entry(h.run->opt, h.run->report, f, *accept_entry(h.run->opt, h.run->report, h.run->journal, f));
  const RunSummary s = h.report.finish();
  BOOST_TEST(s.files_planned == 1u);
  BOOST_TEST(s.bytes_planned == 7u);
}

BOOST_AUTO_TEST_CASE(dir_marker_headers_carry_the_empty_checksum) {
  // The checks a run plans for a body (IntegrityNegotiator::plan): here set by hand.
  const auto flexible = [](s3::ChecksumAlgorithm a) {
    BodyChecks c;
    c.flexible = a;
    return c;
  };
  UploadOptions opt;  // content type guessed
  s3::Headers h = dir_marker_headers(opt, flexible(s3::ChecksumAlgorithm::Crc32c));
  BOOST_TEST_REQUIRE(h.size() == 2u);
  BOOST_TEST(h[0].first == "x-amz-checksum-crc32c");
  BOOST_TEST(h[0].second == "AAAAAA==");
  BOOST_TEST(h[1].first == "x-amz-sdk-checksum-algorithm");
  BOOST_TEST(h[1].second == "CRC32C");

  h = dir_marker_headers(opt, flexible(s3::ChecksumAlgorithm::Crc32));
  BOOST_TEST_REQUIRE(h.size() == 2u);
  BOOST_TEST(h[0].first == "x-amz-checksum-crc32");
  BOOST_TEST(h[0].second == "AAAAAA==");
  BOOST_TEST(h[1].second == "CRC32");

  h = dir_marker_headers(opt, flexible(s3::ChecksumAlgorithm::Sha256));
  BOOST_TEST_REQUIRE(h.size() == 2u);
  BOOST_TEST(h[0].first == "x-amz-checksum-sha256");
  BOOST_TEST(h[0].second == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  BOOST_TEST(h[1].second == "SHA256");

  BodyChecks md5;  // --checksum md5, or a store that refuses the flexible headers
  md5.content_md5 = md5.md5 = true;
  h = dir_marker_headers(opt, md5);
  BOOST_TEST_REQUIRE(h.size() == 1u);  // no algorithm header for Content-MD5
  BOOST_TEST(h[0].first == "Content-MD5");
  BOOST_TEST(h[0].second == "1B2M2Y8AsgTpgAmY7PhCfg==");

  BodyChecks both = flexible(s3::ChecksumAlgorithm::Crc32c);  // a store that does not verify it
  both.content_md5 = both.md5 = true;
  h = dir_marker_headers(opt, both);
  BOOST_TEST_REQUIRE(h.size() == 3u);
  BOOST_TEST(h[2].first == "Content-MD5");

  BOOST_TEST(dir_marker_headers(opt, BodyChecks{}).empty());
}

BOOST_AUTO_TEST_CASE(dir_marker_headers_are_the_object_settings_without_mtime) {
  UploadOptions opt;
  opt.checksum = s3::ChecksumAlgorithm::None;
  opt.object.content_type = "application/x-directory";
  opt.object.cache_control = "no-cache";
  opt.object.metadata = {{"Owner", "ops"}};
  opt.object.storage_class = "STANDARD_IA";
  opt.object.sse = "aws:kms";
  opt.object.sse_kms_key_id = "alias/k";
  opt.object.acl = "private";
  const s3::Headers expected = {
      {"content-type", "application/x-directory"},
      {"cache-control", "no-cache"},
      {"x-amz-meta-owner", "ops"},
      {"x-amz-storage-class", "STANDARD_IA"},
      {"x-amz-server-side-encryption", "aws:kms"},
      {"x-amz-server-side-encryption-aws-kms-key-id", "alias/k"},
      {"x-amz-acl", "private"},
  };
  BOOST_TEST((dir_marker_headers(opt, BodyChecks{}) == expected));
  for (const auto& [name, value] : dir_marker_headers(opt, BodyChecks{}))
    BOOST_TEST(name != "x-amz-meta-mtime");
}

BOOST_AUTO_TEST_CASE(open_journal_only_with_a_journal_and_not_for_a_dry_run) {
  test::TempTree tmp;
  ServiceOptions service;
  service.endpoint = s3::parse_endpoint("http://127.0.0.1:9");
  UploadOptions opt;
  opt.bucket = "bucket";
  opt.prefix = "p/";
  BOOST_TEST(!open_journal(service, opt));
  opt.journal = tmp.path("j");
  opt.dry_run = true;
  BOOST_TEST(!open_journal(service, opt));
  opt.dry_run = false;
  {
    auto journal = open_journal(service, opt);
    BOOST_TEST_REQUIRE(static_cast<bool>(journal));
    journal->record_finished("p/a", 1, 2);
    journal->close();
  }
  BOOST_TEST(read_all(tmp.path("j")).find("\"destination\":\"s3://bucket/p/ @ 127.0.0.1:9\"") !=
             std::string::npos);
  {
    auto again = open_journal(service, opt);  // the same destination: resumes
    BOOST_TEST(again->finished("p/a", 1, 2));
  }
  opt.prefix = "q/";
  BOOST_CHECK_THROW(open_journal(service, opt), JournalError);  // another destination
}

BOOST_AUTO_TEST_SUITE_END()
