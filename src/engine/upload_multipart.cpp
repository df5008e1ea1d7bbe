// The async engine's multipart coordinator: the shared steps (upload_steps.hpp) start the upload,
// send each part and finish it; here the parts run concurrently, spread over the lanes, each
// started once it has a place among the single-request bodies in progress (as many as requests
// may be in flight, so that a part's first pass runs just before it is sent, not a file's worth
// of parts ahead) and its memory (a streamed part's window, within --max-memory).
#include "coro/spawn.hpp"

#include "coro/wait_group.hpp"
#include "engine/async_io.hpp"
#include "engine/upload_steps.hpp"

namespace s3up::engine {
namespace {

// Part `index`, holding `place` (among the single-request bodies in progress) until it ends.
asio::awaitable<void> part_in_place(AsyncIo io, std::shared_ptr<steps::MultipartUpload> upload,
                                    std::uint64_t index, coro::Permit memory,
                                    [[maybe_unused]] coro::Permit place) {
  co_await steps::upload_part(io, std::move(upload), index, std::move(memory));
}

}  // namespace

asio::awaitable<void> upload_multipart(RunContext& ctx, walker::Entry entry, std::string key,
                                       [[maybe_unused]] coro::Permit slot) {
  const AsyncIo io{&ctx};
  auto upload = std::make_shared<steps::MultipartUpload>();
  upload->plan = plan_parts(entry.size, ctx.opt.part_size, ctx.opt.spread_parts);
  upload->entry = std::move(entry);
  upload->key = std::move(key);
  const bool started = co_await steps::start_multipart(io, upload);
  if (!started) co_return;

  auto parts = std::make_shared<coro::WaitGroup>();
  for (std::uint64_t index = 0; index < upload->plan.part_count; ++index) {
    if (upload->failed.load() || ctx.stopping.load()) break;
    if (!upload->parts[index].etag.empty()) {  // resumed: nothing to send
      co_await steps::upload_part(io, upload, index, coro::Permit());
      continue;
    }
    coro::Permit place = co_await coro::acquire_permit(ctx.throttles.uploads);
    coro::Permit memory = co_await coro::acquire_permit(ctx.throttles.memory, kStreamMemory);
    if (upload->failed.load() || ctx.stopping.load()) break;
    parts->add();
    // The part's failure, if it throws, is recorded before the coordinator may go on: done()
    // comes after fail().
    coro::spawn(
        ctx.lanes.next(), part_in_place(io, upload, index, std::move(memory), std::move(place)),
        [upload](std::exception_ptr e) {
          upload->fail("internal error: " + coro::exception_message(e));
        },
        [parts] { parts->done(); });
  }
  co_await parts->wait();
  co_await steps::finish_multipart(io, upload);
}

}  // namespace s3up::engine
