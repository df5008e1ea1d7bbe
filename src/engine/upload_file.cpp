// The per-file entry point: skip what --sync finds unchanged, then one PutObject or a
// multipart upload.
#include "engine/run_context.hpp"
#include "engine/sync.hpp"

namespace s3up::engine {

asio::awaitable<void> upload_file(RunContext& ctx, walker::Entry entry, std::string key,
                                  std::optional<s3::ListedObject> remote, bool multipart,
                                  coro::Permit permit) {
  // (No co_await inside a short-circuit condition: GCC 12 miscompiles it.)
  bool unchanged = false;
  if (remote) unchanged = co_await is_unchanged(ctx, entry, key, *remote);
  if (unchanged) {
    ctx.report.unchanged(entry.size);
    if (ctx.journal) ctx.journal->record_finished(key, entry.size, entry.mtime_ns);
    co_return;
  }
  if (multipart)
    co_await upload_multipart(ctx, std::move(entry), std::move(key), std::move(permit));
  else
    co_await upload_single(ctx, std::move(entry), std::move(key), std::move(permit));
}

asio::awaitable<void> upload_dir_marker(RunContext& ctx, walker::Entry entry, std::string key,
                                        [[maybe_unused]] coro::Permit permit) {
  const s3::Headers headers = dir_marker_headers(ctx.opt);
  for (int attempt = 0;; ++attempt) {
    const s3::OpResult r = co_await ctx.s3.put_object(key, {}, headers);
    if (r.ok) {
      ctx.report.dir_marker();
      co_return;
    }
    const Next next = co_await settle_failure(ctx, r, attempt);
    if (next == Next::Fail) ctx.report.failed({entry.path, key, r.message});
    if (!retrying(next)) co_return;
  }
}

}  // namespace s3up::engine
