// The bandwidth cap books bytes on one timeline: waits grow with what was booked before, and
// bytes go when their booking ends.
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
  // Each sender waits until its booking ends.
  BOOST_TEST(duration_cast<milliseconds>(r.reserve(500, t0)).count() == 500);
  BOOST_TEST(duration_cast<milliseconds>(r.reserve(500, t0)).count() == 1000);
  BOOST_TEST(duration_cast<milliseconds>(r.reserve(1000, t0)).count() == 2000);
  // Later callers wait less for the same backlog.
  BOOST_TEST(duration_cast<milliseconds>(r.reserve(1, t0 + milliseconds(1500))).count() == 501);
}

BOOST_AUTO_TEST_CASE(no_credit_at_the_start) {
  // The default burst (1 MiB) is earned by idle time only, not granted when the run starts:
  // 1,000 bytes at 1,000 bytes/s wait about a second.
  RateLimiter r(1000);
  const auto waited = duration_cast<milliseconds>(r.reserve(1000, steady_clock::now())).count();
  BOOST_TEST(waited >= 900);
  BOOST_TEST(waited <= 1000);
}

BOOST_AUTO_TEST_CASE(idle_time_earns_at_most_the_burst) {
  RateLimiter r(1000, 2000);  // burst: 2 seconds' worth
  const auto t0 = steady_clock::now();
  const auto later = t0 + seconds(60);
  BOOST_TEST(r.reserve(2000, later).count() == 0);   // the burst goes at once...
  BOOST_TEST(duration_cast<milliseconds>(r.reserve(1000, later)).count() == 1000);  // ...then the rate
  BOOST_TEST(duration_cast<milliseconds>(r.reserve(1000, later)).count() == 2000);
}

BOOST_AUTO_TEST_CASE(total_rate_over_many_consumers) {
  RateLimiter r(1'000'000, 0);
  const auto t0 = steady_clock::now();
  nanoseconds last{0};
  for (int i = 0; i < 100; ++i) last = r.reserve(100'000, t0);
  // 100 x 100 kB at 1 MB/s: the last one goes after 10 s.
  BOOST_TEST(duration_cast<milliseconds>(last).count() == 10000);
}

BOOST_AUTO_TEST_CASE(never_ahead_of_the_rate_since_the_start) {
  // Whatever the pattern of bookings, the bytes released by a moment never exceed the rate
  // times the time since the limiter was made (plus credit from idle time, none here).
  const auto made = steady_clock::now();
  RateLimiter r(1'000'000, 0);
  std::uint64_t booked = 0;
  for (int i = 0; i < 50; ++i) {
    const auto now = made + milliseconds(i * 7);
    const std::uint64_t bytes = 10'000 + 37'000 * (i % 5);
    const auto release = now + r.reserve(bytes, now);
    booked += bytes;
    const double elapsed = duration<double>(release - made).count();
    BOOST_TEST(static_cast<double>(booked) <= 1'000'000 * elapsed + 1);
  }
}

BOOST_AUTO_TEST_SUITE_END()
