// The transport-free steps of --sync that both engines drive: the listing cursor merged with
// the walk, and the unchanged check (decision from the listing, or from a HeadObject reply).
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "engine/sync.hpp"
#include "s3/object_settings.hpp"

using namespace s3up;
using namespace s3up::engine;
using Seek = ListingCursor::Seek;

namespace {

s3::ListObjectsPage page(std::vector<std::string> keys, bool truncated, std::string token = "") {
  s3::ListObjectsPage p{{}, truncated, std::move(token)};
  for (auto& k : keys) p.objects.push_back({k, "\"e\"", 10, "2026-01-01T00:00:00.000Z"});
  return p;
}

walker::Entry file(std::uint64_t size, std::int64_t mtime_ns) {
  walker::Entry e;
  e.path = "/nonexistent";
  e.rel = "f";
  e.size = size;
  e.mtime_ns = mtime_ns;
  return e;
}

s3::OpResult head(bool ok, std::vector<s3::Header> headers) {
  s3::OpResult r;
  r.ok = ok;
  r.headers = std::move(headers);
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sync_steps)

BOOST_AUTO_TEST_CASE(cursor_merges_pages_with_keys_in_order) {
  ListingCursor c;
  BOOST_TEST((c.seek("a") == Seek::NeedPage));  // nothing fetched yet
  BOOST_TEST(c.continuation().empty());
  c.set_page(page({"b", "d"}, true, "t1"));
  BOOST_TEST((c.seek("a") == Seek::Absent));
  BOOST_TEST((c.seek("b") == Seek::Found));
  BOOST_TEST(c.object().key == "b");
  BOOST_TEST((c.seek("c") == Seek::Absent));
  BOOST_TEST((c.seek("d") == Seek::Found));
  BOOST_TEST((c.seek("e") == Seek::NeedPage));  // past this page, more to come
  BOOST_TEST(c.continuation() == "t1");
  c.set_page(page({"e"}, false));
  BOOST_TEST((c.seek("e") == Seek::Found));
  BOOST_TEST((c.seek("z") == Seek::Absent));  // the listing is over
}

BOOST_AUTO_TEST_CASE(unreadable_listing_is_a_retryable_failure) {
  s3::OpResult r;
  r.ok = true;
  r.body = "not xml";
  BOOST_TEST(!read_listing(r));
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.message == "ListObjectsV2: unreadable reply");
  UploadOptions opt;
  opt.bucket = "b";
  BOOST_TEST(listing_failure(opt, "p/", r) ==
             "cannot list s3://b/p/ for --sync: ListObjectsV2: unreadable reply");
}

BOOST_AUTO_TEST_CASE(size_decides_first) {
  UploadOptions opt;
  opt.sync = SyncMode::SizeOnly;
  const s3::ListedObject remote{"k", "\"e\"", 10, "2026-01-01T00:00:00.000Z"};
  BOOST_TEST(*start_unchanged_check(opt, file(10, 0), remote).decided);
  BOOST_TEST(!*start_unchanged_check(opt, file(11, 0), remote).decided);
  opt.sync = SyncMode::Off;
  BOOST_TEST(!*start_unchanged_check(opt, file(10, 0), remote).decided);
}

BOOST_AUTO_TEST_CASE(mtime_from_the_listing_or_the_head) {
  UploadOptions opt;
  opt.sync = SyncMode::SizeAndMtime;
  const s3::ListedObject remote{"k", "\"e\"", 10, "2026-01-01T00:00:00.000Z"};
  const auto written = *parse_s3_time(remote.last_modified);
  // Written after the file last changed: unchanged without a request.
  BOOST_TEST(*start_unchanged_check(opt, file(10, written - 1), remote).decided);
  // Written before: ask the object for the mtime it carries.
  const walker::Entry newer = file(10, written + 5'000'000'000);
  const UnchangedCheck check = start_unchanged_check(opt, newer, remote);
  BOOST_TEST(!check.decided);
  BOOST_TEST(check.head_headers.empty());
  const std::string mtime = s3::format_mtime(newer.mtime_ns);
  BOOST_TEST(unchanged_after_head(opt, newer, head(true, {{"x-amz-meta-mtime", mtime}})).unchanged);
  BOOST_TEST(!unchanged_after_head(opt, newer, head(true, {{"x-amz-meta-mtime", "1"}})).unchanged);
  BOOST_TEST(!unchanged_after_head(opt, newer, head(false, {{"x-amz-meta-mtime", mtime}})).unchanged);
}

BOOST_AUTO_TEST_CASE(checksum_mode_asks_for_the_stored_checksum) {
  UploadOptions opt;
  opt.sync = SyncMode::Checksum;
  const s3::ListedObject remote{"k", "\"e\"", 10, "2026-01-01T00:00:00.000Z"};
  const UnchangedCheck check = start_unchanged_check(opt, file(10, 0), remote);
  BOOST_TEST(!check.decided);
  BOOST_REQUIRE(check.head_headers.size() == 1u);
  BOOST_TEST(check.head_headers[0].first == "x-amz-checksum-mode");
  // Nothing stored, nothing else to compare (no ETag, no mtime): upload.
  const SyncVerdict v = unchanged_after_head(opt, file(10, 0), head(true, {}));
  BOOST_TEST(!v.unchanged);
  BOOST_TEST((v.fallback == SyncFallback::SizeMtime));
  // md5: the ETag is compared (HeadObject returns it without asking).
  opt.checksum = s3::ChecksumAlgorithm::Md5;
  const UnchangedCheck md5 = start_unchanged_check(opt, file(10, 0), remote);
  BOOST_TEST(!md5.decided);
  BOOST_TEST(md5.head_headers.empty());
}

namespace {
// The multipart ETag of 5 MiB + 1 bytes of 'x' in 5 MiB parts: md5(md5(part 1) + md5(part 2)),
// computed independently (Python hashlib).
constexpr const char* kTwoParts = "a71cd6f620798b8c58d5fe8b0a3f12d4";
// A real file of `data`, removed at the end of the test.
struct TempFile {
  std::string path;
  walker::Entry entry;
  explicit TempFile(const std::string& data) {
    const char* base = std::getenv("S3UP_TEST_TMP");
    std::filesystem::create_directories(base ? base : "/tmp");
    path = std::string(base ? base : "/tmp") + "/sync_steps_" + std::to_string(::getpid());
    std::ofstream(path, std::ios::binary) << data;
    struct stat st {};
    ::stat(path.c_str(), &st);
    entry.path = path;
    entry.rel = "f";
    entry.size = data.size();
    entry.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  }
  ~TempFile() { std::remove(path.c_str()); }
};
}  // namespace

BOOST_AUTO_TEST_CASE(a_store_keeping_no_checksum_is_compared_by_etag_or_mtime) {
  UploadOptions opt;  // crc32c
  opt.sync = SyncMode::Checksum;
  opt.part_size = 4;
  TempFile f("hello");  // MD5 5d41402abc4b2a76b9719d911017c592
  // A single-PUT ETag: the file's MD5.
  SyncVerdict v = unchanged_after_head(opt, f.entry, head(true, {{"etag", "\"5d41402abc4b2a76b9719d911017c592\""}}));
  BOOST_TEST(v.unchanged);
  BOOST_TEST((v.fallback == SyncFallback::EtagMd5));
  v = unchanged_after_head(opt, f.entry, head(true, {{"etag", "\"00000000000000000000000000000000\""}}));
  BOOST_TEST(!v.unchanged);
  BOOST_TEST((v.fallback == SyncFallback::EtagMd5));
  // Another part count: not ours to recompute; by size and mtime then.
  const std::string mtime = s3::format_mtime(f.entry.mtime_ns);
  v = unchanged_after_head(opt, f.entry, head(true, {{"etag", "\"5d41402abc4b2a76b9719d911017c592-3\""},
                                                     {"x-amz-meta-mtime", mtime}}));
  BOOST_TEST(v.unchanged);
  BOOST_TEST((v.fallback == SyncFallback::SizeMtime));
  // --sync-checksum-strict: uploaded again instead.
  opt.sync_checksum_strict = true;
  v = unchanged_after_head(opt, f.entry, head(true, {{"etag", "\"opaque\""}, {"x-amz-meta-mtime", mtime}}));
  BOOST_TEST(!v.unchanged);
  BOOST_TEST((v.fallback == SyncFallback::Uploaded));
  // A stored checksum is compared as ever, without a fallback.
  v = unchanged_after_head(opt, f.entry, head(true, {{"x-amz-checksum-crc32c", "mnG7TA=="}}));
  BOOST_TEST(!v.fallback);
  // The notes name the algorithm and the way.
  BOOST_TEST(sync_fallback_note(opt, SyncFallback::EtagMd5).find("no CRC32C checksum") != std::string::npos);
  BOOST_TEST(sync_fallback_note(opt, SyncFallback::SizeMtime).find("size and modification time") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_multipart_etag_of_our_part_size_is_recomputed) {
  UploadOptions opt;
  opt.sync = SyncMode::Checksum;
  opt.checksum = s3::ChecksumAlgorithm::Md5;
  opt.part_size = 5ull << 20;
  TempFile f(std::string((5u << 20) + 1, 'x'));
  const std::string etag = "\"" + std::string(kTwoParts) + "-2\"";
  BOOST_TEST(unchanged_after_head(opt, f.entry, head(true, {{"etag", etag}})).unchanged);
  BOOST_TEST(!unchanged_after_head(opt, f.entry, head(true, {{"etag", "\"00000000000000000000000000000000-2\""}})).unchanged);
}

BOOST_AUTO_TEST_SUITE_END()
