// The bandwidth cap books bytes on one timeline: waits grow with what was booked before.
#include <boost/test/unit_test.hpp>

#include "coro/rate_limiter.hpp"

using namespace std::chrono;
using s3up::coro::RateLimiter;

BOOST_AUTO_TEST_SUITE(rate_limiter)

BOOST_AUTO_TEST_CASE(unlimited_never_waits) {
  RateLimiter r(0);
  BOOST_TEST(r.unlimited());
  BOOST_TEST(r.reserve(1ull << 40, steady_clock::now()).count() == 0);
}

BOOST_AUTO_TEST_CASE(bookings_follow_the_rate) {
  RateLimiter r(1000, 0);  // 1,000 bytes/s, no burst
  const auto t0 = steady_clock::now();
  BOOST_TEST(r.reserve(500, t0).count() == 0);               // first half second is free now
  BOOST_TEST(duration_cast<milliseconds>(r.reserve(500, t0)).count() == 500);
  BOOST_TEST(duration_cast<milliseconds>(r.reserve(1000, t0)).count() == 1000);
  // Later callers wait less for the same backlog.
  BOOST_TEST(duration_cast<milliseconds>(r.reserve(1, t0 + milliseconds(1500))).count() == 500);
}

BOOST_AUTO_TEST_CASE(idle_time_earns_at_most_the_burst) {
  RateLimiter r(1000, 2000);  // burst: 2 seconds' worth
  const auto t0 = steady_clock::now();
  const auto later = t0 + seconds(60);
  BOOST_TEST(r.reserve(2000, later).count() == 0);   // the burst goes at once
  BOOST_TEST(r.reserve(1000, later).count() == 0);   // starts as the burst ends...
  BOOST_TEST(duration_cast<milliseconds>(r.reserve(1000, later)).count() == 1000);  // ...then the rate
}

BOOST_AUTO_TEST_CASE(total_rate_over_many_consumers) {
  RateLimiter r(1'000'000, 0);
  const auto t0 = steady_clock::now();
  nanoseconds last{0};
  for (int i = 0; i < 100; ++i) last = r.reserve(100'000, t0);
  // 100 x 100 kB at 1 MB/s: the last one starts after 9.9 s.
  BOOST_TEST(duration_cast<milliseconds>(last).count() == 9900);
}

BOOST_AUTO_TEST_SUITE_END()
