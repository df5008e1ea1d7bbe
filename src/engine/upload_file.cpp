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
  s3::Headers headers = s3::object_headers(ctx.opt.object, "", 0);
  std::erase_if(headers, [](const s3::Header& h) { return h.first == s3::kMtimeHeader; });
  if (ctx.opt.checksum != s3::ChecksumAlgorithm::None) {
    headers.emplace_back(std::string(s3::header_name(ctx.opt.checksum)),
                         s3::checksum_of(ctx.opt.checksum, {}));
    if (auto algo = s3::algorithm_header_value(ctx.opt.checksum); !algo.empty())
      headers.emplace_back("x-amz-sdk-checksum-algorithm", std::string(algo));
  }
  for (int attempt = 0;; ++attempt) {
    const s3::OpResult r = co_await ctx.s3.put_object(key, {}, headers);
    if (r.ok) {
      ctx.report.dir_marker();
      co_return;
    }
    switch (after_failure(ctx, r, attempt)) {
      case Next::Retry:
        co_await backoff(ctx, attempt + 1);
        break;
      case Next::RetryNow:
        break;
      case Next::Fail:
        ctx.report.failed({entry.path, key, r.message});
        co_return;
      case Next::Stop:
        co_return;
    }
  }
}

}  // namespace s3up::engine
