// The machine's CPU use from /proc/stat's first line: parsing and the busy share between two
// readings.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <string>

#include "temp_tree.hpp"
#include "util/cpu_load.hpp"

using s3up::util::busy_share;
using s3up::util::CpuTimes;
using s3up::util::parse_cpu_times;
using s3up::util::read_cpu_times;

BOOST_AUTO_TEST_SUITE(cpu_load)

BOOST_AUTO_TEST_CASE(the_first_line_sums_eight_fields_and_counts_iowait_as_idle) {
  // user nice system idle iowait irq softirq steal guest guest_nice (guest is in user already)
  const auto t = parse_cpu_times("cpu  100 5 50 800 20 3 2 10 40 1\n");
  BOOST_TEST_REQUIRE(t.has_value());
  BOOST_TEST(t->total == 990u);
  BOOST_TEST(t->idle == 820u);
  // Older kernels give fewer fields: four at least.
  const auto old = parse_cpu_times("cpu 1 2 3 4");
  BOOST_TEST_REQUIRE(old.has_value());
  BOOST_TEST(old->total == 10u);
  BOOST_TEST(old->idle == 4u);
}

BOOST_AUTO_TEST_CASE(anything_else_is_not_a_reading) {
  BOOST_TEST(!parse_cpu_times("").has_value());
  BOOST_TEST(!parse_cpu_times("cpu0 1 2 3 4 5").has_value());  // one core's line
  BOOST_TEST(!parse_cpu_times("intr 1 2 3 4 5").has_value());
  BOOST_TEST(!parse_cpu_times("cpu 1 2 3").has_value());
  BOOST_TEST(!parse_cpu_times("cpu 1 2 x 4 5").has_value());
  BOOST_TEST(!parse_cpu_times("cpu 1 2 3 4x 5").has_value());
  BOOST_TEST(!parse_cpu_times("cpu -1 2 3 4 5").has_value());
}

BOOST_AUTO_TEST_CASE(the_busy_share_is_the_time_not_idle_between_two_readings) {
  const CpuTimes before{1000, 600};
  const auto share = busy_share(before, CpuTimes{1200, 650});  // 200 ticks, 50 of them idle
  BOOST_TEST_REQUIRE(share.has_value());
  BOOST_TEST(*share == 0.75, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(*busy_share(before, CpuTimes{1100, 700}) == 0.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(*busy_share(before, CpuTimes{1100, 600}) == 1.0, boost::test_tools::tolerance(1e-9));
  // No tick between them, counters gone back, or more idle than time: no share.
  BOOST_TEST(!busy_share(before, before).has_value());
  BOOST_TEST(!busy_share(before, CpuTimes{900, 500}).has_value());
  BOOST_TEST(!busy_share(before, CpuTimes{1100, 550}).has_value());
  BOOST_TEST(!busy_share(before, CpuTimes{1100, 800}).has_value());
}

BOOST_AUTO_TEST_CASE(a_file_is_read_by_its_first_line) {
  s3up::test::TempTree dir;
  const std::string path = dir.path("stat");
  {
    std::ofstream out(path);
    out << "cpu  7 0 3 90 0 0 0 0 0 0\ncpu0 7 0 3 90 0 0 0 0 0 0\nintr 5\n";
  }
  const auto t = read_cpu_times(path);
  BOOST_TEST_REQUIRE(t.has_value());
  BOOST_TEST(t->total == 100u);
  BOOST_TEST(t->idle == 90u);
  BOOST_TEST(!read_cpu_times(dir.path("missing")).has_value());
  // This machine's own (Linux): readable, and the counters only grow.
  const auto a = read_cpu_times();
  BOOST_TEST_REQUIRE(a.has_value());
  const auto b = read_cpu_times();
  BOOST_TEST_REQUIRE(b.has_value());
  BOOST_TEST(b->total >= a->total);
  BOOST_TEST(b->idle >= a->idle);
}

BOOST_AUTO_TEST_SUITE_END()
