// StragglerWatch: the arithmetic of a fresh connection's send (slow start, then the rate), the
// rule that finds a body worth sending again, and the watch's judgement of exchanges fed bytes on
// a clock of the test's own (no sockets, no sleeping).
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "net/straggler_watch.hpp"

namespace {

using s3up::http::detail::fresh_send_seconds;
using s3up::http::detail::kInitialWindow;
using s3up::http::detail::StragglerRule;
using s3up::http::detail::StragglerView;
using s3up::http::detail::StragglerWatch;
using s3up::http::detail::worth_resending;
using s3up::http::detail::WatchClock;
using namespace std::chrono_literals;

// The README's case: the tree's 8.4 MB body, alone at the end of a run at 80 ms / 200 Mbit/s.
StragglerView tree_tail() {
  StragglerView v;
  v.size = 8'400'000;
  v.left = 4'000'000;
  v.rate = 1e6;
  v.in_flight = 1;
  v.peak_rate = 25e6;
  v.rtt = 0.08;
  v.opening = 0.16;
  return v;
}

// A watch that has measured a round trip of 80 ms, a connection opened in 160 ms and a peak rate
// of 25 MB/s by t0 + 1 s, with nothing in flight after.
struct Measured {
  StragglerWatch watch;
  WatchClock::time_point t0 = WatchClock::now();

  Measured() {
    {
      StragglerWatch::Exchange small(watch, 100, true, t0);
      small.wrote(100, t0);
      small.written(t0);
      small.answered(t0 + 80ms);
    }
    watch.opened(160ms);
    StragglerWatch::Exchange bulk(watch, 30'000'000, false, t0);
    for (int i = 1; i <= 10; ++i) bulk.wrote(2'500'000, t0 + i * 100ms);
  }

  // Feeds `ex` `rate` bytes per second in pieces every 10 ms from `from` for `span`; returns the
  // time at which wrote() said to send it again, or nullopt.
  static std::optional<WatchClock::duration> feed(StragglerWatch::Exchange& ex,
                                                  WatchClock::time_point from,
                                                  WatchClock::duration span, double rate) {
    const auto piece = static_cast<std::uint64_t>(rate / 100);
    for (auto t = 10ms; t <= span; t += 10ms)
      if (!ex.wrote(piece, from + t)) return t;
    return std::nullopt;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(straggler_watch)

BOOST_AUTO_TEST_CASE(a_fresh_send_is_slow_start_then_the_rate) {
  // No round trip: the rate alone.
  BOOST_TEST(fresh_send_seconds(1e6, 1e6, 0) == 1.0, boost::test_tools::tolerance(1e-9));
  // 1 MiB without a rate limit at 50 ms: windows of 10, 20 ... 640 segments, the seventh carries
  // the last byte, whose half round trip and the reply's make the seventh round trip
  // (wanproxy_check.py's slowstart case).
  BOOST_TEST(fresh_send_seconds(1 << 20, 1e12, 0.05) == 7 * 0.05,
             boost::test_tools::tolerance(1e-9));
  // 8.4 MB at 25 MB/s and 80 ms: eight windows (14,480 x 255 bytes) before one carries the
  // 2 MB the link holds, the rest at the rate, then the reply.
  const double want = 8 * 0.08 + (8.4e6 - kInitialWindow * 255) / 25e6 + 0.08;
  BOOST_TEST(fresh_send_seconds(8.4e6, 25e6, 0.08) == want, boost::test_tools::tolerance(1e-9));
  // A body within the first window: one round trip.
  BOOST_TEST(fresh_send_seconds(1000, 25e6, 0.08) == 0.08, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(a_body_far_slower_than_a_fresh_send_is_worth_resending) {
  const StragglerRule rule;
  // 4 s more at 1 MB/s against 1.07 s sent whole on a new connection.
  BOOST_TEST(worth_resending(tree_tail(), rule));

  StragglerView nearly_done = tree_tail();
  nearly_done.left = 200'000;
  BOOST_TEST(!worth_resending(nearly_done, rule));

  StragglerView at_link_rate = tree_tail();
  at_link_rate.rate = 20e6;
  BOOST_TEST(!worth_resending(at_link_rate, rule));

  // 2.58 s to finish: worth it alone (1.07 s whole), not when four share the link (1.92 s whole,
  // under the 1.5 x gain).
  StragglerView shorter = tree_tail();
  shorter.left = 2'500'000;
  BOOST_TEST(worth_resending(shorter, rule));
  shorter.in_flight = 4;
  BOOST_TEST(!worth_resending(shorter, rule));

  // Nothing to judge by: no round trip or no rate measured yet.
  StragglerView unmeasured = tree_tail();
  unmeasured.rtt = 0;
  BOOST_TEST(!worth_resending(unmeasured, rule));
  unmeasured = tree_tail();
  unmeasured.peak_rate = 0;
  BOOST_TEST(!worth_resending(unmeasured, rule));

  // On loopback a 5x gain that saves 0.1 s is not worth a connection.
  StragglerView loopback;
  loopback.size = 1 << 20;
  loopback.left = 500'000;
  loopback.rate = 5e6;
  loopback.peak_rate = 1e9;
  loopback.rtt = 1e-4;
  loopback.opening = 1e-3;
  BOOST_TEST(!worth_resending(loopback, rule));

  // A body that sends nothing any more is always worth it.
  StragglerView stalled = tree_tail();
  stalled.rate = 0;
  BOOST_TEST(worth_resending(stalled, rule));
}

BOOST_AUTO_TEST_CASE(the_watch_measures_the_round_trip_the_peak_rate_and_the_bytes) {
  Measured m;
  BOOST_TEST(m.watch.rtt() == 0.08, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(m.watch.peak_rate() == 25e6, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(m.watch.bytes_written() == 100u + 10 * 2'500'000u);
  BOOST_TEST(m.watch.resent() == 0u);
}

BOOST_AUTO_TEST_CASE(a_slow_body_alone_is_sent_again_once_after_a_window_in_the_tail) {
  Measured m;
  const auto t1 = m.t0 + 2s;
  StragglerWatch::Exchange big(m.watch, 8'400'000, true, t1);
  // Nothing started for a window (4 x 80 ms, more than 0.25 s) from t1: the tail. Its first
  // window starts there and is judged at its end.
  const auto when = Measured::feed(big, t1, 3s, 1e6);
  BOOST_TEST_REQUIRE(when.has_value());
  BOOST_TEST((*when == 640ms));
  BOOST_TEST(big.abandoned());
  BOOST_TEST(m.watch.resent() == 1u);
  // Never judged again.
  BOOST_TEST(!Measured::feed(big, t1 + 640ms, 5s, 1e5).has_value());
  BOOST_TEST(m.watch.resent() == 1u);
}

BOOST_AUTO_TEST_CASE(a_body_is_not_judged_while_requests_start_or_many_are_in_flight) {
  {
    Measured m;
    const auto t1 = m.t0 + 2s;
    StragglerWatch::Exchange big(m.watch, 8'400'000, true, t1);
    // Another request starts every 0.3 s: never a window (0.32 s) without one.
    for (int i = 1; i <= 10; ++i) {
      StragglerWatch::Exchange other(m.watch, 100, true, t1 + i * 300ms);
      BOOST_TEST(!Measured::feed(big, t1 + (i - 1) * 300ms, 300ms, 1e6).has_value());
    }
    BOOST_TEST(m.watch.resent() == 0u);
  }
  {
    Measured m;
    const auto t1 = m.t0 + 2s;
    // Five in flight: more than the last few.
    std::vector<std::unique_ptr<StragglerWatch::Exchange>> others;
    for (int i = 0; i < 4; ++i)
      others.push_back(std::make_unique<StragglerWatch::Exchange>(m.watch, 100, true, t1));
    StragglerWatch::Exchange big(m.watch, 8'400'000, true, t1);
    BOOST_TEST(!Measured::feed(big, t1, 3s, 1e6).has_value());
    // Once one ends, four are left: judged a window later.
    others.pop_back();
    const auto when = Measured::feed(big, t1 + 3s, 3s, 1e6);
    BOOST_TEST_REQUIRE(when.has_value());
    BOOST_TEST((*when == 330ms));
  }
}

BOOST_AUTO_TEST_CASE(resends_small_bodies_and_bodies_at_the_link_rate_are_left_alone) {
  Measured m;
  const auto t1 = m.t0 + 2s;
  StragglerWatch::Exchange resend(m.watch, 8'400'000, /*judged=*/false, t1);
  BOOST_TEST(!Measured::feed(resend, t1, 3s, 1e6).has_value());
  StragglerWatch::Exchange small(m.watch, 200'000, true, t1);
  BOOST_TEST(!Measured::feed(small, t1, 3s, 1e4).has_value());
  StragglerWatch::Exchange fast(m.watch, 100'000'000, true, t1);
  BOOST_TEST(!Measured::feed(fast, t1, 4s, 20e6).has_value());
  BOOST_TEST(m.watch.resent() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
