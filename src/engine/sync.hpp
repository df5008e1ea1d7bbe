// --sync: finding what the bucket already holds. The destination prefix is listed page by page
// (ListObjectsV2) and merged with the walk, which yields keys in the same byte order, so memory
// holds one page whatever the size of the bucket.
#pragma once
#include "engine/run_context.hpp"

#include <optional>
#include <string>

namespace s3up::engine {

class DestinationListing {
 public:
  DestinationListing(RunContext& ctx, std::string prefix);

  // The listed object whose key is exactly `key`, or nullopt. Keys must be asked in ascending
  // byte order; listed keys before `key` are passed over. A listing that fails (after retries)
  // stops the run (it is a run-wide problem) and returns nullopt from then on.
  asio::awaitable<std::optional<s3::ListedObject>> find(std::string key);

 private:
  asio::awaitable<bool> fetch_page();

  RunContext& ctx_;
  std::string prefix_;
  s3::ListObjectsPage page_;
  std::size_t position_ = 0;
  bool started_ = false;
  bool failed_ = false;
};

// Whether `remote` (the listed object at the file's key) already is the file as it is now, by
// ctx.opt.sync. May send a HeadObject (mtime metadata, stored checksum) and read the file
// (checksum mode).
asio::awaitable<bool> is_unchanged(RunContext& ctx, walker::Entry entry, std::string key,
                                   s3::ListedObject remote);

// "2026-11-24T23:32:00.000Z" as nanoseconds since the epoch; nullopt if unreadable.
std::optional<std::int64_t> parse_s3_time(const std::string& text);

}  // namespace s3up::engine
