// One file, one PutObject: read, checksum, sign, send; retried from a fresh read.
#include "engine/file_data.hpp"
#include "engine/run_context.hpp"
#include "engine/verify.hpp"

namespace s3up::engine {

asio::awaitable<void> upload_single(RunContext& ctx, walker::Entry entry, std::string key,
                                    [[maybe_unused]] coro::Permit permit) {
  // File bytes count against --max-memory while they are held.
  coro::Permit memory = co_await coro::acquire_permit(ctx.memory, std::max<std::size_t>(entry.size, 1));
  DataBuffer buffer(entry.size);
  for (int attempt = 0;; ++attempt) {
    if (ctx.stopping.load() && attempt > 0) {
      ctx.report.failed({entry.path, key, "not completed: the run was stopped"});
      co_return;
    }
    // Wait for --limit-rate before reading, so the bytes sent are as fresh as possible. A run
    // that stops meanwhile sends nothing more.
    bool paced = true;
    if (!ctx.rate.unlimited()) paced = co_await ctx.rate.consume(buffer.size, ctx.stopping);
    if (!paced) {
      ctx.report.failed({entry.path, key, "not uploaded: the run was stopped"});
      co_return;
    }
    ReadDigest read = co_await read_and_digest_async(ctx, entry, 0, buffer.span());
    if (!read.problem.empty()) {
      ctx.report.failed({entry.path, key, read.problem});
      co_return;
    }
    s3::Headers headers = s3::object_headers(ctx.opt.object, entry.rel, entry.mtime_ns);
    const std::string checksum = std::move(read.checksum);
    if (ctx.opt.checksum != s3::ChecksumAlgorithm::None) {
      headers.emplace_back(std::string(s3::header_name(ctx.opt.checksum)), checksum);
      // Named as the SDKs name it: some S3 implementations (moto) store the checksum, and
      // return it to HeadObject for --sync-checksum, only with this header.
      if (auto algo = s3::algorithm_header_value(ctx.opt.checksum); !algo.empty())
        headers.emplace_back("x-amz-sdk-checksum-algorithm", std::string(algo));
    }
    const s3::OpResult r = co_await ctx.s3.put_object(
        key, std::span<const char>(buffer.data.get(), buffer.size), headers, std::move(read.sha256));
    if (r.ok) {
      if (auto bad = verify_stored_checksum(ctx.opt.checksum, checksum, r); !bad.empty()) {
        ctx.report.failed({entry.path, key, bad});
      } else {
        ctx.report.sent(entry.size);
        ctx.report.uploaded(entry.size, false);
        if (ctx.journal) ctx.journal->record_finished(key, entry.size, entry.mtime_ns);
      }
      co_return;
    }
    const Next next = co_await settle_failure(ctx, r, attempt);
    if (next == Next::Fail) ctx.report.failed({entry.path, key, r.message});
    if (!retrying(next)) co_return;
  }
}

}  // namespace s3up::engine
