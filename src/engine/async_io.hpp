// The async engine's Io for the shared upload steps (upload_steps.hpp): permits from
// AsyncSemaphores, pacing on timers, large reads on the read pool, requests over the coroutine
// HTTP client; every wait suspends the coroutine, never the thread.
#pragma once
#include "engine/adaptive_concurrency.hpp"
#include "engine/run_context.hpp"

namespace s3up::engine {

// --limit-rate for `bytes`, cut short when the run stops (false: send nothing more).
asio::awaitable<bool> pace_async(coro::RateLimiter* rate, const StopState* stop,
                                 std::uint64_t bytes);

// Waits, without blocking the thread, until the journal's records up to `seq` are durable
// (Journal::when_durable); false when the journal failed first (the run is then stopping). True
// without a journal.
asio::awaitable<bool> journal_durable_async(RunControl* run, std::uint64_t seq);

struct AsyncIo {
  template <class T>
  using Task = asio::awaitable<T>;
  using Permit = coro::Permit;

  RunContext* ctx;

  RunControl& run() const { return *ctx; }
  Task<Permit> memory(std::uint64_t bytes) const {
    return coro::acquire_permit(ctx->throttles.memory, static_cast<std::size_t>(bytes));
  }
  Task<bool> pace(std::uint64_t bytes) const {
    return pace_async(&ctx->throttles.rate, ctx, bytes);
  }
  Task<ReadDigest> read(walker::Entry entry, std::uint64_t offset, std::span<char> out,
                        DigestNeeds needs) const {
    return read_and_digest_async(ctx->lanes.file_io, needs, std::move(entry), offset, out);
  }
  Task<ReadDigest> digest(const walker::FileReader* file, walker::Entry entry, std::uint64_t offset,
                          std::uint64_t length, DigestNeeds needs) const {
    return digest_range_async(ctx->lanes.file_io, needs, file, std::move(entry), offset, length);
  }
  Task<Permit> request() const { return coro::acquire_permit(ctx->throttles.requests); }
  Task<s3::OpResult> send(s3::S3Call call) const { return ctx->s3.run(std::move(call)); }
  Task<Next> settle(s3::OpResult r, int attempt) const {
    return settle_failure(*ctx, std::move(r), attempt);
  }
  Task<bool> journal_durable(std::uint64_t seq) const { return journal_durable_async(ctx, seq); }
  void part_size_hint(std::uint64_t bytes) const {
    if (ctx->concurrency) ctx->concurrency->request_size_hint(bytes);
  }
  void parts_coming(std::uint64_t parts) const {
    if (ctx->parts_coming) ctx->parts_coming(parts);
  }
};

}  // namespace s3up::engine
