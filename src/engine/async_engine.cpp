#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <csignal>
#include <iostream>
#include <thread>
#include <unistd.h>

#include "engine/adaptive_concurrency.hpp"
#include "engine/engine.hpp"
#include "engine/run_context.hpp"

namespace s3up::engine {
namespace {

using Channel =
    asio::experimental::concurrent_channel<void(boost::system::error_code, walker::Entry)>;
constexpr std::size_t kWalkQueue = 1024;  // entries between the walker and the dispatcher

// Hands every walked entry to an upload coroutine, holding a request slot for it first so
// that at most --concurrency uploads (and their buffers) exist at once.
asio::awaitable<void> dispatch(RunContext& ctx, Channel& channel) {
  auto executor = co_await asio::this_coro::executor;
  const auto on_error = [&ctx](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      ctx.fail_run(std::string("internal error: ") + ex.what());
    }
  };
  for (;;) {
    auto [ec, entry] = co_await channel.async_receive(asio::as_tuple(asio::use_awaitable));
    if (ec || ctx.stopping.load()) break;
    auto accepted = accept_entry(ctx, entry);
    if (!accepted) continue;
    std::string key = std::move(*accepted);
    if (entry.size > ctx.opt.multipart_threshold) {
      coro::Permit slot = co_await coro::acquire_permit(ctx.open_multipart);
      if (ctx.stopping.load()) break;
      ctx.inflight.add();
      asio::co_spawn(executor, upload_multipart(ctx, std::move(entry), std::move(key), std::move(slot)),
                     [&ctx, on_error](std::exception_ptr e) {
                       on_error(e);
                       ctx.inflight.done();
                     });
    } else {
      coro::Permit permit = co_await coro::acquire_permit(ctx.requests);
      if (ctx.stopping.load()) break;
      ctx.inflight.add();
      asio::co_spawn(executor, upload_single(ctx, std::move(entry), std::move(key), std::move(permit)),
                     [&ctx, on_error](std::exception_ptr e) {
                       on_error(e);
                       ctx.inflight.done();
                     });
    }
  }
  channel.close();
  co_await ctx.inflight.wait();
}

// Feeds the channel from the walker on its own thread (the walk does blocking file-system
// calls); blocks while the queue is full, so memory does not grow with the tree.
void walk_into(walker::Walker& walker, Channel& channel) {
  try {
    while (auto entry = walker.next())
      channel.async_send(boost::system::error_code{}, std::move(*entry), asio::use_future).get();
    channel.async_send(asio::error::eof, walker::Entry{}, asio::use_future).get();
  } catch (const boost::system::system_error&) {
    // The channel was closed: the run is stopping and wants no more entries.
  }
}

}  // namespace

RunSummary run_async(const ServiceOptions& service, const UploadOptions& opt) {
  walker::Walker walker(opt.source, walker::Options{opt.follow_symlinks, true});
  const auto threads = std::max<std::size_t>(1, opt.threads);
  asio::io_context ioc(static_cast<int>(threads));
  http::Client http(ioc.get_executor(), service.tls, service.timeouts);
  s3::S3Client client(http, s3::SigV4Signer(service.credentials, service.region, "s3"),
                      service.endpoint, opt.bucket, service.path_style,
                      /*sign_payload=*/!service.endpoint_tls());
  Report report;
  RunContext ctx(opt, client, report);
  AdaptiveConfig adaptive;
  adaptive.initial = opt.concurrency;
  ConcurrencyController controller(ioc.get_executor(), ctx.requests, report, adaptive);
  if (opt.adaptive_concurrency) controller.start();
  Channel channel(ioc, kWalkQueue);
  ctx.on_stop = [&channel] { channel.close(); };

  asio::signal_set signals(ioc);
  if (opt.handle_signals) {
    signals.add(SIGINT);
    signals.add(SIGTERM);
    signals.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      ctx.interrupted = true;
      ctx.stop();
      std::cerr << "s3up: interrupted: finishing requests in flight and aborting open multipart "
                   "uploads (interrupt again to quit at once)\n";
      signals.async_wait([](boost::system::error_code ec2, int) {
        if (!ec2) ::_exit(130);
      });
    });
  }

  const auto started = std::chrono::steady_clock::now();
  RunSummary summary;
  summary.started = std::chrono::system_clock::now();
  asio::co_spawn(ioc, dispatch(ctx, channel), [&](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        report.fatal(std::string("internal error: ") + ex.what());
      }
    }
    signals.cancel();
    controller.stop();
    http.close_idle();
  });

  std::thread walking([&] { walk_into(walker, channel); });
  std::vector<std::thread> runners;
  for (std::size_t i = 1; i < threads; ++i) runners.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : runners) t.join();
  walking.join();

  // The clock stops after the last request has completed and every thread has returned.
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto started_wall = summary.started;
  summary = report.finish();
  summary.started = started_wall;
  summary.finished = std::chrono::system_clock::now();
  summary.seconds = seconds;
  summary.interrupted = ctx.interrupted.load();
  summary.engine = "async";
  summary.concurrency = opt.adaptive_concurrency ? controller.limit() : opt.concurrency;
  summary.concurrency_peak = opt.adaptive_concurrency ? controller.peak() : opt.concurrency;
  summary.threads = threads;
  return summary;
}

}  // namespace s3up::engine
