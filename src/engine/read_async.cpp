// Large file reads, and the hashing of what they read, off the async engine's I/O threads.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "engine/file_data.hpp"
#include "engine/run_context.hpp"
#include "s3/checksum.hpp"
#include "util/crypto.hpp"

namespace s3up::engine {
namespace {

constexpr std::size_t kOffloadFrom = 1 << 20;  // smaller reads cost less than two thread hops

asio::awaitable<ReadDigest> digest_on_pool(walker::Entry entry, std::uint64_t offset,
                                           std::span<char> out, DigestNeeds needs) {
  co_return read_and_digest(entry, offset, out, needs);
}

asio::awaitable<ReadDigest> digest_in_place(const walker::FileReader* file, walker::Entry entry,
                                            std::uint64_t offset, std::uint64_t length,
                                            DigestNeeds needs) {
  co_return digest_range(entry, *file, offset, length, needs);
}

}  // namespace

asio::awaitable<ReadDigest> digest_range_async(asio::any_io_executor file_io, DigestNeeds needs,
                                               const walker::FileReader* file,
                                               walker::Entry entry, std::uint64_t offset,
                                               std::uint64_t length) {
  if (!file_io) co_return digest_range(entry, *file, offset, length, needs);
  ReadDigest r = co_await asio::co_spawn(
      file_io, digest_in_place(file, std::move(entry), offset, length, needs),
      asio::use_awaitable);
  co_return r;
}

asio::awaitable<ReadDigest> read_and_digest_async(asio::any_io_executor file_io, DigestNeeds needs,
                                                  walker::Entry entry, std::uint64_t offset,
                                                  std::span<char> out) {
  if (!file_io || out.size() < kOffloadFrom) co_return read_and_digest(entry, offset, out, needs);
  // Runs as a coroutine on the pool; this one resumes on its own executor after it.
  ReadDigest r = co_await asio::co_spawn(
      file_io, digest_on_pool(std::move(entry), offset, out, needs),
      asio::use_awaitable);
  co_return r;
}

}  // namespace s3up::engine
