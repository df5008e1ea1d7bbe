// ElasticPool: workers above the limit park between items, the limit can move both ways while
// work goes on, threads start on demand, and closing ends the parked ones.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "engine/elastic_pool.hpp"
#include "engine/work_queue.hpp"

using namespace s3up::engine;
using namespace std::chrono_literals;

namespace {

// Items taken by workers of a pool, counting how many are worked on at once.
struct Work {
  std::atomic<int> left;
  std::atomic<int> active{0};
  std::atomic<int> most{0};  // the most at once since the last reset
  std::atomic<bool> finish{false};

  explicit Work(int items) : left(items) {}

  // An item begins: counted at once, and in `most`.
  void begin() {
    const int now = ++active;
    for (int m = most.load(); now > m && !most.compare_exchange_weak(m, now);) {
    }
  }

  void run(ElasticPool& pool, std::size_t index) {
    while (pool.wait_turn(index)) {
      if (finish.load() || left.fetch_sub(1) <= 0) break;
      begin();
      std::this_thread::sleep_for(1ms);
      --active;
    }
  }
};

template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 2000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return pred();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(elastic_pool)

BOOST_AUTO_TEST_CASE(the_threaded_controller_moves_the_pool_and_records_the_limit_s_course) {
  // Work always waiting, requests completing: slow start doubles the pool's limit, and the
  // report's history has the start, the doubling and the end.
  Work work(1'000'000);
  ElasticPool pool(4, [&](ElasticPool& self, std::size_t i) { work.run(self, i); });
  Report report;
  AdaptiveConfig config;
  config.initial = 4;
  config.cpu_busy_max = 0;  // whatever else this machine runs meanwhile
  PoolController controller(pool, report, WrittenSource{}, config, [] { return true; }, {}, 20ms);
  controller.start();
  std::atomic<bool> feeding{true};
  std::thread feeder([&] {
    while (feeding.load()) {
      for (int i = 0; i < 20; ++i) report.request_finished(true, false, 5ms);
      std::this_thread::sleep_for(5ms);
    }
  });
  BOOST_TEST(eventually([&] { return controller.limit() > 4u; }));
  feeding = false;
  feeder.join();
  controller.stop();  // the loop has ended: the limits can be compared
  const std::size_t end = controller.limit();
  BOOST_TEST(pool.limit() == end);
  const std::vector<LimitPoint> history = controller.history();
  BOOST_TEST_REQUIRE(history.size() >= 3u);
  BOOST_TEST(history.front().limit == 4u);
  BOOST_TEST(history[1].limit == 8u);
  BOOST_TEST(history.back().limit == end);
  for (std::size_t i = 1; i < history.size(); ++i)
    BOOST_TEST(history[i].seconds >= history[i - 1].seconds);
  controller.stop();  // idempotent: no second end
  BOOST_TEST(controller.history().size() == history.size());
  work.finish = true;
  pool.join();
}

BOOST_AUTO_TEST_CASE(at_most_limit_workers_at_once_and_the_limit_moves_both_ways) {
  Work work(1'000'000);
  ElasticPool pool(2, [&](ElasticPool& self, std::size_t i) { work.run(self, i); });
  BOOST_TEST(pool.started() == 2u);
  std::this_thread::sleep_for(50ms);
  BOOST_TEST(work.most.load() <= 2);
  BOOST_TEST(work.most.load() >= 1);

  pool.set_limit(6);  // threads start on demand
  BOOST_TEST(pool.started() == 6u);
  work.most = 0;
  BOOST_TEST(eventually([&] { return work.most.load() >= 3; }));
  BOOST_TEST(work.most.load() <= 6);

  pool.set_limit(1);  // the others park after their item
  BOOST_TEST(pool.started() == 6u);
  BOOST_TEST(eventually([&] { return work.active.load() <= 1; }));
  std::this_thread::sleep_for(20ms);
  work.most = 0;
  std::this_thread::sleep_for(50ms);
  BOOST_TEST(work.most.load() == 1);

  work.finish = true;
  pool.join();  // the parked workers end too
  BOOST_TEST(work.active.load() == 0);
}

BOOST_AUTO_TEST_CASE(workers_waiting_for_work_when_the_limit_falls_take_none) {
  // The threaded engine's workers wait for items in its WorkQueue, not in wait_turn: when the
  // limit falls (auto's first limit for large parts: 64 -> 8), those above it must not take the
  // items that come next (before, all 14 parts of two 100 MiB files ran at a limit of 8).
  WorkQueue<int, int> queue(100);
  Work counts(0);  // only its counts: the items come from the queue
  std::atomic<bool> release{false};
  ElasticPool pool(
      8,
      [&](ElasticPool& self, std::size_t index) {
        while (self.wait_turn(index)) {
          auto item = queue.pop(64, [&self, index] { return self.within_limit(index); });
          if (!item) break;
          if (!item->file) continue;
          counts.begin();
          while (!release.load()) std::this_thread::sleep_for(1ms);
          --counts.active;
          queue.done(false);
        }
      },
      [&queue] { queue.wake(); });
  std::this_thread::sleep_for(20ms);  // all 8 waiting in pop
  pool.set_limit(2);
  for (int i = 0; i < 6; ++i) queue.push_file(i, 0);
  BOOST_TEST(eventually([&] { return counts.active.load() == 2; }));
  std::this_thread::sleep_for(50ms);
  BOOST_TEST(counts.most.load() == 2);
  BOOST_TEST(queue.items_queued() == 4u);
  pool.set_limit(8);  // back up: the parked workers take the rest
  BOOST_TEST(eventually([&] { return counts.active.load() == 6; }));
  release = true;
  queue.close();
  pool.join();
  BOOST_TEST(queue.items_queued() == 0u);
}

BOOST_AUTO_TEST_CASE(the_limit_is_at_least_one) {
  Work work(10);
  ElasticPool pool(0, [&](ElasticPool& self, std::size_t i) { work.run(self, i); });
  BOOST_TEST(pool.limit() == 1u);
  pool.set_limit(0);
  BOOST_TEST(pool.limit() == 1u);
  pool.join();
  BOOST_TEST(work.left.load() <= 0);  // the one worker did every item
}

BOOST_AUTO_TEST_CASE(workers_started_ahead_get_ready_and_park_until_the_limit_reaches_them) {
  // start_ahead starts threads beyond the limit: each sees ahead_of_limit (and would open its
  // connection), then parks; raising the limit puts them to work, closing ends them.
  Work work(1'000'000);
  std::atomic<int> readied{0};
  ElasticPool pool(2, [&](ElasticPool& self, std::size_t i) {
    if (self.ahead_of_limit(i)) ++readied;
    work.run(self, i);
  });
  pool.start_ahead(4);
  BOOST_TEST(pool.started() == 4u);
  pool.add_ahead(1);  // one more than started (the threaded engine's parts coming)
  BOOST_TEST(pool.started() == 5u);
  BOOST_TEST(eventually([&] { return readied.load() == 3; }));
  work.most = 0;
  std::this_thread::sleep_for(50ms);
  BOOST_TEST(work.most.load() <= 2);  // the three ahead are parked
  pool.set_limit(5);
  BOOST_TEST(pool.started() == 5u);  // no new thread: they were there
  work.most = 0;
  BOOST_TEST(eventually([&] { return work.most.load() >= 3; }));
  pool.close();
  pool.start_ahead(8);  // closed: nothing starts
  pool.add_ahead(2);
  BOOST_TEST(pool.started() == 5u);
  work.finish = true;
  pool.join();
}

BOOST_AUTO_TEST_CASE(workers_started_for_a_limit_cut_before_they_ran_are_not_ahead) {
  // Threads started for a limit (not by start_ahead) that was cut before they got to run park
  // with nothing readied: only start_ahead's threads are ahead (CI's loaded machine started
  // 1,024 threads for a limit cut to 512 a window later, and 394 of them opened connections
  // counted as opened ahead on loopback).
  std::atomic<bool> go{false};
  std::atomic<int> readied{0};
  std::atomic<int> checked{0};
  std::atomic<bool> done{false};
  ElasticPool pool(1, [&](ElasticPool& self, std::size_t i) {
    while (!go.load()) std::this_thread::sleep_for(1ms);
    if (self.ahead_of_limit(i)) ++readied;
    ++checked;
    while (self.wait_turn(i) && !done.load()) std::this_thread::sleep_for(1ms);
  });
  pool.set_limit(4);
  pool.set_limit(2);
  pool.start_ahead(6);
  go = true;
  BOOST_TEST(eventually([&] { return checked.load() == 6; }));
  BOOST_TEST(readied.load() == 2);  // indexes 4 and 5 only
  done = true;
  pool.join();
}

BOOST_AUTO_TEST_SUITE_END()
