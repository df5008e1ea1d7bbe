// The multipart part bookkeeping both engines share: require_part_etag, fill_part_slot and match_resumed_parts
// (resuming from the journal with a ListParts page).
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "engine/multipart_parts.hpp"
#include "engine/part_plan.hpp"

using namespace s3up;
using namespace s3up::engine;
using s3::ChecksumAlgorithm;

namespace {

JournalUpload open_upload(std::uint64_t size, std::uint64_t part_size,
                          std::vector<JournalPart> parts) {
  JournalUpload u{"k", "upload-1", size, 1000, part_size, {}};
  for (auto& p : parts) u.parts[p.number] = p;
  return u;
}

std::string etag(int n) { return "\"etag-" + std::to_string(n) + "\""; }
std::string sum(int n) { return "crc" + std::to_string(n) + "=="; }

}  // namespace

BOOST_AUTO_TEST_SUITE(verify_parts)

BOOST_AUTO_TEST_CASE(reply_without_an_etag_becomes_a_retryable_failure) {
  s3::OpResult r;
  r.ok = true;
  r.status = 200;
  require_part_etag(r, 7);
  BOOST_TEST(!r.ok);
  BOOST_TEST((r.error_class == s3::ErrorClass::Retryable));
  BOOST_TEST(r.message == "UploadPart 7: reply without an ETag");
}

BOOST_AUTO_TEST_CASE(reply_with_an_etag_or_failed_already_is_left_alone) {
  s3::OpResult good;
  good.ok = true;
  good.etag = "\"abc\"";
  require_part_etag(good, 1);
  BOOST_TEST(good.ok);
  BOOST_TEST(good.message.empty());

  s3::OpResult failed;
  failed.ok = false;
  failed.error_class = s3::ErrorClass::FailFile;
  failed.message = "UploadPart: HTTP 404 NoSuchUpload";
  require_part_etag(failed, 2);
  BOOST_TEST(!failed.ok);
  BOOST_TEST((failed.error_class == s3::ErrorClass::FailFile));
  BOOST_TEST(failed.message == "UploadPart: HTTP 404 NoSuchUpload");
}

BOOST_AUTO_TEST_CASE(fill_part_slot_names_the_checksum_element) {
  s3::CompletedPart slot{};
  fill_part_slot(slot, 3, "\"e3\"", ChecksumAlgorithm::Crc32c, "c3==");
  BOOST_TEST(slot.number == 3);
  BOOST_TEST(slot.etag == "\"e3\"");
  BOOST_TEST(slot.checksum_name == "ChecksumCRC32C");
  BOOST_TEST(slot.checksum_value == "c3==");

  fill_part_slot(slot, 4, "\"e4\"", ChecksumAlgorithm::Crc32, "c4==");
  BOOST_TEST(slot.checksum_name == "ChecksumCRC32");
  BOOST_TEST(slot.checksum_value == "c4==");
  fill_part_slot(slot, 5, "\"e5\"", ChecksumAlgorithm::Sha256, "c5==");
  BOOST_TEST(slot.checksum_name == "ChecksumSHA256");
  BOOST_TEST(slot.checksum_value == "c5==");
}

BOOST_AUTO_TEST_CASE(a_part_sent_without_its_checksum_is_completed_without_one) {
  // The store refused the flexible checksum headers: the part went with Content-MD5 only.
  s3::CompletedPart slot{};
  fill_part_slot(slot, 2, "\"e2\"", ChecksumAlgorithm::Crc32c, "");
  BOOST_TEST(slot.number == 2);
  BOOST_TEST(slot.etag == "\"e2\"");
  BOOST_TEST(slot.checksum_name.empty());
  BOOST_TEST(slot.checksum_value.empty());
}

BOOST_AUTO_TEST_CASE(fill_part_slot_without_part_checksums) {
  for (const auto algorithm : {ChecksumAlgorithm::Md5, ChecksumAlgorithm::None}) {
    s3::CompletedPart slot{};
    fill_part_slot(slot, 1, "\"e1\"", algorithm, "ignored==");
    BOOST_TEST(slot.number == 1);
    BOOST_TEST(slot.etag == "\"e1\"");
    BOOST_TEST(slot.checksum_name.empty());  // CompleteMultipartUpload carries no checksum
    BOOST_TEST(slot.checksum_value.empty());
  }
}

BOOST_AUTO_TEST_CASE(resumed_parts_that_match_the_plan_and_the_journal_are_done) {
  // 12 MiB in 5 MiB parts: 5, 5, 2.
  const PartPlan plan = plan_parts(12 * kMiB, 5 * kMiB);
  BOOST_TEST_REQUIRE(plan.part_count == 3u);
  const JournalUpload open = open_upload(
      12 * kMiB, 5 * kMiB,
      {{1, etag(1), sum(1), 5 * kMiB}, {2, etag(2), sum(2), 5 * kMiB}, {3, etag(3), sum(3), 2 * kMiB}});
  const std::vector<s3::ListedPart> listed = {
      {1, etag(1), 5 * kMiB, "listed1==", "", ""},
      {3, etag(3), 2 * kMiB, "listed3==", "", ""},  // the last part, shorter
  };
  std::vector<s3::CompletedPart> parts(plan.part_count);
  match_resumed_parts(listed, open, plan, ChecksumAlgorithm::Crc32c, parts);
  BOOST_TEST(parts[0].number == 1);
  BOOST_TEST(parts[0].etag == etag(1));
  BOOST_TEST(parts[0].checksum_name == "ChecksumCRC32C");
  BOOST_TEST(parts[0].checksum_value == sum(1));  // as sent, from the journal
  BOOST_TEST(parts[1].number == 0);  // not listed: to upload again
  BOOST_TEST(parts[1].etag.empty());
  BOOST_TEST(parts[2].number == 3);
  BOOST_TEST(parts[2].etag == etag(3));
  BOOST_TEST(parts[2].checksum_value == sum(3));
}

BOOST_AUTO_TEST_CASE(resumed_parts_that_disagree_are_uploaded_again) {
  const PartPlan plan = plan_parts(20 * kMiB, 5 * kMiB);  // 4 parts of 5 MiB
  BOOST_TEST_REQUIRE(plan.part_count == 4u);
  const JournalUpload open = open_upload(
      20 * kMiB, 5 * kMiB,
      {{1, etag(1), sum(1), 5 * kMiB}, {2, etag(2), sum(2), 5 * kMiB}, {4, etag(4), sum(4), 5 * kMiB}});
  const std::vector<s3::ListedPart> listed = {
      {1, "\"another\"", 5 * kMiB, "", "", ""},  // S3 holds another ETag than the journal
      {2, etag(2), 5 * kMiB - 1, "", "", ""},     // not the planned size
      {3, etag(3), 5 * kMiB, "", "", ""},         // the journal never recorded it
      {5, etag(5), 5 * kMiB, "", "", ""},         // beyond the plan
      {0, etag(0), 5 * kMiB, "", "", ""},         // not a part number
      {-1, etag(1), 5 * kMiB, "", "", ""},
      {4, etag(4), 5 * kMiB, "", "", ""},         // this one is fine
  };
  std::vector<s3::CompletedPart> parts(plan.part_count);
  match_resumed_parts(listed, open, plan, ChecksumAlgorithm::Crc32c, parts);
  for (std::size_t i = 0; i < 3; ++i) {
    BOOST_TEST_CONTEXT("part " << i + 1) {
      BOOST_TEST(parts[i].number == 0);
      BOOST_TEST(parts[i].etag.empty());
    }
  }
  BOOST_TEST(parts[3].number == 4);
  BOOST_TEST(parts[3].etag == etag(4));
}

BOOST_AUTO_TEST_CASE(resumed_parts_of_another_part_size_do_not_match) {
  // The journal's parts were 8 MiB; the plan is 5 MiB now: a listed part must have the size
  // the plan gives its number.
  const PartPlan plan = plan_parts(16 * kMiB, 5 * kMiB);  // 5, 5, 5, 1
  BOOST_TEST_REQUIRE(plan.part_count == 4u);
  const JournalUpload open =
      open_upload(16 * kMiB, 8 * kMiB, {{1, etag(1), "", 8 * kMiB}, {2, etag(2), "", 8 * kMiB}});
  const std::vector<s3::ListedPart> listed = {{1, etag(1), 8 * kMiB, "", "", ""},
                                              {2, etag(2), 8 * kMiB, "", "", ""}};
  std::vector<s3::CompletedPart> parts(plan.part_count);
  match_resumed_parts(listed, open, plan, ChecksumAlgorithm::None, parts);
  for (const auto& p : parts) BOOST_TEST(p.number == 0);
}

BOOST_AUTO_TEST_CASE(resumed_parts_without_part_checksums) {
  const PartPlan plan = plan_parts(10 * kMiB, 5 * kMiB);
  BOOST_TEST_REQUIRE(plan.part_count == 2u);
  const JournalUpload open =
      open_upload(10 * kMiB, 5 * kMiB, {{1, etag(1), "", 5 * kMiB}, {2, etag(2), "", 5 * kMiB}});
  const std::vector<s3::ListedPart> listed = {{2, etag(2), 5 * kMiB, "", "", ""},
                                              {1, etag(1), 5 * kMiB, "", "", ""}};  // any order
  std::vector<s3::CompletedPart> parts(plan.part_count);
  match_resumed_parts(listed, open, plan, ChecksumAlgorithm::Md5, parts);
  BOOST_TEST(parts[0].number == 1);
  BOOST_TEST(parts[1].number == 2);
  BOOST_TEST(parts[0].checksum_name.empty());
  BOOST_TEST(parts[1].checksum_value.empty());
}

BOOST_AUTO_TEST_CASE(several_pages_fill_the_same_slots) {
  const PartPlan plan = plan_parts(15 * kMiB, 5 * kMiB);
  BOOST_TEST_REQUIRE(plan.part_count == 3u);
  const JournalUpload open = open_upload(
      15 * kMiB, 5 * kMiB,
      {{1, etag(1), sum(1), 5 * kMiB}, {2, etag(2), sum(2), 5 * kMiB}, {3, etag(3), sum(3), 5 * kMiB}});
  std::vector<s3::CompletedPart> parts(plan.part_count);
  match_resumed_parts({{1, etag(1), 5 * kMiB, "", "", ""}}, open, plan, ChecksumAlgorithm::Sha256, parts);
  match_resumed_parts({{2, etag(2), 5 * kMiB, "", "", ""}, {3, etag(3), 5 * kMiB, "", "", ""}},
                      open, plan, ChecksumAlgorithm::Sha256, parts);
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(parts[static_cast<std::size_t>(i)].number == i + 1);
    BOOST_TEST(parts[static_cast<std::size_t>(i)].checksum_name == "ChecksumSHA256");
    BOOST_TEST(parts[static_cast<std::size_t>(i)].checksum_value == sum(i + 1));
  }
}

BOOST_AUTO_TEST_SUITE_END()
