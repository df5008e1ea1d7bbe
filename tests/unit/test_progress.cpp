// engine::choose_progress_mode / RateMeter / format_progress_line / ProgressReporter.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>

#include "engine/progress.hpp"

using s3up::engine::choose_progress_mode;
using s3up::engine::format_count;
using s3up::engine::format_duration;
using s3up::engine::format_progress_line;
using s3up::engine::kMaxProgressWidth;
using s3up::engine::ProgressMode;
using s3up::engine::ProgressReporter;
using s3up::engine::ProgressSnapshot;
using s3up::engine::RateMeter;

namespace {

constexpr std::uint64_t MiB = 1048576, GiB = 1073741824;

// Everything written to a tmpfile so far.
std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  return out;
}

std::size_t count_of(const std::string& s, char c) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), c));
}

ProgressSnapshot moving_snapshot() {
  static std::atomic<std::uint64_t> bytes{0};
  bytes += 100000;
  return {10, 100, bytes.load(), 1000 * MiB, 0, 0, 4, false, 1.0};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(progress)

BOOST_AUTO_TEST_CASE(mode_choice_table) {
  struct Row {
    const char* flag;
    bool tty, quiet;
    ProgressMode expected;
  };
  const Row rows[] = {
      {"auto", true, false, ProgressMode::Bar},   {"auto", false, false, ProgressMode::Log},
      {"auto", true, true, ProgressMode::None},   {"auto", false, true, ProgressMode::None},
      {"bar", true, false, ProgressMode::Bar},    {"bar", false, false, ProgressMode::Bar},
      {"bar", true, true, ProgressMode::None},    {"log", true, false, ProgressMode::Log},
      {"log", false, false, ProgressMode::Log},   {"log", false, true, ProgressMode::None},
      {"none", true, false, ProgressMode::None},  {"none", false, false, ProgressMode::None},
  };
  for (const auto& r : rows)
    BOOST_TEST((choose_progress_mode(r.flag, r.tty, r.quiet) == r.expected),
               r.flag << " tty=" << r.tty << " quiet=" << r.quiet);
  for (const char* bad : {"", "Auto", "BAR", "verbose", "bar ", "progress"}) {
    BOOST_CHECK_THROW(choose_progress_mode(bad, true, false), std::invalid_argument);
    BOOST_CHECK_THROW(choose_progress_mode(bad, false, true), std::invalid_argument);
  }
  try {
    choose_progress_mode("fancy", true, false);
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("fancy") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(counts_and_durations) {
  BOOST_TEST(format_count(0) == "0");
  BOOST_TEST(format_count(999) == "999");
  BOOST_TEST(format_count(1000) == "1,000");
  BOOST_TEST(format_count(1234567) == "1,234,567");
  BOOST_TEST(format_count(std::numeric_limits<std::uint64_t>::max()) ==
             "18,446,744,073,709,551,615");
  BOOST_TEST(format_duration(0) == "0:00");
  BOOST_TEST(format_duration(4.9) == "0:04");
  BOOST_TEST(format_duration(60) == "1:00");
  BOOST_TEST(format_duration(3599) == "59:59");
  BOOST_TEST(format_duration(3600) == "1:00:00");
  BOOST_TEST(format_duration(3725) == "1:02:05");
  BOOST_TEST(format_duration(359999) == "99:59:59");
  BOOST_TEST(format_duration(360000) == "--");
  BOOST_TEST(format_duration(-1) == "--");
  BOOST_TEST(format_duration(std::nan("")) == "--");
  BOOST_TEST(format_duration(std::numeric_limits<double>::infinity()) == "--");
}

BOOST_AUTO_TEST_CASE(line_while_still_counting) {
  const ProgressSnapshot s{1234, 10000, 59454259, 102341018, 0, 2, 64, false, 65.0};
  BOOST_TEST(format_progress_line(s, 12.3 * MiB, 85, true) ==
             "1,234/10,000+ files  56.7 MiB/97.6 MiB+  12.3 MiB/s  85 files/s  ETA --  "
             "in flight 64  retries 2");
  BOOST_TEST(format_progress_line(s, 12.3 * MiB, 85, false) ==
             "[1:05] 1,234/10,000+ files  56.7 MiB/97.6 MiB+  12.3 MiB/s  85 files/s  ETA --  "
             "in flight 64  retries 2");
}

BOOST_AUTO_TEST_CASE(line_with_final_totals_and_eta) {
  // Bytes: 1 GiB left at 1 MiB/s = 1024 s; files: 497 left at 10/s = 49.7 s. The larger wins.
  const ProgressSnapshot s{500, 1000, GiB, 2 * GiB, 3, 0, 8, true, 3725.0};
  BOOST_TEST(format_progress_line(s, MiB, 10, true) ==
             "500/1,000 files  1.0 GiB/2.0 GiB  1.0 MiB/s  10 files/s  ETA 17:04  in flight 8  "
             "failed 3");
  BOOST_TEST(format_progress_line(s, MiB, 10, false) ==
             "[1:02:05] 500/1,000 files  1.0 GiB/2.0 GiB  1.0 MiB/s  10 files/s  ETA 17:04  "
             "in flight 8  failed 3");
  // Many small files: the file rate dominates.
  const ProgressSnapshot small{100, 10100, 100 * 1024, 10100 * 1024, 0, 0, 64, true, 10};
  BOOST_TEST(format_progress_line(small, 10 * MiB, 2.5, true) ==
             "100/10,100 files  100.0 KiB/9.9 MiB  10.0 MiB/s  2.5 files/s  ETA 1:06:40  "
             "in flight 64");
  // Rates unknown yet: no ETA.
  BOOST_TEST(format_progress_line(s, 0, 0, true) ==
             "500/1,000 files  1.0 GiB/2.0 GiB  0 B/s  ETA --  in flight 8  failed 3");
  // Beyond 99 hours: no ETA.
  BOOST_TEST(format_progress_line(s, 1, 0, true) ==
             "500/1,000 files  1.0 GiB/2.0 GiB  1 B/s  ETA --  in flight 8  failed 3");
}

BOOST_AUTO_TEST_CASE(line_at_start_and_end) {
  const ProgressSnapshot start{0, 0, 0, 0, 0, 0, 0, false, 0};
  BOOST_TEST(format_progress_line(start, 0, 0, true) ==
             "0/0+ files  0 B/0 B+  0 B/s  ETA --  in flight 0");
  const ProgressSnapshot done{3, 3, 30, 30, 0, 1, 0, true, 2};
  BOOST_TEST(format_progress_line(done, 0, 0, true) ==
             "3/3 files  30 B/30 B  0 B/s  ETA 0:00  in flight 0  retries 1");
  BOOST_TEST(format_progress_line(done, 0, 0, false) ==
             "[0:02] 3/3 files  30 B/30 B  0 B/s  ETA 0:00  in flight 0  retries 1");
}

BOOST_AUTO_TEST_CASE(line_never_wider_than_120) {
  const auto max = std::numeric_limits<std::uint64_t>::max();
  const ProgressSnapshot huge{max, max, max, max, max, max, max, false, 1e12};
  for (const bool terminal : {true, false}) {
    const std::string line = format_progress_line(huge, 1e300, 1e300, terminal);
    BOOST_TEST(line.size() <= kMaxProgressWidth, line);
    BOOST_TEST(line.find("files") != std::string::npos);
  }
  const ProgressSnapshot wide{max / 3, max, 5, max, max, max, 999999999999, true, 359999};
  BOOST_TEST(format_progress_line(wide, 1e9, 1e9, false).size() <= kMaxProgressWidth);
  BOOST_TEST(format_progress_line(wide, -5, std::nan(""), true).size() <= kMaxProgressWidth);
}

BOOST_AUTO_TEST_CASE(rate_meter_basics) {
  RateMeter m;
  BOOST_TEST(m.bytes_per_second() == 0.0);
  BOOST_TEST(m.files_per_second() == 0.0);
  m.add_sample(0, 0, 0);
  BOOST_TEST(m.bytes_per_second() == 0.0);
  m.add_sample(0, 100, 1);  // no time elapsed
  BOOST_TEST(m.bytes_per_second() == 0.0);
  for (int t = 1; t <= 10; ++t) m.add_sample(t, 1000u * t, 2u * t);
  BOOST_TEST(m.bytes_per_second() == 1000.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(m.files_per_second() == 2.0, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(rate_meter_window_follows_changes) {
  RateMeter m;
  std::uint64_t bytes = 0;
  for (int t = 0; t <= 10; ++t) m.add_sample(t, bytes = 1000u * t, 0);
  // From t = 10 the rate is 5000 B/s; the 5 s window mixes both rates for a while.
  auto at = [&](int t) {
    bytes += 5000;
    m.add_sample(t, bytes, 0);
    return m.bytes_per_second();
  };
  BOOST_TEST(at(11) == (5000.0 + 4 * 1000.0) / 5, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(at(12) == (2 * 5000.0 + 3 * 1000.0) / 5, boost::test_tools::tolerance(1e-9));
  at(13);
  at(14);
  BOOST_TEST(at(15) == 5000.0, boost::test_tools::tolerance(1e-9));
  for (int t = 16; t < 30; ++t) BOOST_TEST(at(t) == 5000.0, boost::test_tools::tolerance(1e-9));
  // After a 6 s gap the rate is measured across it, from the last sample before the window.
  BOOST_TEST(at(35) == 5000.0 / 6, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(rate_meter_irregular_samples_and_resets) {
  RateMeter m;
  // Every 100 ms for 20 s at 3 MiB/s and 40 files/s.
  for (int i = 0; i <= 200; ++i) m.add_sample(i * 0.1, 3 * MiB * i / 10, 4u * i);
  BOOST_TEST(m.bytes_per_second() == 3.0 * MiB, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(m.files_per_second() == 40.0, boost::test_tools::tolerance(1e-6));
  // Time going back restarts the meter.
  m.add_sample(5, 1000, 0);
  BOOST_TEST(m.bytes_per_second() == 0.0);
  m.add_sample(6, 1500, 5);
  BOOST_TEST(m.bytes_per_second() == 500.0, boost::test_tools::tolerance(1e-9));
  // A counter going back gives 0, not a negative or huge rate.
  m.add_sample(7, 100, 6);
  BOOST_TEST(m.bytes_per_second() == 0.0);
  BOOST_TEST(m.files_per_second() == 3.0, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(reporter_log_mode_prints_lines_and_stops_cleanly) {
  std::FILE* f = std::tmpfile();
  BOOST_TEST_REQUIRE(f != nullptr);
  std::atomic<int> calls{0};
  {
    ProgressReporter r(
        ProgressMode::Log,
        [&] {
          ++calls;
          return ProgressSnapshot{3, 9, 300, 900, 0, 0, 2, true, 0.5};
        },
        f, std::chrono::milliseconds(50));
    std::this_thread::sleep_for(std::chrono::milliseconds(420));
    r.stop();
    const std::string out = contents(f);
    const std::size_t lines = count_of(out, '\n');
    BOOST_TEST(lines >= 3u, out);
    BOOST_TEST(lines <= 9u, out);
    BOOST_TEST(out.find('\r') == std::string::npos);
    BOOST_TEST(out.find('\x1b') == std::string::npos);
    BOOST_TEST(out.rfind("[0:00] 3/9 files  300 B/900 B  ", 0) == 0, out);
    BOOST_TEST(out.back() == '\n');
    const int calls_at_stop = calls;
    BOOST_TEST(calls_at_stop >= 3);
    r.stop();  // idempotent, prints nothing
    std::this_thread::sleep_for(std::chrono::milliseconds(120));
    BOOST_TEST(contents(f) == out);
    BOOST_TEST(calls == calls_at_stop);
  }
  std::fclose(f);
}

BOOST_AUTO_TEST_CASE(reporter_bar_mode_rewrites_at_most_ten_times_a_second) {
  std::FILE* f = std::tmpfile();
  BOOST_TEST_REQUIRE(f != nullptr);
  {
    ProgressReporter r(ProgressMode::Bar, moving_snapshot, f);
    std::this_thread::sleep_for(std::chrono::milliseconds(1050));
  }  // the destructor stops
  const std::string out = contents(f);
  const std::size_t updates = count_of(out, '\r');
  BOOST_TEST(updates >= 4u, out);
  BOOST_TEST(updates <= 11u, out);
  BOOST_TEST(count_of(out, '\n') == 1u);  // only the one ending the bar
  BOOST_TEST(out.back() == '\n');
  BOOST_TEST(out.rfind("\r10/100+ files", 0) == 0, out);
  BOOST_TEST(out.find("\x1b[K") != std::string::npos);
  BOOST_TEST(out.find("in flight 4\x1b[K\r") != std::string::npos, out);
  std::fclose(f);
}

BOOST_AUTO_TEST_CASE(reporter_none_and_immediate_stop_print_nothing) {
  std::FILE* f = std::tmpfile();
  BOOST_TEST_REQUIRE(f != nullptr);
  std::atomic<int> calls{0};
  auto sample = [&] {
    ++calls;
    return ProgressSnapshot{};
  };
  {
    ProgressReporter none(ProgressMode::None, sample, f, std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  { ProgressReporter bar(ProgressMode::Bar, sample, f); }  // stopped before its first tick
  { ProgressReporter log(ProgressMode::Log, sample, f, std::chrono::seconds(5)); }
  BOOST_TEST(contents(f).empty());
  BOOST_TEST(calls == 0);
  std::fclose(f);
}

BOOST_AUTO_TEST_CASE(reporter_survives_a_throwing_sample) {
  std::FILE* f = std::tmpfile();
  BOOST_TEST_REQUIRE(f != nullptr);
  {
    ProgressReporter r(
        ProgressMode::Log, []() -> ProgressSnapshot { throw std::runtime_error("boom"); }, f,
        std::chrono::milliseconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  BOOST_TEST(contents(f).empty());
  std::fclose(f);
}

BOOST_AUTO_TEST_SUITE_END()
