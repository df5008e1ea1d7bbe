// S3's <Error> document (the body of every failed request, and of a CompleteMultipartUpload that
// answered 200 and failed): s3::parse_error never throws on any body.
#include "fuzz_support.hpp"
#include "s3/xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto error = s3up::s3::parse_error(s3up::fuzz::as_text(data, size));
  if (error) {
    // Read every field, so that a dangling or uninitialised one is reported.
    std::size_t total = error->code.size() + error->message.size() + error->region.size() +
                        error->request_id.size() + error->resource.size() +
                        error->endpoint.size() + error->bucket.size();
    s3up::fuzz::check(total <= size * 4 + 16, "parse_error returned more text than it read");
  }
  return 0;
}
