#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <csignal>
#include <deque>
#include <iostream>
#include <memory>
#include <thread>
#include <unistd.h>

#include "coro/spawn.hpp"
#include "engine/adaptive_concurrency.hpp"
#include "engine/async_io.hpp"
#include "engine/engine.hpp"
#include "engine/run_context.hpp"
#include "engine/run_setup.hpp"
#include "engine/start_order.hpp"
#include "engine/upload_steps.hpp"
#include "util/utf8.hpp"

namespace s3up::engine {
namespace {

// Walked entries travel in batches: one channel hand-off (and thread wake-up) per batch, not
// per file.
using Batch = std::vector<walker::Entry>;
using Channel = asio::experimental::concurrent_channel<void(boost::system::error_code, Batch)>;
constexpr std::size_t kBatch = 64;        // entries per hand-off
constexpr std::size_t kWalkQueue = 16;    // batches between the walker and the dispatcher
constexpr std::size_t kLookAhead = 4096;  // walked files the start order chooses from

// A walked file that steps::plan_upload left to upload, waiting for its turn (start_order.hpp).
struct Ready {
  walker::Entry entry;
  steps::Planned planned;
};

// Starts the upload coroutine of `ready`, which holds `slot`, its place among the uploads in
// progress (among open multipart uploads for a large file), so that at most that many uploads
// and their buffers exist at once. `large`: counted in ctx.large_uploads until it ends.
void launch(RunContext& ctx, Ready ready, coro::Permit slot, bool large) {
  ctx.inflight.add();
  if (large) ctx.large_uploads.fetch_add(1, std::memory_order_relaxed);
  const auto failed = [&ctx](std::exception_ptr e) {
    ctx.fail_run("internal error: " + coro::exception_message(e));
  };
  const auto finished = [&ctx, large] {
    if (large) ctx.large_uploads.fetch_sub(1, std::memory_order_relaxed);
    ctx.inflight.done();
  };
  auto executor = ctx.lanes.next();
  steps::Planned& planned = ready.planned;
  if (planned.marker)
    coro::spawn(executor,
                upload_dir_marker(ctx, std::move(ready.entry), std::move(planned.key),
                                  std::move(slot)),
                failed, finished);
  else
    coro::spawn(executor,
                upload_file(ctx, std::move(ready.entry), std::move(planned.key),
                            std::move(planned.remote), planned.multipart, std::move(slot)),
                failed, finished);
}

// Settles one walked entry (the shared steps::plan_upload) or readies its upload: a multipart
// one starts at once (in walk order, once a place among the open multipart uploads is free),
// any other joins `order`. Returns false when the run is stopping.
asio::awaitable<bool> plan_entry(RunContext& ctx, steps::Listing* listing, walker::Entry entry,
                                 StartOrder<Ready>* order, WalkTotals* totals) {
  const bool file = entry.kind == walker::EntryKind::File;
  auto planned = co_await steps::plan_upload(AsyncIo{&ctx}, listing, &entry);
  if (ctx.stopping.load()) co_return false;
  if (!planned) {
    if (file) totals->attempted.fetch_add(1, std::memory_order_relaxed);
    co_return true;
  }
  if (planned->multipart) {
    coro::Permit slot = co_await coro::acquire_permit(ctx.throttles.open_multipart);
    if (ctx.stopping.load()) co_return false;
    launch(ctx, Ready{std::move(entry), std::move(*planned)}, std::move(slot), false);
    totals->attempted.fetch_add(1, std::memory_order_relaxed);
    co_return true;
  }
  const std::uint64_t large_bytes = planned->large ? entry.size : 0;
  order->push(Ready{std::move(entry), std::move(*planned)}, large_bytes);
  co_return true;
}

// Starts the next upload of `order` (not empty) once a place among the uploads in progress is
// free. Returns false when the run is stopping.
asio::awaitable<bool> start_next(RunContext& ctx, StartOrder<Ready>* order, WalkTotals* totals) {
  coro::Permit slot = co_await coro::acquire_permit(ctx.throttles.uploads);
  if (ctx.stopping.load()) co_return false;
  bool large = false;
  Ready ready = order->pop(ctx.large_uploads.load(std::memory_order_relaxed),
                           ctx.throttles.uploads.capacity(), large);
  const bool file = ready.entry.kind == walker::EntryKind::File;
  launch(ctx, std::move(ready), std::move(slot), large);
  if (file) totals->attempted.fetch_add(1, std::memory_order_relaxed);
  co_return true;
}

// Takes the walker's batches in key order (which lets --sync merge them with the destination
// listing), plans each entry, and starts the uploads in the start order (start_order.hpp) over
// what the walker has already delivered, up to kLookAhead files, never waiting for the walker
// while an upload is ready to start; until the walk ends or the run stops, then waits for every
// upload.
asio::awaitable<void> dispatch(RunContext& ctx, Channel& channel, WalkTotals& totals) {
  std::optional<steps::Listing> listing;
  if (ctx.opt.sync != SyncMode::Off) listing.emplace(steps::Listing{ctx.opt.prefix, {}, false});
  steps::Listing* const list = listing ? &*listing : nullptr;
  StartOrder<Ready> order;
  std::deque<walker::Entry> walked;  // received, not planned yet
  bool walking = true;
  bool more = true;
  const auto take = [&walked, &walking](boost::system::error_code ec, Batch batch) {
    if (ec) walking = false;
    for (auto& entry : batch) walked.push_back(std::move(entry));
  };
  while (more && !ctx.stopping.load()) {
    if (walked.empty() && order.empty()) {
      if (!walking) break;
      auto [ec, batch] = co_await channel.async_receive(asio::as_tuple(asio::use_awaitable));
      take(ec, std::move(batch));
    }
    while (walking && walked.size() + order.size() < kLookAhead && channel.try_receive(take)) {
    }
    while (more && !walked.empty()) {
      walker::Entry entry = std::move(walked.front());
      walked.pop_front();
      more = co_await plan_entry(ctx, list, std::move(entry), &order, &totals);
    }
    if (more && !order.empty()) more = co_await start_next(ctx, &order, &totals);
  }
  channel.close();
  co_await ctx.inflight.wait();
}

// Feeds the channel from the walker on its own thread (the walk does blocking file-system
// calls); blocks while the queue is full, so memory does not grow with the tree.
void walk_into(walker::Walker& walker, Channel& channel, WalkTotals& totals) {
  try {
    Batch batch;
    batch.reserve(kBatch);
    while (auto entry = walker.next()) {
      totals.files.store(walker.files_seen(), std::memory_order_relaxed);
      totals.bytes.store(walker.bytes_seen(), std::memory_order_relaxed);
      batch.push_back(std::move(*entry));
      if (batch.size() == kBatch) {
        channel.async_send(boost::system::error_code{}, std::move(batch), asio::use_future).get();
        batch = Batch();
        batch.reserve(kBatch);
      }
    }
    totals.done.store(true, std::memory_order_release);
    if (!batch.empty())
      channel.async_send(boost::system::error_code{}, std::move(batch), asio::use_future).get();
    channel.async_send(asio::error::eof, Batch{}, asio::use_future).get();
  } catch (const boost::system::system_error&) {
    // The channel was closed: the run is stopping and wants no more entries; the rest of the
    // tree is only counted.
    count_rest_of_walk(walker, totals);
    totals.done.store(true, std::memory_order_release);
  }
}

}  // namespace

RunSummary run_async(const ServiceOptions& service, const UploadOptions& opt) {
  walker::Walker walker(opt.source, walk_options(opt));
  // Throws JournalError (a run-wide problem) before anything is sent.
  std::unique_ptr<Journal> journal = open_journal(service, opt);
  DataBuffer::hold_at_most(opt.max_memory);  // buffers in use and reused within --max-memory
  const auto threads = std::max<std::size_t>(1, opt.threads);
  // One io_context per thread ("lanes"): each thread runs its own event loop and the
  // connections of the uploads placed on it, so completions never wake another thread (with
  // several threads on one io_context every completion could). Lane 0 also runs the dispatcher,
  // the signal handler and the concurrency controller.
  std::vector<std::unique_ptr<asio::io_context>> lanes;
  std::vector<asio::any_io_executor> lane_executors;
  for (std::size_t i = 0; i < threads; ++i) {
    lanes.push_back(std::make_unique<asio::io_context>(1));
    lane_executors.push_back(lanes.back()->get_executor());
  }
  asio::io_context& ioc = *lanes.front();
  // Lanes other than the first would return from run() while they have nothing to do yet.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
  for (std::size_t i = 1; i < threads; ++i)
    keep_running.push_back(asio::make_work_guard(*lanes[i]));
  http::Client http(lane_executors, service.tls, service.timeouts);
  s3::S3Client client(http,
                      s3::SigV4Signer(*service.credentials->current().credentials,
                                      service.region, "s3"),
                      service.endpoint, opt.bucket, service.path_style,
                      /*sign_payload=*/!service.endpoint_tls());
  client.protocol().use_credentials(service.credentials);
  Report report;
  RunContext ctx(opt, client, report);
  ctx.lanes.io = lane_executors;
  asio::thread_pool file_io(2);  // large reads and their hashing (read_and_digest_async)
  ctx.lanes.file_io = file_io.get_executor();
  WalkTotals totals;  // the walk's counts (walk_into), also read by the controller
  AdaptiveConfig adaptive;
  adaptive.initial = opt.concurrency;
  adaptive.max = opt.concurrency_ceiling;
  ConcurrencyController controller(ioc.get_executor(), ctx.throttles.requests, report,
                                   [&http] { return http.bytes_written(); }, adaptive);
  if (opt.adaptive_concurrency) {
    controller.also_limit(ctx.throttles.uploads);
    // In sight: the uploads in progress and the files walked that none has taken up yet.
    controller.open_ahead_with(
        [&http, &client](std::size_t connections) {
          http.open_ahead(client.protocol().target(), connections);
        },
        [&ctx, &totals]() -> std::uint64_t {
          const std::uint64_t walked = totals.files.load(std::memory_order_relaxed);
          const std::uint64_t taken = totals.attempted.load(std::memory_order_relaxed);
          return ctx.throttles.uploads.in_use() + (walked > taken ? walked - taken : 0);
        });
    controller.start();
    ctx.concurrency = &controller;
  }
  // With auto, up to its ceiling: parts that start together share the link evenly, while those
  // that wait for the limit's first growth (0.6 s at 80 ms) and then for their connections
  // start into a link the others fill (measured at 80 ms: the README's WAN section).
  const std::size_t most_in_flight = opt.adaptive_concurrency ? adaptive.max : opt.concurrency;
  ctx.parts_coming = [&http, &client, &ctx, most_in_flight](std::uint64_t parts) {
    const std::size_t open = http.connections_open_or_opening();
    const std::size_t more =
        connections_for_parts(parts, kStreamMemory, ctx.opt.max_memory, most_in_flight, open);
    if (more > 0) http.open_ahead(client.protocol().target(), open + more);
  };
  ctx.attach_journal(journal.get());
  Channel channel(ioc, kWalkQueue);
  ctx.on_stop = [&channel] { channel.close(); };

  asio::signal_set signals(ioc);
  if (opt.handle_signals) {
    signals.add(SIGINT);
    signals.add(SIGTERM);
    watch_interrupts(signals, ctx, opt.warning);
  }

  const auto started = std::chrono::steady_clock::now();
  RunSummary summary;
  summary.started = std::chrono::system_clock::now();
  coro::spawn(
      ioc.get_executor(), dispatch(ctx, channel, totals),
      [&report](std::exception_ptr e) {
        report.fatal("internal error: " + coro::exception_message(e));
      },
      [&] {
        signals.cancel();
        controller.stop();
        http.close_idle();
        for (auto& guard : keep_running) guard.reset();
      });

  std::thread walking([&] { walk_into(walker, channel, totals); });
  std::optional<ProgressReporter> progress;
  start_progress(progress, opt, report, totals,
                 [&ctx]() -> std::uint64_t { return ctx.throttles.requests.in_use(); }, started);
  std::vector<std::thread> runners;
  for (std::size_t i = 1; i < threads; ++i)
    runners.emplace_back([lane = lanes[i].get()] { lane->run(); });
  ioc.run();
  for (auto& t : runners) t.join();
  walking.join();
  if (progress) progress->stop();
  close_journal(journal.get(), report);
  if (ctx.stopping.load()) count_not_attempted(report, walker, totals);

  finish_summary(summary, report, opt, started, ctx.interrupted.load());
  summary.engine = "async";
  summary.concurrency = opt.adaptive_concurrency ? controller.limit() : opt.concurrency;
  summary.concurrency_peak = opt.adaptive_concurrency ? controller.peak() : opt.concurrency;
  summary.concurrency_history = controller.history();
  summary.threads = threads;
  summary.connections_opened = http.connections_opened();
  summary.connections_peak_open = http.connections_peak_open();
  summary.connections_opened_ahead = http.connections_opened_ahead();
  summary.connections_awaited = http.connections_awaited();
  summary.tls_handshakes = http.tls_handshakes();
  summary.tls_resumed = http.tls_resumed();
  summary.connections_paced = http.connections_paced();
  summary.stragglers_resent = http.stragglers_resent();
  summary.connections_borrowed = http.connections_borrowed();
  return summary;
}

}  // namespace s3up::engine
