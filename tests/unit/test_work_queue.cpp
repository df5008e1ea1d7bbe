// The threaded engine's work queue: batches before files, bounded files, and the end of the
// work (closed, empty and nobody working).
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/work_queue.hpp"

using namespace s3up::engine;
using namespace std::chrono_literals;

namespace {

struct Batch {
  std::string name;
};
using Queue = WorkQueue<int, Batch>;

}  // namespace

BOOST_AUTO_TEST_SUITE(work_queue)

BOOST_AUTO_TEST_CASE(batches_come_before_files_in_order) {
  Queue q(10);
  BOOST_TEST(q.push_file(1));
  BOOST_TEST(q.push_file(2));
  q.push_batch(std::make_shared<Batch>(Batch{"a"}), 2);
  q.push_batch(std::make_shared<Batch>(Batch{"b"}), 1);
  std::vector<std::string> seen;
  q.close();
  while (auto item = q.pop()) {
    if (item->batch)
      seen.push_back(item->batch->name + std::to_string(item->index));
    else
      seen.push_back(std::to_string(*item->file));
    q.done();
  }
  BOOST_TEST((seen == std::vector<std::string>{"a0", "a1", "b0", "1", "2"}));
}

BOOST_AUTO_TEST_CASE(workers_stay_while_an_item_in_work_may_add_a_batch) {
  Queue q(10);
  q.push_file(7);
  q.close();
  auto first = q.pop();
  BOOST_REQUIRE(first);
  // Another worker must not end now: the first item may still add a batch.
  std::atomic<int> got{0};
  std::atomic<bool> ended{false};
  std::thread other([&] {
    while (auto item = q.pop()) {
      got += 1;
      q.done();
    }
    ended = true;
  });
  std::this_thread::sleep_for(50ms);
  BOOST_TEST(!ended.load());
  q.push_batch(std::make_shared<Batch>(), 3);
  q.done();  // the first item is finished
  other.join();
  BOOST_TEST(got.load() == 3);
  BOOST_TEST(!q.pop());
}

BOOST_AUTO_TEST_CASE(the_producer_waits_for_room) {
  Queue q(2);
  BOOST_TEST(q.push_file(1));
  BOOST_TEST(q.push_file(2));
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    q.push_file(3);
    pushed = true;
  });
  std::this_thread::sleep_for(50ms);
  BOOST_TEST(!pushed.load());
  auto item = q.pop();
  BOOST_TEST(*item->file == 1);
  producer.join();
  BOOST_TEST(pushed.load());
  q.done();
  BOOST_TEST(q.files_queued() == 2u);
}

BOOST_AUTO_TEST_CASE(stop_drops_files_keeps_batches_and_frees_the_producer) {
  Queue q(1);
  q.push_file(1);
  std::atomic<bool> refused{false};
  std::thread producer([&] { refused = !q.push_file(2); });
  std::this_thread::sleep_for(20ms);
  q.push_batch(std::make_shared<Batch>(), 2);
  q.stop();
  producer.join();
  BOOST_TEST(refused.load());
  BOOST_TEST(!q.push_file(3));
  int batches = 0, files = 0;
  while (auto item = q.pop()) {
    (item->batch ? batches : files) += 1;
    q.done();
  }
  BOOST_TEST(batches == 2);
  BOOST_TEST(files == 0);
}

BOOST_AUTO_TEST_CASE(many_workers_take_everything_once) {
  Queue q(16);
  std::atomic<long> sum{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 6; ++w)
    workers.emplace_back([&] {
      while (auto item = q.pop()) {
        if (item->file) {
          sum += *item->file;
          if (*item->file % 100 == 0) q.push_batch(std::make_shared<Batch>(), 10);
        } else {
          sum += 1;
        }
        q.done();
      }
    });
  for (int i = 1; i <= 1000; ++i) q.push_file(i);
  q.close();
  for (auto& w : workers) w.join();
  BOOST_TEST(sum.load() == 1000L * 1001 / 2 + 10 * 10);
}

BOOST_AUTO_TEST_SUITE_END()
