// ListMultipartUploadsResult (the open uploads of a key, with url-encoded keys or not).
#include "fuzz_support.hpp"
#include "s3/xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto page = s3up::s3::parse_list_uploads(s3up::fuzz::as_text(data, size));
  if (page) {
    std::size_t total = page->next_key_marker.size() + page->next_upload_id_marker.size();
    for (const auto& upload : page->uploads) total += upload.key.size() + upload.upload_id.size();
    s3up::fuzz::check(total <= size * 4 + 16, "parse_list_uploads returned more text than it read");
  }
  return 0;
}
