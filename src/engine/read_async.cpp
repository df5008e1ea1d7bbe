// Large file reads off the async engine's I/O threads.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "engine/file_data.hpp"
#include "engine/run_context.hpp"

namespace s3up::engine {
namespace {

constexpr std::size_t kOffloadFrom = 1 << 20;  // smaller reads cost less than two thread hops

asio::awaitable<std::string> read_on_pool(walker::Entry entry, std::uint64_t offset,
                                          std::span<char> out) {
  co_return read_range(entry, offset, out);
}

}  // namespace

asio::awaitable<std::string> read_range_async(RunContext& ctx, walker::Entry entry,
                                              std::uint64_t offset, std::span<char> out) {
  if (!ctx.file_io || out.size() < kOffloadFrom) co_return read_range(entry, offset, out);
  // The read runs as a coroutine on the pool; this one resumes on its own executor after it.
  std::string problem = co_await asio::co_spawn(
      ctx.file_io, read_on_pool(std::move(entry), offset, out), asio::use_awaitable);
  co_return problem;
}

}  // namespace s3up::engine
