// The threaded engine's work queue: batches before files, files in parts before the others,
// bounded files, files in the start order, and the end of the work (closed, empty and nobody
// working).
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
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
constexpr std::size_t kLimit = 64;

}  // namespace

BOOST_AUTO_TEST_SUITE(work_queue)

BOOST_AUTO_TEST_CASE(batches_come_before_files_in_order) {
  Queue q(10);
  BOOST_TEST(q.push_file(1, 0));
  BOOST_TEST(q.push_file(2, 0));
  q.push_batch(std::make_shared<Batch>(Batch{"a"}), 2);
  q.push_batch(std::make_shared<Batch>(Batch{"b"}), 1);
  std::vector<std::string> seen;
  q.close();
  while (auto item = q.pop(kLimit)) {
    BOOST_TEST(q.items_active() == 1u);  // handed out, not done
    if (item->batch)
      seen.push_back(item->batch->name + std::to_string(item->index));
    else
      seen.push_back(std::to_string(*item->file));
    q.done(false);
    BOOST_TEST(q.items_active() == 0u);
  }
  BOOST_TEST((seen == std::vector<std::string>{"a0", "a1", "b0", "1", "2"}));
}

// Files to upload in parts start before the files queued in the start order (even before large
// ones walked earlier), after the open uploads' parts, in the order they came; they do not take
// the room of the bounded files; stop() drops them too.
BOOST_AUTO_TEST_CASE(files_in_parts_come_after_batches_and_before_other_files) {
  Queue q(2);
  BOOST_TEST(q.push_file(1, 0));
  BOOST_TEST(q.push_file(2, kLargeBody));
  BOOST_TEST(q.push_first(10));  // the queue's two places are taken: never waits
  BOOST_TEST(q.push_first(11));
  q.push_batch(std::make_shared<Batch>(Batch{"a"}), 1);
  BOOST_TEST(q.files_queued() == 4u);
  BOOST_TEST(q.items_queued() == 5u);
  std::vector<std::string> seen;
  q.close();
  BOOST_TEST(!q.push_first(12));
  while (auto item = q.pop(kLimit)) {
    if (item->batch)
      seen.push_back(item->batch->name + std::to_string(item->index));
    else
      seen.push_back(std::to_string(*item->file));
    q.done(item->large);
  }
  BOOST_TEST((seen == std::vector<std::string>{"a0", "10", "11", "2", "1"}));
  Queue r(4);
  BOOST_TEST(r.push_first(1));
  r.stop();
  BOOST_TEST(!r.pop(kLimit));
}

BOOST_AUTO_TEST_CASE(workers_stay_while_an_item_in_work_may_add_a_batch) {
  Queue q(10);
  q.push_file(7, 0);
  q.close();
  auto first = q.pop(kLimit);
  BOOST_REQUIRE(first);
  // Another worker must not end now: the first item may still add a batch.
  std::atomic<int> got{0};
  std::atomic<bool> ended{false};
  std::thread other([&] {
    while (auto item = q.pop(kLimit)) {
      got += 1;
      q.done(false);
    }
    ended = true;
  });
  std::this_thread::sleep_for(50ms);
  BOOST_TEST(!ended.load());
  q.push_batch(std::make_shared<Batch>(), 3);
  q.done(false);  // the first item is finished
  other.join();
  BOOST_TEST(got.load() == 3);
  BOOST_TEST(!q.pop(kLimit));
}

BOOST_AUTO_TEST_CASE(a_worker_no_longer_admitted_takes_nothing) {
  Queue q(10);
  std::atomic<bool> admitted{true};
  std::atomic<bool> returned{false};
  std::optional<Queue::Item> got;
  std::thread worker([&] {
    got = q.pop(kLimit, [&] { return admitted.load(); });
    returned = true;
  });
  std::this_thread::sleep_for(20ms);
  BOOST_TEST(!returned.load());  // waiting for an item
  admitted = false;
  q.wake();
  worker.join();
  BOOST_REQUIRE(got);
  BOOST_TEST(!got->file);  // an empty item: nothing handed out
  BOOST_TEST(!got->batch);
  BOOST_TEST(q.items_active() == 0u);
  // Queued items stay for an admitted worker, even when one is there at once.
  q.push_file(5, 0);
  const auto refused = q.pop(kLimit, [] { return false; });
  BOOST_REQUIRE(refused);
  BOOST_TEST(!refused->file);
  BOOST_TEST(q.items_queued() == 1u);
  const auto taken = q.pop(kLimit, [] { return true; });
  BOOST_REQUIRE(taken);
  BOOST_TEST(*taken->file == 5);
  q.done(false);
}

BOOST_AUTO_TEST_CASE(the_producer_waits_for_room) {
  Queue q(2);
  BOOST_TEST(q.push_file(1, 0));
  BOOST_TEST(q.push_file(2, 0));
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    q.push_file(3, 0);
    pushed = true;
  });
  std::this_thread::sleep_for(50ms);
  BOOST_TEST(!pushed.load());
  auto item = q.pop(kLimit);
  BOOST_TEST(*item->file == 1);
  producer.join();
  BOOST_TEST(pushed.load());
  q.done(false);
  BOOST_TEST(q.files_queued() == 2u);
}

BOOST_AUTO_TEST_CASE(stop_drops_files_keeps_batches_and_frees_the_producer) {
  Queue q(1);
  q.push_file(1, 0);
  std::atomic<bool> refused{false};
  std::thread producer([&] { refused = !q.push_file(2, 0); });
  std::this_thread::sleep_for(20ms);
  q.push_batch(std::make_shared<Batch>(), 2);
  q.stop();
  producer.join();
  BOOST_TEST(refused.load());
  BOOST_TEST(!q.push_file(3, 0));
  int batches = 0, files = 0;
  while (auto item = q.pop(kLimit)) {
    (item->batch ? batches : files) += 1;
    q.done(false);
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
      while (auto item = q.pop(kLimit)) {
        if (item->file) {
          sum += *item->file;
          if (*item->file % 100 == 0) q.push_batch(std::make_shared<Batch>(), 10);
        } else {
          sum += 1;
        }
        q.done(false);
      }
    });
  for (int i = 1; i <= 1000; ++i) q.push_file(i, 0);
  q.close();
  for (auto& w : workers) w.join();
  BOOST_TEST(sum.load() == 1000L * 1001 / 2 + 10 * 10);
}

// Files in the start order (start_order.hpp): large bodies keep a quarter of the limit, largest
// first, smaller files take the rest; a large file done frees its place in the share for the
// next one.
BOOST_AUTO_TEST_CASE(files_come_in_the_start_order) {
  Queue q(20);
  for (int i = 1; i <= 3; ++i) q.push_file(i, 0);
  // Three large files after them, the largest last.
  for (int i = 1; i <= 3; ++i) q.push_file(100 + i, (i == 3 ? 4 : 2) * kLargeBody);
  q.close();
  // Limit 8: two large bodies at once.
  auto a = q.pop(8), b = q.pop(8), c = q.pop(8);
  BOOST_TEST(*a->file == 103);
  BOOST_TEST(a->large);
  BOOST_TEST(*b->file == 101);
  BOOST_TEST(*c->file == 1);  // the third large file waits
  BOOST_TEST(!c->large);
  q.done(c->large);
  BOOST_TEST(*q.pop(8)->file == 2);
  q.done(a->large);  // a large one is done: the next large starts
  auto d = q.pop(8);
  BOOST_TEST(*d->file == 102);
  BOOST_TEST(d->large);
  BOOST_TEST(*q.pop(8)->file == 3);
}

BOOST_AUTO_TEST_SUITE_END()
