// The transport-free steps of --sync that both engines drive: the listing cursor merged with
// the walk, and the unchanged check (decision from the listing, or from a HeadObject reply).
#include <boost/test/unit_test.hpp>

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
  BOOST_TEST(unchanged_after_head(opt, newer, head(true, {{"x-amz-meta-mtime", mtime}})));
  BOOST_TEST(!unchanged_after_head(opt, newer, head(true, {{"x-amz-meta-mtime", "1"}})));
  BOOST_TEST(!unchanged_after_head(opt, newer, head(false, {{"x-amz-meta-mtime", mtime}})));
}

BOOST_AUTO_TEST_CASE(checksum_mode_asks_for_the_stored_checksum) {
  UploadOptions opt;
  opt.sync = SyncMode::Checksum;
  const s3::ListedObject remote{"k", "\"e\"", 10, "2026-01-01T00:00:00.000Z"};
  const UnchangedCheck check = start_unchanged_check(opt, file(10, 0), remote);
  BOOST_TEST(!check.decided);
  BOOST_REQUIRE(check.head_headers.size() == 1u);
  BOOST_TEST(check.head_headers[0].first == "x-amz-checksum-mode");
  // Nothing stored to compare: upload.
  BOOST_TEST(!unchanged_after_head(opt, file(10, 0), head(true, {})));
  opt.checksum = s3::ChecksumAlgorithm::Md5;
  BOOST_TEST(!*start_unchanged_check(opt, file(10, 0), remote).decided);
}

BOOST_AUTO_TEST_SUITE_END()
