// ListBucketResult of ListObjectsV2 (what --sync compares with): keys, sizes, ETags, the
// continuation token.
#include "fuzz_support.hpp"
#include "s3/xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto page = s3up::s3::parse_list_objects_v2(s3up::fuzz::as_text(data, size));
  if (page) {
    std::size_t total = page->next_continuation_token.size();
    for (const auto& object : page->objects)
      total += object.key.size() + object.etag.size() + object.last_modified.size();
    s3up::fuzz::check(total <= size * 4 + 16, "parse_list_objects_v2 returned more text than it read");
  }
  return 0;
}
