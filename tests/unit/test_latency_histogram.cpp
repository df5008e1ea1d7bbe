// Latency buckets and quantiles between snapshots.
#include <boost/test/unit_test.hpp>

#include <thread>
#include <vector>

#include "engine/latency_histogram.hpp"

using namespace s3up::engine;
using std::chrono::microseconds;

BOOST_AUTO_TEST_SUITE(latency_histogram)

BOOST_AUTO_TEST_CASE(buckets_are_monotonic_and_within_ten_percent) {
  int last = -1;
  for (std::int64_t us = 1; us < 100'000'000; us = us * 11 / 10 + 1) {
    const int b = LatencyHistogram::bucket_of(microseconds(us));
    BOOST_TEST(b >= last);
    last = b;
    const double mid = LatencyHistogram::bucket_middle(b);
    BOOST_TEST(mid / static_cast<double>(us) < 1.1);
    BOOST_TEST(mid / static_cast<double>(us) > 0.9);
  }
  BOOST_TEST(LatencyHistogram::bucket_of(microseconds(0)) == 0);
  BOOST_TEST(LatencyHistogram::bucket_of(microseconds(-5)) == 0);
}

BOOST_AUTO_TEST_CASE(median_between_snapshots) {
  LatencyHistogram h;
  for (int i = 0; i < 100; ++i) h.record(microseconds(1000));
  const auto first = h.snapshot();
  BOOST_TEST(LatencyHistogram::count(first, {}) == 100u);
  BOOST_TEST(LatencyHistogram::quantile(first, {}, 0.5) == 1000, boost::test_tools::tolerance(0.1));
  for (int i = 0; i < 30; ++i) h.record(microseconds(5000));
  for (int i = 0; i < 70; ++i) h.record(microseconds(20000));
  const auto second = h.snapshot();
  // Only what was recorded in between counts.
  BOOST_TEST(LatencyHistogram::count(second, first) == 100u);
  BOOST_TEST(LatencyHistogram::quantile(second, first, 0.5) == 20000, boost::test_tools::tolerance(0.1));
  BOOST_TEST(LatencyHistogram::quantile(second, first, 0.2) == 5000, boost::test_tools::tolerance(0.1));
  BOOST_TEST(LatencyHistogram::quantile(second, second, 0.5) == 0);
}

BOOST_AUTO_TEST_CASE(records_from_many_threads) {
  LatencyHistogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&h] {
      for (int i = 0; i < 10000; ++i) h.record(microseconds(1 + i % 5000));
    });
  for (auto& t : threads) t.join();
  BOOST_TEST(LatencyHistogram::count(h.snapshot(), {}) == 40000u);
}

BOOST_AUTO_TEST_SUITE_END()
