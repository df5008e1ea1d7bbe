// The async engine's multipart coordinator: the shared steps (upload_steps.hpp) start the upload,
// send each part and finish it; here the parts run concurrently, spread over the lanes, each
// started once its memory is granted (so no more parts exist than --max-memory holds).
#include "coro/spawn.hpp"

#include "coro/wait_group.hpp"
#include "engine/async_io.hpp"
#include "engine/upload_steps.hpp"

namespace s3up::engine {

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
    coro::Permit memory = co_await coro::acquire_permit(
        ctx.throttles.memory, static_cast<std::size_t>(std::max<std::uint64_t>(upload->plan.length(index), 1)));
    if (upload->failed.load() || ctx.stopping.load()) break;
    parts->add();
    // The part's failure, if it throws, is recorded before the coordinator may go on: done()
    // comes after fail().
    coro::spawn(
        ctx.lanes.next(), steps::upload_part(io, upload, index, std::move(memory)),
        [upload](std::exception_ptr e) {
          upload->fail("internal error: " + coro::exception_message(e));
        },
        [parts] { parts->done(); });
  }
  co_await parts->wait();
  co_await steps::finish_multipart(io, upload);
}

}  // namespace s3up::engine
