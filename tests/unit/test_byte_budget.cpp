// The threaded engine's memory budget: FIFO, weighted, oversize requests alone.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "engine/byte_budget.hpp"

using namespace s3up::engine;
using namespace std::chrono_literals;

namespace {

// Waits (bounded) until `pred` holds.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(byte_budget)

BOOST_AUTO_TEST_CASE(takes_and_gives_back) {
  ByteBudget b(100);
  b.acquire(60);
  BOOST_TEST(b.in_use() == 60u);
  BOOST_TEST(!b.try_acquire(50));
  BOOST_TEST(b.try_acquire(40));
  b.release(100);
  BOOST_TEST(b.in_use() == 0u);
  b.acquire(0);
  BOOST_TEST(b.in_use() == 0u);
}

BOOST_AUTO_TEST_CASE(waits_until_bytes_are_released) {
  ByteBudget b(100);
  b.acquire(80);
  std::atomic<bool> got{false};
  std::thread t([&] {
    b.acquire(50);
    got = true;
  });
  BOOST_TEST(eventually([&] { return b.waiting() == 1u; }));
  BOOST_TEST(!got.load());
  b.release(80);
  t.join();
  BOOST_TEST(got.load());
  BOOST_TEST(b.in_use() == 50u);
}

BOOST_AUTO_TEST_CASE(oversize_runs_alone) {
  ByteBudget b(100);
  b.acquire(10);
  std::atomic<bool> got{false};
  std::thread t([&] {
    BudgetHold hold(b, 500);  // larger than the whole budget
    got = true;
  });
  BOOST_TEST(eventually([&] { return b.waiting() == 1u; }));
  BOOST_TEST(!got.load());
  b.release(10);
  t.join();
  BOOST_TEST(got.load());
  BOOST_TEST(b.in_use() == 0u);
}

BOOST_AUTO_TEST_CASE(first_come_first_served) {
  // A large request at the head holds back a later small one that would fit. The order is
  // read from the budget's state, not from which thread happens to run first after a grant.
  ByteBudget b(100);
  b.acquire(60);
  std::atomic<bool> big_done{false}, small_done{false};
  std::thread big([&] {
    b.acquire(90);
    big_done = true;
  });
  BOOST_TEST(eventually([&] { return b.waiting() == 1u; }));
  std::thread small([&] {
    b.acquire(10);
    small_done = true;
  });
  BOOST_TEST(eventually([&] { return b.waiting() == 2u; }));
  BOOST_TEST(!b.try_acquire(10));  // no barging either
  // 10 bytes in use after this: the head (90) fits and takes them; the small one no longer fits.
  b.release(50);
  big.join();
  BOOST_TEST(big_done.load());
  BOOST_TEST(b.in_use() == 100u);
  BOOST_TEST(!small_done.load());
  BOOST_TEST(b.waiting() == 1u);
  b.release(90);
  small.join();
  BOOST_TEST(small_done.load());
  BOOST_TEST(b.in_use() == 20u);
}

BOOST_AUTO_TEST_CASE(many_threads_never_exceed_the_budget) {
  ByteBudget b(1000);
  std::atomic<std::uint64_t> held{0}, worst{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const std::uint64_t n = 1 + (t * 37 + i * 11) % 400;
        BudgetHold hold(b, n);
        const auto now = held.fetch_add(n) + n;
        auto w = worst.load();
        while (now > w && !worst.compare_exchange_weak(w, now)) {
        }
        held.fetch_sub(n);
      }
    });
  for (auto& t : threads) t.join();
  BOOST_TEST(worst.load() <= 1000u);
  BOOST_TEST(b.in_use() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
