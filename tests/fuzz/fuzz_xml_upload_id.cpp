// InitiateMultipartUploadResult (CreateMultipartUpload's reply): an upload ID, never an empty one.
#include "fuzz_support.hpp"
#include "s3/xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto id = s3up::s3::parse_upload_id(s3up::fuzz::as_text(data, size));
  if (id) s3up::fuzz::check(!id->empty(), "parse_upload_id returned an empty upload ID");
  return 0;
}
