// Multipart part planning at the edges of S3's limits.
#include <boost/test/unit_test.hpp>

#include "engine/part_plan.hpp"

using namespace s3up::engine;

namespace {

// Every plan must cover the object exactly, within S3's limits.
void check_valid(std::uint64_t size, const PartPlan& p) {
  BOOST_TEST_REQUIRE(p.part_count >= 1u);
  BOOST_TEST(p.part_count <= kMaxParts);
  BOOST_TEST(p.part_size >= kMinPartSize);
  BOOST_TEST(p.part_size <= kMaxPartSize);
  BOOST_TEST(p.last_part_size <= p.part_size);
  BOOST_TEST((p.part_count - 1) * p.part_size + p.last_part_size == size);
  if (size > 0) BOOST_TEST(p.last_part_size > 0u);
  BOOST_TEST(p.offset(p.part_count - 1) + p.length(p.part_count - 1) == size);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(part_plan)

BOOST_AUTO_TEST_CASE(empty_object_is_one_empty_part) {
  const auto p = plan_parts(0, 8 * kMiB);
  BOOST_TEST(p.part_count == 1u);
  BOOST_TEST(p.last_part_size == 0u);
  check_valid(0, p);
}

BOOST_AUTO_TEST_CASE(one_byte) {
  const auto p = plan_parts(1, 8 * kMiB);
  BOOST_TEST(p.part_count == 1u);
  BOOST_TEST(p.last_part_size == 1u);
  check_valid(1, p);
}

BOOST_AUTO_TEST_CASE(exact_multiple_and_one_more) {
  const std::uint64_t part = 8 * kMiB;
  auto p = plan_parts(4 * part, part);
  BOOST_TEST(p.part_count == 4u);
  BOOST_TEST(p.last_part_size == part);
  check_valid(4 * part, p);
  p = plan_parts(4 * part + 1, part);
  BOOST_TEST(p.part_count == 5u);
  BOOST_TEST(p.last_part_size == 1u);
  check_valid(4 * part + 1, p);
}

BOOST_AUTO_TEST_CASE(threshold_and_threshold_plus_one) {
  const std::uint64_t threshold = 64 * kMiB, part = 16 * kMiB;
  auto p = plan_parts(threshold, part);
  BOOST_TEST(p.part_count == 4u);
  check_valid(threshold, p);
  p = plan_parts(threshold + 1, part);
  BOOST_TEST(p.part_count == 5u);
  BOOST_TEST(p.last_part_size == 1u);
  check_valid(threshold + 1, p);
}

BOOST_AUTO_TEST_CASE(requested_size_clamped_to_s3_limits) {
  auto p = plan_parts(100 * kMiB, 1 * kMiB);
  BOOST_TEST(p.part_size == kMinPartSize);
  BOOST_TEST(p.part_count == 20u);
  check_valid(100 * kMiB, p);
  p = plan_parts(20 * kGiB, 10 * kGiB);
  BOOST_TEST(p.part_size == kMaxPartSize);
  BOOST_TEST(p.part_count == 4u);
  check_valid(20 * kGiB, p);
}

BOOST_AUTO_TEST_CASE(grows_past_ten_thousand_parts) {
  // 10,000 parts of 8 MiB fit exactly; one byte more needs a bigger part.
  const std::uint64_t part = 8 * kMiB;
  auto p = plan_parts(kMaxParts * part, part);
  BOOST_TEST(p.part_size == part);
  BOOST_TEST(p.part_count == kMaxParts);
  check_valid(kMaxParts * part, p);
  p = plan_parts(kMaxParts * part + 1, part);
  BOOST_TEST(p.part_size == part + kMiB);
  BOOST_TEST(p.part_count <= kMaxParts);
  check_valid(kMaxParts * part + 1, p);
  // 1 TiB with 8 MiB parts: 105 MiB parts (1 TiB / 10,000 rounded up to whole MiB).
  const std::uint64_t tib = 1024 * kGiB;
  p = plan_parts(tib, part);
  BOOST_TEST(p.part_size == 105 * kMiB);
  check_valid(tib, p);
}

BOOST_AUTO_TEST_CASE(maximum_object_size) {
  auto p = plan_parts(kMaxObjectSize, 8 * kMiB);
  check_valid(kMaxObjectSize, p);
  BOOST_TEST(p.part_size == 525 * kMiB);  // ceil(5 TiB / 10,000) rounded up to whole MiB
  BOOST_TEST(p.part_count == 9987u);
  // Beyond S3's largest object there is no plan.
  p = plan_parts(kMaxObjectSize + 1, 8 * kMiB);
  BOOST_TEST(p.part_count == 0u);
}

BOOST_AUTO_TEST_CASE(sweep_sizes_all_valid) {
  for (std::uint64_t size : {5 * kMiB - 1, 5 * kMiB, 5 * kMiB + 1, std::uint64_t{123456789}, 7 * kGiB + 3,
                             80 * kGiB, 999 * kGiB, 4 * 1024 * kGiB})
    for (std::uint64_t part : {5 * kMiB, 8 * kMiB, 16 * kMiB, 100 * kMiB, kGiB})
      check_valid(size, plan_parts(size, part));
}

// Without --part-size, files of 8-64 MiB (the default threshold up to four default parts) go in
// two to four parts of whole MiB, at least 5 MiB, instead of one or two of 16 MiB.
BOOST_AUTO_TEST_CASE(spread_cuts_smaller_objects_into_four_parts_of_at_least_5_mib) {
  const std::uint64_t part = 16 * kMiB;
  // Just over the default threshold (the tree's 8,417,971-byte file): 5 MiB and the rest.
  auto p = plan_parts(8417971, part, true);
  BOOST_TEST(p.part_count == 2u);
  BOOST_TEST(p.part_size == 5 * kMiB);
  BOOST_TEST(p.last_part_size == 8417971 - 5 * kMiB);
  check_valid(8417971, p);
  // 20 MiB: four of 5 MiB; 20 MiB + 1: a quarter rounds up to 6 MiB, four parts.
  p = plan_parts(20 * kMiB, part, true);
  BOOST_TEST(p.part_count == 4u);
  BOOST_TEST(p.part_size == 5 * kMiB);
  p = plan_parts(20 * kMiB + 1, part, true);
  BOOST_TEST(p.part_count == 4u);
  BOOST_TEST(p.part_size == 6 * kMiB);
  // 30 MiB: 8, 8, 8 and 6.
  p = plan_parts(30 * kMiB, part, true);
  BOOST_TEST(p.part_count == 4u);
  BOOST_TEST(p.part_size == 8 * kMiB);
  BOOST_TEST(p.last_part_size == 6 * kMiB);
  // Just under four default parts: 16 MiB parts, four of them; from there on, unchanged.
  p = plan_parts(64 * kMiB - 1, part, true);
  BOOST_TEST(p.part_size == 16 * kMiB);
  BOOST_TEST(p.part_count == 4u);
  for (std::uint64_t size : {64 * kMiB, 64 * kMiB + 1, 100 * kMiB + 12345, 7 * kGiB + 3}) {
    const auto spread = plan_parts(size, part, true);
    const auto plain = plan_parts(size, part);
    BOOST_TEST(spread.part_size == plain.part_size);
    BOOST_TEST(spread.part_count == plain.part_count);
  }
  // A part size the user chose (spread false) is kept.
  p = plan_parts(30 * kMiB, part, false);
  BOOST_TEST(p.part_size == 16 * kMiB);
  BOOST_TEST(p.part_count == 2u);
  p = plan_parts(30 * kMiB, 6 * kMiB, false);
  BOOST_TEST(p.part_size == 6 * kMiB);
  BOOST_TEST(p.part_count == 5u);
  // Small objects (below 5 MiB) stay one part; every spread plan is valid.
  p = plan_parts(3 * kMiB, part, true);
  BOOST_TEST(p.part_count == 1u);
  for (std::uint64_t size = 0; size <= 70 * kMiB; size += 777777)
    for (std::uint64_t requested : {5 * kMiB, 8 * kMiB, 16 * kMiB, 100 * kMiB})
      check_valid(size, plan_parts(size, requested, true));
}

BOOST_AUTO_TEST_CASE(connections_for_parts_bounded_by_memory_limit_and_those_open) {
  // Each part under way holds its streamed window (1 MiB). 2 x 100 MiB in 16 MiB parts at the
  // defaults: each upload's 7 parts get a connection.
  BOOST_TEST(connections_for_parts(7, 1 * kMiB, 512 * kMiB, 64, 0) == 7u);
  BOOST_TEST(connections_for_parts(7, 1 * kMiB, 512 * kMiB, 64, 7) == 7u);
  // --concurrency 8: the second upload gets what is left.
  BOOST_TEST(connections_for_parts(7, 1 * kMiB, 512 * kMiB, 8, 7) == 1u);
  BOOST_TEST(connections_for_parts(7, 1 * kMiB, 512 * kMiB, 8, 8) == 0u);
  BOOST_TEST(connections_for_parts(7, 1 * kMiB, 512 * kMiB, 8, 20) == 0u);
  // Only the parts --max-memory holds at once start at once.
  BOOST_TEST(connections_for_parts(100, 1 * kMiB, 4 * kMiB, 64, 0) == 4u);
  BOOST_TEST(connections_for_parts(100, 16 * kMiB, 64 * kMiB, 64, 0) == 4u);
  // A part holding more than --max-memory still goes (alone).
  BOOST_TEST(connections_for_parts(3, 1 * kGiB, 64 * kMiB, 64, 0) == 1u);
  BOOST_TEST(connections_for_parts(0, 1 * kMiB, 512 * kMiB, 64, 0) == 0u);
  BOOST_TEST(connections_for_parts(5, 0, 512 * kMiB, 64, 0) == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
