#include "engine/sync.hpp"

#include <ctime>

#include "engine/file_data.hpp"
#include "engine/part_plan.hpp"
#include "util/crypto.hpp"

namespace s3up::engine {

DestinationListing::DestinationListing(RunContext& ctx, std::string prefix)
    : ctx_(ctx), prefix_(std::move(prefix)) {}

asio::awaitable<bool> DestinationListing::fetch_page() {
  const std::string token = page_.next_continuation_token;
  for (int attempt = 0;; ++attempt) {
    s3::OpResult r;
    {
      coro::Permit permit = co_await coro::acquire_permit(ctx_.requests);
      r = co_await ctx_.s3.list_objects_v2(prefix_, token);
    }
    if (r.ok) {
      auto page = s3::parse_list_objects_v2(r.body);
      if (page) {
        page_ = std::move(*page);
        position_ = 0;
        co_return true;
      }
      r.ok = false;
      r.error_class = s3::ErrorClass::Retryable;
      r.message = "ListObjectsV2: unreadable reply";
    }
    switch (after_failure(ctx_, r, attempt)) {
      case Next::Retry:
        co_await backoff(ctx_, attempt + 1);
        break;
      case Next::RetryNow:
        break;
      case Next::Fail:
        ctx_.fail_run("cannot list s3://" + ctx_.opt.bucket + "/" + prefix_ + " for --sync: " +
                      r.message);
        co_return false;
      case Next::Stop:
        co_return false;
    }
  }
}

asio::awaitable<std::optional<s3::ListedObject>> DestinationListing::find(std::string key) {
  if (failed_) co_return std::nullopt;
  // The awaited result goes to a variable first: GCC 12 miscompiles a co_return inside an
  // `if (co_await ...)` (the coroutine dies on an illegal instruction when resumed).
  if (!started_) {
    started_ = true;
    const bool fetched = co_await fetch_page();
    if (!fetched) {
      failed_ = true;
      co_return std::nullopt;
    }
  }
  for (;;) {
    while (position_ < page_.objects.size() && page_.objects[position_].key < key) ++position_;
    if (position_ < page_.objects.size()) {
      if (page_.objects[position_].key == key) co_return page_.objects[position_];
      co_return std::nullopt;
    }
    if (!page_.truncated || page_.next_continuation_token.empty()) co_return std::nullopt;
    const bool fetched = co_await fetch_page();
    if (!fetched) {
      failed_ = true;
      co_return std::nullopt;
    }
  }
}

std::optional<std::int64_t> parse_s3_time(const std::string& text) {
  std::tm tm{};
  int year, month, day, hour, minute;
  double second;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%lfZ", &year, &month, &day, &hour, &minute,
                  &second) != 6)
    return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = 0;
  const std::time_t t = timegm(&tm);
  return static_cast<std::int64_t>(t) * 1'000'000'000 +
         static_cast<std::int64_t>(second * 1e9);
}

namespace {

// The checksum of [offset, offset + length) of the file, read in 1 MiB pieces, as raw bytes
// and base64. Returns nullopt (with reason) when the file cannot be read as listed.
std::optional<std::string> local_checksum(const walker::Entry& entry, s3::ChecksumAlgorithm algo,
                                          std::uint64_t offset, std::uint64_t length) {
  s3::Checksummer sum(algo);
  DataBuffer buffer(std::min<std::uint64_t>(length, 1 << 20));
  for (std::uint64_t done = 0; done < length;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size, length - done));
    if (!read_range(entry, offset + done, {buffer.data.get(), n}).empty()) return std::nullopt;
    sum.update({reinterpret_cast<const unsigned char*>(buffer.data.get()), n});
    done += n;
  }
  return sum.value();
}

// What S3 stores for an object uploaded whole ("base64") or in N parts ("base64-N": the
// checksum of the parts' checksums), computed from the local file with our part plan.
std::optional<std::string> expected_stored_checksum(RunContext& ctx, const walker::Entry& entry,
                                                    const std::string& stored) {
  const auto algo = ctx.opt.checksum;
  const auto dash = stored.rfind('-');
  if (dash == std::string::npos) return local_checksum(entry, algo, 0, entry.size);
  const PartPlan plan = plan_parts(entry.size, ctx.opt.part_size);
  if (std::to_string(plan.part_count) != stored.substr(dash + 1)) return std::nullopt;
  std::string raw;
  for (std::uint64_t i = 0; i < plan.part_count; ++i) {
    auto part = local_checksum(entry, algo, plan.offset(i), plan.length(i));
    if (!part) return std::nullopt;
    auto bytes = util::base64_decode(*part);
    if (!bytes) return std::nullopt;
    raw += *bytes;
  }
  return s3::checksum_of(algo, util::as_bytes(raw)) + "-" + std::to_string(plan.part_count);
}

}  // namespace

asio::awaitable<bool> is_unchanged(RunContext& ctx, walker::Entry entry, std::string key,
                                   s3::ListedObject remote) {
  if (remote.size != entry.size) co_return false;
  switch (ctx.opt.sync) {
    case SyncMode::Off:
      co_return false;
    case SyncMode::SizeOnly:
      co_return true;
    case SyncMode::SizeAndMtime: {
      // Written after the file last changed: unchanged (aws s3 sync's rule). Otherwise the
      // object may still carry the file's exact mtime from an earlier s3up upload.
      if (auto written = parse_s3_time(remote.last_modified); written && *written >= entry.mtime_ns)
        co_return true;
      const s3::OpResult head = co_await ctx.s3.head_object(key);
      co_return head.ok && head.header(std::string(s3::kMtimeHeader)) == s3::format_mtime(entry.mtime_ns);
    }
    case SyncMode::Checksum: {
      if (ctx.opt.checksum == s3::ChecksumAlgorithm::None ||
          ctx.opt.checksum == s3::ChecksumAlgorithm::Md5)
        co_return false;  // nothing comparable is stored: upload
      s3::Headers mode;
      mode.emplace_back("x-amz-checksum-mode", "ENABLED");
      const s3::OpResult head = co_await ctx.s3.head_object(key, std::move(mode));
      if (!head.ok) co_return false;
      std::string name(s3::header_name(ctx.opt.checksum));
      const std::string stored = head.header(name);
      if (stored.empty()) co_return false;
      const auto expected = expected_stored_checksum(ctx, entry, stored);
      co_return expected && *expected == stored;
    }
  }
  co_return false;
}

}  // namespace s3up::engine
