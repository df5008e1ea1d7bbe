// The async engine's per-file entry points: the shared steps (upload_steps.hpp) over AsyncIo.
#include "engine/async_io.hpp"
#include "engine/upload_steps.hpp"

namespace s3up::engine {

asio::awaitable<bool> pace_async(coro::RateLimiter* rate, const StopState* stop,
                                 std::uint64_t bytes) {
  if (rate->unlimited()) co_return true;
  const bool paced = co_await rate->consume(bytes, stop->stopping);
  co_return paced;
}

asio::awaitable<void> upload_file(RunContext& ctx, walker::Entry entry, std::string key,
                                  std::optional<s3::ListedObject> remote, bool multipart,
                                  coro::Permit slot) {
  const AsyncIo io{&ctx};
  const bool unchanged = co_await steps::skip_unchanged(io, entry, key, std::move(remote));
  if (unchanged) co_return;
  if (multipart)
    co_await upload_multipart(ctx, std::move(entry), std::move(key), std::move(slot));
  else
    co_await steps::put_file(io, std::move(entry), std::move(key));
}

asio::awaitable<void> upload_dir_marker(RunContext& ctx, walker::Entry entry, std::string key,
                                        [[maybe_unused]] coro::Permit slot) {
  co_await steps::put_dir_marker(AsyncIo{&ctx}, std::move(entry), std::move(key));
}

}  // namespace s3up::engine
