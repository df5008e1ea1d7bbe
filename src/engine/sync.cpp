#include "engine/sync.hpp"

#include <cctype>
#include <ctime>

#include "engine/file_data.hpp"
#include "engine/integrity.hpp"
#include "engine/part_plan.hpp"
#include "util/crypto.hpp"

namespace s3up::engine {

ListingCursor::Seek ListingCursor::seek(const std::string& key) {
  if (!started_) return Seek::NeedPage;
  while (position_ < page_.objects.size() && page_.objects[position_].key < key) ++position_;
  if (position_ < page_.objects.size())
    return page_.objects[position_].key == key ? Seek::Found : Seek::Absent;
  if (!page_.truncated || page_.next_continuation_token.empty()) return Seek::Absent;
  return Seek::NeedPage;
}

void ListingCursor::set_page(s3::ListObjectsPage page) {
  page_ = std::move(page);
  position_ = 0;
  started_ = true;
}

std::optional<s3::ListObjectsPage> read_listing(s3::OpResult& r) {
  if (!r.ok) return std::nullopt;
  auto page = s3::parse_list_objects_v2(r.body);
  if (page) return page;
  r.ok = false;
  r.error = s3::S3Errc::bad_reply;
  r.error_class = s3::ErrorClass::Retryable;
  r.message = "ListObjectsV2: unreadable reply";
  return std::nullopt;
}

std::string listing_failure(const UploadOptions& opt, const std::string& prefix,
                            const s3::OpResult& r) {
  return "cannot list s3://" + opt.bucket + "/" + prefix + " for --sync: " + r.message;
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
    if (read_range(entry, offset + done, {buffer.data.get(), n})) return std::nullopt;
    sum.update({reinterpret_cast<const unsigned char*>(buffer.data.get()), n});
    done += n;
  }
  return sum.value();
}

// The parts' raw `algo` digests, concatenated, with our part plan: what S3 hashes again for a
// multipart object's composite checksum ("-N") and its ETag. nullopt when the file cannot be
// read as listed.
std::optional<std::string> joined_part_digests(const walker::Entry& entry,
                                               s3::ChecksumAlgorithm algo, const PartPlan& plan) {
  std::string raw;
  for (std::uint64_t i = 0; i < plan.part_count; ++i) {
    auto part = local_checksum(entry, algo, plan.offset(i), plan.length(i));
    if (!part) return std::nullopt;
    auto bytes = util::base64_decode(*part);
    if (!bytes) return std::nullopt;
    raw += *bytes;
  }
  return raw;
}

// What S3 stores for an object uploaded whole ("base64") or in N parts ("base64-N": the
// checksum of the parts' checksums), computed from the local file with our part plan.
std::optional<std::string> expected_stored_checksum(const UploadOptions& opt,
                                                    const walker::Entry& entry,
                                                    const std::string& stored) {
  const auto algo = opt.checksum;
  const auto dash = stored.rfind('-');
  if (dash == std::string::npos) return local_checksum(entry, algo, 0, entry.size);
  const PartPlan plan = plan_parts(entry.size, opt.part_size, opt.spread_parts);
  if (std::to_string(plan.part_count) != stored.substr(dash + 1)) return std::nullopt;
  const auto raw = joined_part_digests(entry, algo, plan);
  if (!raw) return std::nullopt;
  return s3::checksum_of(algo, util::as_bytes(*raw)) + "-" + std::to_string(plan.part_count);
}

// The ETag S3 gives the file uploaded whole (its MD5) or in parts of our part size (the MD5 of
// the part MD5s, "-N"), when `etag` is of either form; nullopt when it is neither, has another
// part count, or the file cannot be read as listed.
std::optional<bool> etag_is_the_files(const UploadOptions& opt, const walker::Entry& entry,
                                      std::string etag) {
  if (opt.object.sse.value_or("") == "aws:kms") return std::nullopt;  // no MD5 ETags
  if (etag_is_plain_md5(etag)) {
    const auto md5 = local_checksum(entry, s3::ChecksumAlgorithm::Md5, 0, entry.size);
    if (!md5) return std::nullopt;
    return etag_matches_md5(etag, *md5);
  }
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  const auto dash = etag.rfind('-');
  if (dash == std::string::npos || !etag_is_plain_md5(etag.substr(0, dash))) return std::nullopt;
  const PartPlan plan = plan_parts(entry.size, opt.part_size, opt.spread_parts);
  if (std::to_string(plan.part_count) != etag.substr(dash + 1)) return std::nullopt;
  const auto raw = joined_part_digests(entry, s3::ChecksumAlgorithm::Md5, plan);
  if (!raw) return std::nullopt;
  const std::string whole = s3::checksum_of(s3::ChecksumAlgorithm::Md5, util::as_bytes(*raw));
  return etag_matches_md5(etag.substr(0, dash), whole);
}

}  // namespace

std::string sync_fallback_note(const UploadOptions& opt, SyncFallback fallback) {
  const std::string lacking =
      "note: the endpoint keeps no " + std::string(s3::algorithm_header_value(opt.checksum)) +
      " checksum for ";
  switch (fallback) {
    case SyncFallback::EtagMd5:
      return lacking + "some objects; --sync-checksum compares their ETag with the file's MD5 "
                       "instead";
    case SyncFallback::SizeMtime:
      return lacking + "some objects, and their ETag is no MD5 of ours; --sync-checksum compares "
                       "their size and modification time instead (--sync-checksum-strict uploads "
                       "them again)";
    case SyncFallback::Uploaded:
      return lacking + "some objects, and their ETag is no MD5 of ours; "
                       "--sync-checksum-strict uploads them again";
  }
  return {};
}

UnchangedCheck start_unchanged_check(const UploadOptions& opt, const walker::Entry& entry,
                                     const s3::ListedObject& remote) {
  if (remote.size != entry.size) return {false, {}};
  switch (opt.sync) {
    case SyncMode::Off:
      return {false, {}};
    case SyncMode::SizeOnly:
      return {true, {}};
    case SyncMode::SizeAndMtime:
      // Written after the file last changed: unchanged (aws s3 sync's rule). Otherwise the
      // object may still carry the file's exact mtime from an earlier s3up upload.
      if (auto written = parse_s3_time(remote.last_modified); written && *written >= entry.mtime_ns)
        return {true, {}};
      return {std::nullopt, {}};
    case SyncMode::Checksum: {
      if (opt.checksum == s3::ChecksumAlgorithm::None) return {false, {}};  // refused by the CLI
      UnchangedCheck check;
      // (md5: the ETag is compared, which HeadObject returns anyway.)
      if (opt.checksum != s3::ChecksumAlgorithm::Md5)
        check.head_headers.emplace_back("x-amz-checksum-mode", "ENABLED");
      return check;
    }
  }
  return {false, {}};
}

SyncVerdict unchanged_after_head(const UploadOptions& opt, const walker::Entry& entry,
                                 const s3::OpResult& head) {
  if (!head.ok) return {};
  const bool same_mtime =
      head.header(std::string(s3::kMtimeHeader)) == s3::format_mtime(entry.mtime_ns);
  switch (opt.sync) {
    case SyncMode::SizeAndMtime:
      return {same_mtime, std::nullopt};
    case SyncMode::Checksum: {
      if (opt.checksum == s3::ChecksumAlgorithm::Md5) {
        const auto same = etag_is_the_files(opt, entry, head.header("etag"));
        return {same.value_or(false), std::nullopt};
      }
      const std::string stored = head.header(s3::header_name(opt.checksum));
      if (!stored.empty()) {
        const auto expected = expected_stored_checksum(opt, entry, stored);
        return {expected && *expected == stored, std::nullopt};
      }
      // The store keeps no checksum for it (Ceph RGW 16, an object uploaded without one).
      if (const auto same = etag_is_the_files(opt, entry, head.header("etag")))
        return {*same, SyncFallback::EtagMd5};
      if (opt.sync_checksum_strict) return {false, SyncFallback::Uploaded};
      return {same_mtime, SyncFallback::SizeMtime};
    }
    case SyncMode::Off:
    case SyncMode::SizeOnly:
      return {};
  }
  return {};
}

}  // namespace s3up::engine
