// AsyncSemaphore and Permit: throttling under contention, FIFO fairness, RAII release,
// cancellation (including its race with grants), close() and capacity changes.
#include <atomic>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/test/unit_test.hpp>
#include <deque>
#include <stdexcept>
#include <variant>
#include <vector>

#include "coro/semaphore.hpp"
#include "coro/spawn.hpp"
#include "coro_helpers.hpp"

namespace {

namespace net = boost::asio;
using s3up::coro::acquire_permit;
using s3up::coro::AsyncSemaphore;
using s3up::coro::Permit;
using s3up::test::is_aborted;
using s3up::test::yield;

// How a spawned coroutine ended.
struct Outcome {
  bool done = false;
  std::exception_ptr error;
};

void start(net::io_context& ctx, net::awaitable<void> task, Outcome& outcome) {
  net::co_spawn(ctx, std::move(task), [&outcome](std::exception_ptr error) {
    outcome.done = true;
    outcome.error = error;
  });
}

void start(net::io_context& ctx, net::awaitable<void> task, Outcome& outcome,
           net::cancellation_signal& signal) {
  net::co_spawn(ctx, std::move(task),
                net::bind_cancellation_slot(signal.slot(), [&outcome](std::exception_ptr error) {
                  outcome.done = true;
                  outcome.error = error;
                }));
}

// Acquires n permits, records `id`, then gives them back if `give_back`.
net::awaitable<void> take(AsyncSemaphore& sem, std::size_t n, int id, std::vector<int>& order,
                          bool give_back) {
  co_await sem.acquire(n);
  order.push_back(id);
  if (give_back) sem.release(n);
}

// Holds 2 permits across a suspension, then throws.
net::awaitable<void> hold_and_throw(AsyncSemaphore& sem) {
  Permit permit = co_await acquire_permit(sem, 2);
  co_await yield();
  throw std::runtime_error("boom");
}

// Races acquire_permit against an immediate post; records which side won.
net::awaitable<void> acquire_or_give_up(AsyncSemaphore& sem, std::vector<std::size_t>& winners) {
  using namespace net::experimental::awaitable_operators;
  auto executor = co_await net::this_coro::executor;
  auto either = acquire_permit(sem, 1) || net::post(executor, net::use_awaitable);
  auto result = co_await std::move(either);
  winners.push_back(result.index());
}

// ---- contention -------------------------------------------------------------------------------

struct Contention {
  explicit Contention(std::size_t limit) : sem(limit) {}
  AsyncSemaphore sem;
  std::size_t saturation = 0;  // holders level that proves the throttle admits its full width
  std::atomic<std::size_t> holders{0};
  std::atomic<std::size_t> max_holders{0};
  std::atomic<std::size_t> max_in_use{0};
  std::atomic<std::size_t> completed{0};
  std::atomic<bool> saturated{false};
};

net::awaitable<void> contend(Contention& c, std::size_t weight) {
  Permit permit = co_await acquire_permit(c.sem, weight);
  s3up::test::raise_max(c.max_holders, c.holders.fetch_add(weight) + weight);
  s3up::test::raise_max(c.max_in_use, c.sem.in_use());
  // Until the semaphore has been seen full, keep the permits and let the others run, so that
  // reaching the full width does not depend on thread timing.
  for (int spins = 0; !c.saturated.load() && spins < 100000; ++spins) {
    if (c.holders.load() >= c.saturation) {
      c.saturated = true;
    } else {
      co_await yield();
    }
  }
  co_await yield();
  c.holders.fetch_sub(weight);
  ++c.completed;
}

// Runs `tasks` coroutines of weights 1..max_weight on 4 threads against a semaphore of `limit`.
void check_contention(std::size_t limit, std::size_t max_weight, std::size_t tasks) {
  net::io_context ctx;
  Contention c(limit);
  // With FIFO grants, a blocked head of weight w means more than limit - w permits are held.
  c.saturation = limit - max_weight + 1;
  for (std::size_t i = 0; i < tasks; ++i) {
    net::co_spawn(ctx, contend(c, 1 + i % max_weight), net::detached);
  }
  s3up::test::run_on_threads(ctx, 4);

  BOOST_TEST(c.completed.load() == tasks);
  BOOST_TEST(c.max_holders.load() <= limit);
  BOOST_TEST(c.max_in_use.load() <= limit);
  BOOST_TEST(c.max_holders.load() >= c.saturation);  // the throttle was actually used
  BOOST_TEST(c.holders.load() == 0u);
  BOOST_TEST(c.sem.available() == limit);
  BOOST_TEST(c.sem.in_use() == 0u);
  BOOST_TEST(c.sem.waiting() == 0u);
}

// ---- cancellation racing with grants ---------------------------------------------------------

struct Race {
  explicit Race(std::size_t limit) : sem(limit) {}
  AsyncSemaphore sem;
  std::atomic<std::size_t> finished{0};
  std::atomic<std::size_t> granted{0};
  std::atomic<std::size_t> aborted{0};
  std::atomic<std::size_t> unexpected{0};
};

net::awaitable<void> race_waiter(Race& race) {
  try {
    Permit permit = co_await acquire_permit(race.sem, 1);
    ++race.granted;
    co_await yield();  // throws if cancelled while holding: the Permit gives the permit back
  } catch (const boost::system::system_error& e) {
    if (e.code() == net::error::operation_aborted) {
      ++race.aborted;
    } else {
      ++race.unexpected;
    }
  }
}

// Emits the signals one by one, each on its waiter's strand (as Asio requires), interleaved
// with yields so that they land on waiters in every state: queued, just granted, holding, done.
net::awaitable<void> cancel_all(std::deque<net::cancellation_signal>& signals,
                                std::vector<net::strand<net::io_context::executor_type>>& strands) {
  for (std::size_t i = 0; i < signals.size(); ++i) {
    for (std::size_t k = 0; k < i % 3; ++k) co_await yield();
    net::post(strands[i],
              [&signal = signals[i]] { signal.emit(net::cancellation_type::terminal); });
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(semaphore)

BOOST_AUTO_TEST_CASE(never_more_than_capacity_holders_under_contention) {
  check_contention(8, 1, 2000);
}

BOOST_AUTO_TEST_CASE(weighted_acquires_never_exceed_capacity) { check_contention(8, 3, 2000); }

BOOST_AUTO_TEST_CASE(try_acquire_and_release_count_permits) {
  AsyncSemaphore sem(3);
  BOOST_TEST(sem.capacity() == 3u);
  BOOST_TEST(sem.try_acquire(2));
  BOOST_TEST(sem.available() == 1u);
  BOOST_TEST(sem.in_use() == 2u);
  BOOST_TEST(!sem.try_acquire(2));
  BOOST_TEST(sem.try_acquire(1));
  BOOST_TEST(sem.try_acquire(0));
  BOOST_TEST(sem.available() == 0u);
  sem.release(3);
  BOOST_TEST(sem.available() == 3u);
  BOOST_TEST(sem.in_use() == 0u);
}

BOOST_AUTO_TEST_CASE(waiters_are_granted_in_fifo_order) {
  net::io_context ctx;
  AsyncSemaphore sem(1);
  BOOST_REQUIRE(sem.try_acquire());
  std::vector<int> order;
  for (int id = 0; id < 10; ++id) net::co_spawn(ctx, take(sem, 1, id, order, true), net::detached);
  ctx.poll();
  BOOST_TEST(sem.waiting() == 10u);
  BOOST_TEST(order.empty());

  sem.release();
  ctx.run();
  BOOST_TEST(order == (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  BOOST_TEST(sem.available() == 1u);
}

BOOST_AUTO_TEST_CASE(queued_total_counts_every_acquisition_that_had_to_wait) {
  net::io_context ctx;
  AsyncSemaphore sem(2);
  std::vector<int> order;
  // Free permits: taken at once, nothing queued (nor for a failed try_acquire).
  net::co_spawn(ctx, take(sem, 1, 0, order, false), net::detached);
  ctx.run();
  ctx.restart();
  BOOST_TEST(!sem.try_acquire(2));
  BOOST_TEST(sem.queued_total() == 0u);
  // Three more while one permit is free: one fits, two queue.
  for (int id = 1; id <= 3; ++id) net::co_spawn(ctx, take(sem, 1, id, order, false), net::detached);
  ctx.poll();
  BOOST_TEST(sem.waiting() == 2u);
  BOOST_TEST(sem.queued_total() == 2u);
  // Granted since: nobody waits any more, but the count stays (a sampler that looks before and
  // after sees that someone waited in between).
  sem.release(2);
  ctx.run();
  BOOST_TEST(sem.waiting() == 0u);
  BOOST_TEST(sem.queued_total() == 2u);
  BOOST_TEST(order == (std::vector<int>{0, 1, 2, 3}));
  sem.release(2);
}

BOOST_AUTO_TEST_CASE(large_waiter_at_head_is_served_before_later_small_ones) {
  net::io_context ctx;
  AsyncSemaphore sem(4);
  BOOST_REQUIRE(sem.try_acquire(4));
  std::vector<int> order;
  net::co_spawn(ctx, take(sem, 3, 'A', order, false), net::detached);
  net::co_spawn(ctx, take(sem, 1, 'B', order, false), net::detached);
  net::co_spawn(ctx, take(sem, 2, 'C', order, false), net::detached);
  net::co_spawn(ctx, take(sem, 1, 'D', order, false), net::detached);
  ctx.poll();
  BOOST_TEST(sem.waiting() == 4u);

  sem.release(1);  // 1 free: enough for B, but A (3) is at the head
  ctx.poll();
  BOOST_TEST(order.empty());
  BOOST_TEST(sem.available() == 1u);
  BOOST_TEST(!sem.try_acquire(1));  // no barging past the queue either

  sem.release(2);  // 3 free: A
  ctx.poll();
  BOOST_TEST(order == std::vector<int>{'A'});
  BOOST_TEST(sem.waiting() == 3u);

  sem.release(1);  // the test's last permit: B; C (2) does not fit
  ctx.poll();
  BOOST_TEST(order == (std::vector<int>{'A', 'B'}));
  BOOST_TEST(sem.waiting() == 2u);

  sem.release(3);  // A's permits: C then D
  ctx.poll();
  BOOST_TEST(order == (std::vector<int>{'A', 'B', 'C', 'D'}));
  BOOST_TEST(sem.in_use() == 4u);
  BOOST_TEST(sem.waiting() == 0u);
}

BOOST_AUTO_TEST_CASE(request_larger_than_capacity_runs_alone) {
  net::io_context ctx;
  AsyncSemaphore sem(2);
  BOOST_REQUIRE(sem.try_acquire(1));
  std::vector<int> order;
  net::co_spawn(ctx, take(sem, 5, 1, order, false), net::detached);
  net::co_spawn(ctx, take(sem, 1, 2, order, false), net::detached);
  ctx.poll();
  BOOST_TEST(order.empty());

  sem.release(1);
  ctx.poll();
  BOOST_TEST(order == std::vector<int>{1});
  BOOST_TEST(sem.in_use() == 5u);
  BOOST_TEST(sem.available() == 0u);

  sem.release(5);
  ctx.poll();
  BOOST_TEST(order == (std::vector<int>{1, 2}));
  BOOST_TEST(sem.in_use() == 1u);
}

BOOST_AUTO_TEST_CASE(permit_is_returned_when_its_holder_throws) {
  net::io_context ctx;
  AsyncSemaphore sem(3);
  std::exception_ptr error;
  s3up::coro::spawn(ctx.get_executor(), hold_and_throw(sem),
                    [&error](std::exception_ptr e) { error = e; });
  std::vector<int> order;
  net::co_spawn(ctx, take(sem, 3, 1, order, true), net::detached);
  ctx.run();

  BOOST_REQUIRE(error);
  BOOST_CHECK_THROW(std::rethrow_exception(error), std::runtime_error);
  BOOST_TEST(order == std::vector<int>{1});
  BOOST_TEST(sem.available() == 3u);
  BOOST_TEST(sem.in_use() == 0u);
}

BOOST_AUTO_TEST_CASE(permit_moves_and_releases_once) {
  AsyncSemaphore sem(4);
  BOOST_REQUIRE(sem.try_acquire(3));
  {
    Permit a(sem, 3);
    BOOST_TEST(a.count() == 3u);
    Permit b(std::move(a));
    BOOST_TEST(!a);
    BOOST_TEST(static_cast<bool>(b));
    BOOST_TEST(sem.in_use() == 3u);
    b.release();
    BOOST_TEST(sem.in_use() == 0u);
    b.release();
    BOOST_TEST(sem.in_use() == 0u);
    BOOST_REQUIRE(sem.try_acquire(1));
    Permit c(sem, 1);
    BOOST_REQUIRE(sem.try_acquire(2));
    c = Permit(sem, 2);  // releases the 1 it held
    BOOST_TEST(sem.in_use() == 2u);
  }
  BOOST_TEST(sem.in_use() == 0u);
}

BOOST_AUTO_TEST_CASE(cancelled_waiter_gets_operation_aborted_and_holds_nothing) {
  net::io_context ctx;
  AsyncSemaphore sem(1);
  BOOST_REQUIRE(sem.try_acquire());
  std::vector<int> order;
  net::cancellation_signal signal;
  Outcome first, second;
  start(ctx, take(sem, 1, 1, order, true), first, signal);
  start(ctx, take(sem, 1, 2, order, true), second);
  ctx.poll();
  BOOST_TEST(sem.waiting() == 2u);

  signal.emit(net::cancellation_type::terminal);
  ctx.poll();
  BOOST_TEST(first.done);
  BOOST_TEST(is_aborted(first.error));
  BOOST_TEST(sem.waiting() == 1u);
  BOOST_TEST(sem.in_use() == 1u);  // only the test's permit

  sem.release();
  ctx.run();
  BOOST_TEST(second.done);
  BOOST_TEST(!second.error);
  BOOST_TEST(order == std::vector<int>{2});
  BOOST_TEST(sem.available() == 1u);
}

BOOST_AUTO_TEST_CASE(cancellation_between_grant_and_resumption_gives_the_permits_back) {
  net::io_context ctx;
  AsyncSemaphore sem(1);
  BOOST_REQUIRE(sem.try_acquire());
  std::vector<int> order;
  net::cancellation_signal signal;
  Outcome first, second;
  start(ctx, take(sem, 1, 1, order, false), first, signal);
  start(ctx, take(sem, 1, 2, order, false), second);
  ctx.poll();
  BOOST_TEST(sem.waiting() == 2u);

  // On the coroutine's executor (as Asio requires): grant the first waiter, whose resumption is
  // posted, then cancel it before it runs: too late to dequeue it.
  std::size_t waiting_after_grant = 0;
  net::post(ctx, [&] {
    sem.release();
    waiting_after_grant = sem.waiting();
    signal.emit(net::cancellation_type::terminal);
  });
  ctx.poll();
  BOOST_TEST(waiting_after_grant == 1u);
  BOOST_TEST(first.done);
  BOOST_TEST(is_aborted(first.error));
  BOOST_TEST(second.done);  // got the permit the first one gave back
  BOOST_TEST(order == std::vector<int>{2});
  BOOST_TEST(sem.in_use() == 1u);
}

BOOST_AUTO_TEST_CASE(cancelling_a_large_head_waiter_unblocks_smaller_ones) {
  net::io_context ctx;
  AsyncSemaphore sem(4);
  BOOST_REQUIRE(sem.try_acquire(3));
  std::vector<int> order;
  net::cancellation_signal signal;
  Outcome large, small;
  start(ctx, take(sem, 4, 1, order, true), large, signal);
  start(ctx, take(sem, 1, 2, order, false), small);
  ctx.poll();
  BOOST_TEST(order.empty());

  signal.emit(net::cancellation_type::terminal);
  ctx.poll();
  BOOST_TEST(is_aborted(large.error));
  BOOST_TEST(order == std::vector<int>{2});
  BOOST_TEST(sem.in_use() == 4u);
}

BOOST_AUTO_TEST_CASE(losing_side_of_awaitable_or_is_cancelled_without_leak) {
  net::io_context ctx;
  AsyncSemaphore sem(1);
  std::vector<std::size_t> winners;

  // Free permit: acquire wins without suspending; its Permit is dropped with the variant.
  net::co_spawn(ctx, acquire_or_give_up(sem, winners), net::detached);
  ctx.run();
  BOOST_TEST(winners == std::vector<std::size_t>{0});
  BOOST_TEST(sem.available() == 1u);

  // No free permit: the post wins and the queued acquire is cancelled.
  BOOST_REQUIRE(sem.try_acquire());
  ctx.restart();
  net::co_spawn(ctx, acquire_or_give_up(sem, winners), net::detached);
  ctx.run();
  BOOST_TEST(winners == (std::vector<std::size_t>{0, 1}));
  BOOST_TEST(sem.waiting() == 0u);
  BOOST_TEST(sem.in_use() == 1u);
  sem.release();
  BOOST_TEST(sem.available() == 1u);
}

BOOST_AUTO_TEST_CASE(cancellation_racing_with_release_leaks_no_permit) {
  constexpr std::size_t kWaiters = 1500;
  for (int round = 0; round < 4; ++round) {
    net::io_context ctx;
    Race race(2);
    std::deque<net::cancellation_signal> signals(kWaiters);
    std::vector<net::strand<net::io_context::executor_type>> strands;
    for (std::size_t i = 0; i < kWaiters; ++i) {
      strands.push_back(net::make_strand(ctx));
      net::co_spawn(strands[i], race_waiter(race),
                    net::bind_cancellation_slot(signals[i].slot(),
                                                [&race](std::exception_ptr) { ++race.finished; }));
    }
    net::co_spawn(ctx, cancel_all(signals, strands), net::detached);
    s3up::test::run_on_threads(ctx, 4);

    BOOST_TEST_MESSAGE("round " << round << ": " << race.granted << " granted, " << race.aborted
                                << " aborted");
    BOOST_TEST(race.finished.load() == kWaiters);
    BOOST_TEST(race.unexpected.load() == 0u);
    BOOST_TEST(race.sem.available() == 2u);
    BOOST_TEST(race.sem.in_use() == 0u);
    BOOST_TEST(race.sem.waiting() == 0u);
  }
}

BOOST_AUTO_TEST_CASE(close_fails_all_current_and_future_waiters) {
  net::io_context ctx;
  AsyncSemaphore sem(1);
  BOOST_REQUIRE(sem.try_acquire());
  std::vector<int> order;
  std::vector<Outcome> outcomes(3);
  for (int i = 0; i < 3; ++i) start(ctx, take(sem, 1, i, order, true), outcomes[i]);
  ctx.poll();
  BOOST_TEST(sem.waiting() == 3u);

  sem.close();
  ctx.poll();
  for (const Outcome& outcome : outcomes) {
    BOOST_TEST(outcome.done);
    BOOST_TEST(is_aborted(outcome.error));
  }
  BOOST_TEST(sem.waiting() == 0u);
  BOOST_TEST(sem.closed());

  sem.release();
  BOOST_TEST(!sem.try_acquire());
  Outcome late;
  ctx.restart();  // poll() ran out of work
  start(ctx, take(sem, 1, 9, order, true), late);
  ctx.run();
  BOOST_TEST(is_aborted(late.error));
  BOOST_TEST(order.empty());
}

BOOST_AUTO_TEST_CASE(growing_capacity_wakes_waiters) {
  net::io_context ctx;
  AsyncSemaphore sem(1);
  BOOST_REQUIRE(sem.try_acquire());
  std::vector<int> order;
  for (int id = 0; id < 3; ++id) net::co_spawn(ctx, take(sem, 1, id, order, false), net::detached);
  ctx.poll();
  BOOST_TEST(order.empty());

  sem.set_capacity(3);
  ctx.poll();
  BOOST_TEST(order == (std::vector<int>{0, 1}));
  BOOST_TEST(sem.waiting() == 1u);

  sem.set_capacity(4);
  ctx.poll();
  BOOST_TEST(order == (std::vector<int>{0, 1, 2}));
  BOOST_TEST(sem.in_use() == 4u);
}

BOOST_AUTO_TEST_CASE(shrinking_capacity_takes_effect_as_permits_are_released) {
  net::io_context ctx;
  AsyncSemaphore sem(4);
  BOOST_REQUIRE(sem.try_acquire(4));
  sem.set_capacity(2);
  BOOST_TEST(sem.available() == 0u);
  std::vector<int> order;
  net::co_spawn(ctx, take(sem, 1, 1, order, false), net::detached);
  ctx.poll();

  sem.release();  // 3 in use
  ctx.poll();
  BOOST_TEST(order.empty());
  sem.release();  // 2 in use
  ctx.poll();
  BOOST_TEST(order.empty());
  sem.release();  // 1 in use: the waiter fits
  ctx.poll();
  BOOST_TEST(order == std::vector<int>{1});
  BOOST_TEST(sem.in_use() == 2u);
}

BOOST_AUTO_TEST_CASE(zero_capacity_pauses_until_grown) {
  net::io_context ctx;
  AsyncSemaphore sem(0);
  BOOST_TEST(!sem.try_acquire());
  std::vector<int> order;
  net::co_spawn(ctx, take(sem, 1, 1, order, false), net::detached);
  ctx.poll();
  BOOST_TEST(order.empty());
  sem.set_capacity(1);
  ctx.poll();
  BOOST_TEST(order == std::vector<int>{1});
}

BOOST_AUTO_TEST_SUITE_END()
