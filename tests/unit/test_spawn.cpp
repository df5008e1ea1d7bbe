// coro::spawn: detached coroutines whose exceptions reach a callback.
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>
#include <stdexcept>
#include <string>

#include "coro/semaphore.hpp"
#include "coro/spawn.hpp"
#include "coro_helpers.hpp"

namespace {

namespace net = boost::asio;

net::awaitable<void> succeed(int& steps) {
  co_await s3up::test::yield();
  ++steps;
}

net::awaitable<void> fail_after_yield(std::string message) {
  co_await s3up::test::yield();
  throw std::runtime_error(message);
}

net::awaitable<void> acquire_one(s3up::coro::AsyncSemaphore& sem) { co_await sem.acquire(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(spawn)

BOOST_AUTO_TEST_CASE(success_does_not_call_the_callback) {
  net::io_context ctx;
  int steps = 0;
  int calls = 0;
  s3up::coro::spawn(ctx.get_executor(), succeed(steps), [&calls](std::exception_ptr) { ++calls; });
  ctx.run();
  BOOST_TEST(steps == 1);
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(exception_reaches_the_callback) {
  net::io_context ctx;
  std::string caught;
  s3up::coro::spawn(ctx.get_executor(), fail_after_yield("boom"), [&caught](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::runtime_error& error) {
      caught = error.what();
    }
  });
  ctx.run();
  BOOST_TEST(caught == "boom");
}

BOOST_AUTO_TEST_CASE(exception_without_callback_propagates_from_run) {
  net::io_context ctx;
  s3up::coro::spawn(ctx.get_executor(), fail_after_yield("lost?"), nullptr);
  BOOST_CHECK_THROW(ctx.run(), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(cancellation_slot_cancels_the_task) {
  net::io_context ctx;
  s3up::coro::AsyncSemaphore sem(0);
  net::cancellation_signal signal;
  std::exception_ptr error;
  s3up::coro::spawn(
      ctx.get_executor(), acquire_one(sem), [&error](std::exception_ptr e) { error = e; },
      signal.slot());
  ctx.poll();
  BOOST_TEST(sem.waiting() == 1u);
  signal.emit(net::cancellation_type::terminal);
  ctx.run();
  BOOST_TEST(s3up::test::is_aborted(error));
  BOOST_TEST(sem.waiting() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
