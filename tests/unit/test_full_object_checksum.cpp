// Full-object and composite multipart checksums: s3::full_object_checksum / composite_checksum
// (values from the parts' checksums), the engine's steps around them (which upload gets which
// type, resuming, checking what CompleteMultipartUpload says it stored), the journal fields,
// --sync-checksum against both kinds of stored value, and s3-testserver's side (the type an
// upload gets, the value it stores, BadDigest for a wrong one).
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <string>
#include <vector>

#include "engine/journal.hpp"
#include "engine/multipart_parts.hpp"
#include "engine/sync.hpp"
#include "s3/full_object_checksum.hpp"
#include "server/errors.hpp"
#include "server/multipart_checksum.hpp"
#include "temp_tree.hpp"
#include "util/crypto.hpp"

using namespace s3up;
using s3::ChecksumAlgorithm;
using s3up::util::as_bytes;

namespace {

constexpr ChecksumAlgorithm kCrcs[] = {ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Crc32c,
                                       ChecksumAlgorithm::Crc64nvme};

// "0123456789" repeated to `n` bytes, cut into parts of `part` bytes: the parts' checksums as
// the slots of an upload hold them, and the plan.
struct Split {
  std::string data;
  engine::PartPlan plan;
  std::vector<s3::CompletedPart> slots;
};
Split split(std::size_t n, std::size_t part, ChecksumAlgorithm algo) {
  Split s;
  for (std::size_t i = 0; i < n; ++i) s.data += static_cast<char>('0' + i % 10);
  s.plan.part_size = part;
  s.plan.part_count = (n + part - 1) / part;
  s.plan.last_part_size = n - (s.plan.part_count - 1) * part;
  for (std::uint64_t i = 0; i < s.plan.part_count; ++i) {
    s3::CompletedPart slot;
    engine::fill_part_slot(slot, static_cast<int>(i + 1), "\"etag\"", algo,
                           s3::checksum_of(algo, as_bytes(std::string_view(s.data).substr(
                                                      s.plan.offset(i), s.plan.length(i)))));
    s.slots.push_back(slot);
  }
  return s;
}

s3::OpResult complete_reply(const std::string& element, const std::string& value) {
  s3::OpResult r;
  r.ok = true;
  r.body = "<?xml version=\"1.0\"?><CompleteMultipartUploadResult><ETag>\"e-3\"</ETag><" +
           element + ">" + value + "</" + element +
           "><ChecksumType>FULL_OBJECT</ChecksumType></CompleteMultipartUploadResult>";
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(full_object_checksum)

BOOST_AUTO_TEST_CASE(types_by_algorithm) {
  for (auto a : kCrcs) BOOST_TEST(s3::multipart_checksum_type(a) == "FULL_OBJECT");
  BOOST_TEST(s3::multipart_checksum_type(ChecksumAlgorithm::Sha256) == "COMPOSITE");
  BOOST_TEST(s3::multipart_checksum_type(ChecksumAlgorithm::Md5) == "");
  BOOST_TEST(s3::multipart_checksum_type(ChecksumAlgorithm::None) == "");
  BOOST_TEST(!s3::supports_full_object(ChecksumAlgorithm::Sha256));
}

// The value combined from the parts is the checksum of the whole data, whatever the part size.
BOOST_AUTO_TEST_CASE(full_object_equals_whole_file_checksum) {
  for (auto algo : kCrcs) {
    BOOST_TEST_CONTEXT(s3::to_string(algo)) {
      for (std::size_t part : {1, 7, 1000, 4096, 100000}) {
        const Split s = split(100000, part, algo);
        BOOST_TEST(*engine::full_object_checksum(s.slots, s.plan, algo) ==
                   s3::checksum_of(algo, as_bytes(s.data)));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(full_object_needs_every_part_checksum) {
  Split s = split(1000, 300, ChecksumAlgorithm::Crc64nvme);
  s.slots[2].checksum_value.clear();
  BOOST_TEST(!engine::full_object_checksum(s.slots, s.plan, ChecksumAlgorithm::Crc64nvme));
  // A CRC32 value is not a CRC-64.
  const Split c = split(1000, 300, ChecksumAlgorithm::Crc32);
  BOOST_TEST(!engine::full_object_checksum(c.slots, c.plan, ChecksumAlgorithm::Crc64nvme));
  BOOST_TEST(!engine::full_object_checksum(c.slots, c.plan, ChecksumAlgorithm::Sha256));
  const std::vector<s3::PartChecksum> none;
  BOOST_TEST(!s3::full_object_checksum(ChecksumAlgorithm::Crc32, none));
  const std::vector<s3::PartChecksum> bad{{"not base64!", 3}};
  BOOST_TEST(!s3::full_object_checksum(ChecksumAlgorithm::Crc32, bad));
}

BOOST_AUTO_TEST_CASE(composite_is_checksum_of_checksums_with_count) {
  // SHA-256 of the two part digests, as S3 documents it; "-2" for two parts.
  const std::string a = s3::checksum_of(ChecksumAlgorithm::Sha256, as_bytes("hello "));
  const std::string b = s3::checksum_of(ChecksumAlgorithm::Sha256, as_bytes("world"));
  const std::vector<s3::PartChecksum> parts{{a, 6}, {b, 5}};
  const std::string joined = *util::base64_decode(a) + *util::base64_decode(b);
  BOOST_TEST(*s3::composite_checksum(ChecksumAlgorithm::Sha256, parts) ==
             s3::checksum_of(ChecksumAlgorithm::Sha256, as_bytes(joined)) + "-2");
  BOOST_TEST(!s3::composite_checksum(ChecksumAlgorithm::Md5, parts));
}

BOOST_AUTO_TEST_CASE(completed_checksum_that_matches_or_is_absent) {
  const auto algo = ChecksumAlgorithm::Crc64nvme;
  const Split s = split(20000, 6000, algo);
  const std::string full = s3::checksum_of(algo, as_bytes(s.data));
  BOOST_TEST(!engine::verify_completed_checksum(complete_reply("ChecksumCRC64NVME", full),
                                                s.slots, s.plan, algo));
  // Nothing named (moto names none): nothing to compare.
  s3::OpResult plain;
  plain.ok = true;
  plain.body = "<CompleteMultipartUploadResult><ETag>\"e-4\"</ETag></CompleteMultipartUploadResult>";
  BOOST_TEST(!engine::verify_completed_checksum(plain, s.slots, s.plan, algo));
  // Another algorithm's element does not count.
  BOOST_TEST(!engine::verify_completed_checksum(complete_reply("ChecksumCRC32", "AAAAAA=="),
                                                s.slots, s.plan, algo));
  // A header does as well as the element.
  plain.headers.emplace_back("x-amz-checksum-crc64nvme", full);
  BOOST_TEST(!engine::verify_completed_checksum(plain, s.slots, s.plan, algo));
}

BOOST_AUTO_TEST_CASE(completed_checksum_that_differs_fails_the_file) {
  const auto algo = ChecksumAlgorithm::Crc32c;
  const Split s = split(20000, 6000, algo);
  const auto bad = engine::verify_completed_checksum(complete_reply("ChecksumCRC32C", "AAAAAA=="),
                                                     s.slots, s.plan, algo);
  BOOST_REQUIRE(bad);
  BOOST_TEST(bad->find("stored a crc32c checksum (AAAAAA==)") != std::string::npos);
  BOOST_TEST(bad->find(s3::checksum_of(algo, as_bytes(s.data))) != std::string::npos);
  s3::OpResult header_only;
  header_only.ok = true;
  header_only.headers.emplace_back("x-amz-checksum-crc32c", "AAAAAA==");
  BOOST_TEST(engine::verify_completed_checksum(header_only, s.slots, s.plan, algo).has_value());
}

// A store that ignored FULL_OBJECT and stored a COMPOSITE value: checked as such.
BOOST_AUTO_TEST_CASE(completed_composite_checksum_is_checked_as_composite) {
  const auto algo = ChecksumAlgorithm::Crc32;
  const Split s = split(20000, 6000, algo);
  std::vector<s3::PartChecksum> pieces;
  for (std::size_t i = 0; i < s.slots.size(); ++i)
    pieces.push_back({s.slots[i].checksum_value, s.plan.length(i)});
  const std::string composite = *s3::composite_checksum(algo, pieces);
  BOOST_TEST(composite.ends_with("-4"));
  BOOST_TEST(!engine::verify_completed_checksum(complete_reply("ChecksumCRC32", composite),
                                                s.slots, s.plan, algo));
  BOOST_TEST(engine::verify_completed_checksum(complete_reply("ChecksumCRC32", "AAAAAA==-4"),
                                               s.slots, s.plan, algo)
                 .has_value());
}

BOOST_AUTO_TEST_CASE(resuming_needs_the_same_algorithm) {
  engine::JournalUpload open{"k", "u", 10, 1, 5, {}};
  BOOST_TEST(engine::resumable_checksum(open, ChecksumAlgorithm::Crc64nvme));  // an older record
  open.checksum = "crc32c";
  open.checksum_type = "FULL_OBJECT";
  BOOST_TEST(engine::resumable_checksum(open, ChecksumAlgorithm::Crc32c));
  BOOST_TEST(!engine::resumable_checksum(open, ChecksumAlgorithm::Crc64nvme));
  BOOST_TEST(!engine::resumable_checksum(open, ChecksumAlgorithm::Sha256));
}

BOOST_AUTO_TEST_CASE(journal_keeps_the_upload_checksum) {
  test::TempTree tree;
  const std::string path = tree.path("journal");
  {
    engine::Journal j(path, "s3://b/ @ e");
    j.record_upload_started({"a", "U1", 10, 1, 5, {}, "crc64nvme", "FULL_OBJECT"});
    j.record_upload_started({"b", "U2", 10, 1, 5, {}});  // as before: nothing recorded
    j.close();
  }
  engine::Journal j(path, "s3://b/ @ e");
  const auto a = j.open_upload("a");
  BOOST_REQUIRE(a);
  BOOST_TEST(a->checksum == "crc64nvme");
  BOOST_TEST(a->checksum_type == "FULL_OBJECT");
  const auto b = j.open_upload("b");
  BOOST_REQUIRE(b);
  BOOST_TEST(b->checksum == "");
  BOOST_TEST(b->checksum_type == "");
  j.close();
}

// --sync-checksum: a FULL_OBJECT value is the file's own CRC, compared directly; a "-N" value
// (an earlier COMPOSITE upload) is recomputed with the part plan.
BOOST_AUTO_TEST_CASE(sync_compares_full_object_and_composite_values) {
  test::TempTree tree;
  const std::size_t size = 11 << 20;  // parts of 5, 5 and 1 MiB
  tree.file("f", size);
  struct stat st {};
  BOOST_REQUIRE(::stat(tree.path("f").c_str(), &st) == 0);
  walker::Entry e;
  e.path = tree.path("f");
  e.rel = "f";
  e.size = size;
  e.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  const std::string data(size, 'x');
  for (auto algo : kCrcs) {
    BOOST_TEST_CONTEXT(s3::to_string(algo)) {
      engine::UploadOptions opt;
      opt.sync = engine::SyncMode::Checksum;
      opt.checksum = algo;
      opt.part_size = 5 << 20;
      const std::string header(s3::header_name(algo));
      const auto head = [&](const std::string& value, const char* type) {
        s3::OpResult r;
        r.ok = true;
        r.headers = {{header, value}, {"x-amz-checksum-type", type}};
        return r;
      };
      const std::string full = s3::checksum_of(algo, as_bytes(data));
      BOOST_TEST(engine::unchanged_after_head(opt, e, head(full, "FULL_OBJECT")).unchanged);
      const std::string five = s3::checksum_of(algo, as_bytes(data.substr(0, 5 << 20)));
      const std::string one = s3::checksum_of(algo, as_bytes(data.substr(0, 1 << 20)));
      const std::vector<s3::PartChecksum> parts{{five, 5 << 20}, {five, 5 << 20}, {one, 1 << 20}};
      const std::string composite = *s3::composite_checksum(algo, parts);
      BOOST_TEST(engine::unchanged_after_head(opt, e, head(composite, "COMPOSITE")).unchanged);
      BOOST_TEST(!engine::unchanged_after_head(opt, e, head(s3::checksum_of(algo, {}), "FULL_OBJECT")).unchanged);
      BOOST_TEST(!engine::unchanged_after_head(opt, e, head(full + "-3", "COMPOSITE")).unchanged);
    }
  }
}

BOOST_AUTO_TEST_CASE(testserver_upload_types) {
  using testserver::upload_checksum_type;
  BOOST_TEST(upload_checksum_type("CRC64NVME", "") == "FULL_OBJECT");
  BOOST_TEST(upload_checksum_type("CRC32C", "") == "COMPOSITE");
  BOOST_TEST(upload_checksum_type("CRC32C", "full_object") == "FULL_OBJECT");
  BOOST_TEST(upload_checksum_type("SHA256", "COMPOSITE") == "COMPOSITE");
  BOOST_TEST(upload_checksum_type("", "") == "");
  BOOST_CHECK_THROW(upload_checksum_type("SHA256", "FULL_OBJECT"), testserver::S3Error);
  BOOST_CHECK_THROW(upload_checksum_type("CRC64NVME", "COMPOSITE"), testserver::S3Error);
  BOOST_CHECK_THROW(upload_checksum_type("CRC32", "LINEAR"), testserver::S3Error);
  BOOST_CHECK_THROW(upload_checksum_type("", "FULL_OBJECT"), testserver::S3Error);
}

BOOST_AUTO_TEST_CASE(testserver_completes_with_the_full_object_checksum) {
  const auto algo = ChecksumAlgorithm::Crc64nvme;
  const Split s = split(20000, 6000, algo);
  std::vector<testserver::PartInfo> parts;
  for (std::size_t i = 0; i < s.slots.size(); ++i) {
    testserver::PartInfo p;
    p.size = s.plan.length(i);
    p.checksums.emplace_back("x-amz-checksum-crc64nvme", s.slots[i].checksum_value);
    parts.push_back(p);
  }
  const std::string full = s3::checksum_of(algo, as_bytes(s.data));
  const auto stored = testserver::object_checksums("CRC64NVME", "FULL_OBJECT", parts,
                                                   {"FULL_OBJECT", "x-amz-checksum-crc64nvme", full});
  BOOST_TEST(stored.type == "FULL_OBJECT");
  BOOST_REQUIRE(stored.checksums.size() == 1u);
  BOOST_TEST(stored.checksums[0].second == full);
  // Nothing named by the request: stored all the same.
  BOOST_TEST(testserver::object_checksums("CRC64NVME", "FULL_OBJECT", parts, {}).checksums[0].second ==
             full);
  // A wrong value, or a type other than the upload's: BadDigest.
  try {
    testserver::object_checksums("CRC64NVME", "FULL_OBJECT", parts,
                                 {"", "x-amz-checksum-crc64nvme", "AAAAAAAAAAA="});
    BOOST_FAIL("no BadDigest");
  } catch (const testserver::S3Error& e) {
    BOOST_TEST(e.code() == "BadDigest");
    BOOST_TEST(e.status() == 400u);
  }
  BOOST_CHECK_THROW(testserver::object_checksums("CRC64NVME", "FULL_OBJECT", parts,
                                                 {"COMPOSITE", "", ""}),
                    testserver::S3Error);
}

BOOST_AUTO_TEST_SUITE_END()
