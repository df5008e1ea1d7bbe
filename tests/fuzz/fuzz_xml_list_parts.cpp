// ListPartsResult (the parts of an upload a --journal run resumes): numbers, sizes, ETags,
// checksums.
#include "fuzz_support.hpp"
#include "s3/xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto page = s3up::s3::parse_list_parts(s3up::fuzz::as_text(data, size));
  if (page) {
    std::size_t total = 0;
    for (const auto& part : page->parts)
      total += part.etag.size() + part.checksum_crc32c.size() + part.checksum_crc32.size() +
               part.checksum_sha256.size();
    s3up::fuzz::check(total <= size * 4 + 16, "parse_list_parts returned more text than it read");
  }
  return 0;
}
