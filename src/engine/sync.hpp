// --sync: finding what the bucket already holds. The destination prefix is listed page by page
// (ListObjectsV2) and merged with the walk, which yields keys in the same byte order, so memory
// holds one page whatever the size of the bucket.
#pragma once
#include "engine/options.hpp"
#include "engine/report.hpp"
#include "s3/s3_protocol.hpp"
#include "walker/walker.hpp"

#include <optional>
#include <string>

namespace s3up::engine {

// The merge of the walk with the destination listing, without I/O (both engines fetch the
// pages their own way): where a key stands in the pages fetched so far.
class ListingCursor {
 public:
  enum class Seek { Found, Absent, NeedPage };

  // Found (see object()), Absent, or NeedPage: fetch the page after continuation() (the first
  // page when nothing was fetched yet), set_page() it and seek again. Keys must be asked in
  // ascending byte order; listed keys before `key` are passed over.
  Seek seek(const std::string& key);
  const s3::ListedObject& object() const { return page_.objects[position_]; }
  const std::string& continuation() const { return page_.next_continuation_token; }
  void set_page(s3::ListObjectsPage page);

 private:
  s3::ListObjectsPage page_;
  std::size_t position_ = 0;
  bool started_ = false;
};

// The page in a ListObjectsV2 reply; a success that cannot be read becomes a Retryable failure
// of `r` (and nullopt).
std::optional<s3::ListObjectsPage> read_listing(s3::OpResult& r);
// Why the run stops when the listing fails for good.
std::string listing_failure(const UploadOptions& opt, const std::string& prefix,
                            const s3::OpResult& r);

// Whether a listed object is the file (steps::is_unchanged), in two steps without I/O: a decision from the listing alone, or the HeadObject
// (with these headers) whose reply decides.
struct UnchangedCheck {
  std::optional<bool> decided;
  s3::Headers head_headers;
};
UnchangedCheck start_unchanged_check(const UploadOptions& opt, const walker::Entry& entry,
                                     const s3::ListedObject& remote);

// What the HeadObject reply decided, and with --sync-checksum, how the object was compared when
// the store keeps no checksum of the --checksum algorithm for it (`fallback`): by its ETag (the
// MD5 of a single PUT, or of the part MD5s with our part size), else by size and modification
// time, or (--sync-checksum-strict) not at all: uploaded again.
struct SyncVerdict {
  bool unchanged = false;
  std::optional<SyncFallback> fallback;
};
SyncVerdict unchanged_after_head(const UploadOptions& opt, const walker::Entry& entry,
                                 const s3::OpResult& head);

// The one-line note said (once) when --sync-checksum compares objects by `fallback`.
std::string sync_fallback_note(const UploadOptions& opt, SyncFallback fallback);

// "2026-11-24T23:32:00.000Z" as nanoseconds since the epoch; nullopt if unreadable.
std::optional<std::int64_t> parse_s3_time(const std::string& text);

}  // namespace s3up::engine
