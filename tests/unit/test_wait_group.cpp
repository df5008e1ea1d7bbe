// WaitGroup: waiting for a count of tasks to reach zero, from one or several threads.
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>
#include <stdexcept>
#include <vector>

#include "coro/wait_group.hpp"
#include "coro_helpers.hpp"

namespace {

namespace net = boost::asio;
using s3up::coro::WaitGroup;
using s3up::test::yield;

// Yields `yields` times, counts itself finished, then calls done().
net::awaitable<void> worker(WaitGroup& group, int yields, std::atomic<int>& finished) {
  for (int i = 0; i < yields; ++i) co_await yield();
  ++finished;
  group.done();
}

// Waits for the group, then records how many workers had finished at that moment.
net::awaitable<void> waiter(WaitGroup& group, std::atomic<int>& finished, std::vector<int>& seen) {
  co_await group.wait();
  seen.push_back(finished.load());
}

// Waits for the group or gives up after one trip through the executor; records the winner.
net::awaitable<void> wait_or_give_up(WaitGroup& group, std::vector<std::size_t>& winners) {
  using namespace net::experimental::awaitable_operators;
  auto executor = co_await net::this_coro::executor;
  auto either = group.wait() || net::post(executor, net::use_awaitable);
  auto result = co_await std::move(either);
  winners.push_back(result.index());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wait_group)

BOOST_AUTO_TEST_CASE(wait_on_zero_completes_at_once) {
  net::io_context ctx;
  WaitGroup group;
  std::atomic<int> finished{0};
  std::vector<int> seen;
  net::co_spawn(ctx, waiter(group, finished, seen), net::detached);
  ctx.run();
  BOOST_TEST(seen == std::vector<int>{0});
}

BOOST_AUTO_TEST_CASE(waiters_resume_after_the_last_done) {
  net::io_context ctx;
  WaitGroup group;
  std::atomic<int> finished{0};
  std::vector<int> seen;
  group.add(3);
  net::co_spawn(ctx, waiter(group, finished, seen), net::detached);
  net::co_spawn(ctx, waiter(group, finished, seen), net::detached);
  for (int i = 0; i < 3; ++i) net::co_spawn(ctx, worker(group, 1 + 2 * i, finished), net::detached);
  ctx.run();
  BOOST_TEST(seen == (std::vector<int>{3, 3}));
  BOOST_TEST(group.count() == 0u);
}

BOOST_AUTO_TEST_CASE(counts_across_threads) {
  net::io_context ctx;
  WaitGroup group;
  std::atomic<int> finished{0};
  std::vector<int> seen;
  constexpr int kWorkers = 1000;
  group.add(kWorkers);
  net::co_spawn(ctx, waiter(group, finished, seen), net::detached);
  for (int i = 0; i < kWorkers; ++i) {
    net::co_spawn(ctx, worker(group, i % 4, finished), net::detached);
  }
  s3up::test::run_on_threads(ctx, 4);
  BOOST_TEST(seen == std::vector<int>{kWorkers});
}

BOOST_AUTO_TEST_CASE(can_be_reused_after_reaching_zero) {
  net::io_context ctx;
  WaitGroup group;
  std::atomic<int> finished{0};
  std::vector<int> seen;
  group.add();
  group.done();
  group.add(2);
  net::co_spawn(ctx, waiter(group, finished, seen), net::detached);
  ctx.poll();
  BOOST_TEST(seen.empty());
  group.done();
  ctx.poll();
  BOOST_TEST(seen.empty());
  group.done();
  ctx.run();
  BOOST_TEST(seen == std::vector<int>{0});
}

BOOST_AUTO_TEST_CASE(done_without_add_throws) {
  WaitGroup group;
  BOOST_CHECK_THROW(group.done(), std::logic_error);
}

BOOST_AUTO_TEST_CASE(cancelled_wait_leaves_the_count_alone) {
  net::io_context ctx;
  WaitGroup group;
  std::vector<std::size_t> winners;
  group.add();
  net::co_spawn(ctx, wait_or_give_up(group, winners), net::detached);
  ctx.run();
  BOOST_TEST(winners == std::vector<std::size_t>{1});
  BOOST_TEST(group.count() == 1u);
  group.done();
  ctx.restart();
  net::co_spawn(ctx, wait_or_give_up(group, winners), net::detached);
  ctx.run();
  BOOST_TEST(winners == (std::vector<std::size_t>{1, 0}));
}

BOOST_AUTO_TEST_SUITE_END()
