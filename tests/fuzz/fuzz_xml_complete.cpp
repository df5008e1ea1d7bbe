// CompleteMultipartUpload's reply: a result (ETag, checksums) or an <Error>, whatever 200 says.
#include "fuzz_support.hpp"
#include "s3/xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto result = s3up::s3::parse_complete(s3up::fuzz::as_text(data, size));
  if (result.ok) {
    for (const auto& [name, value] : result.checksums)
      s3up::fuzz::check(!name.empty(), "parse_complete named a checksum with no element name");
  } else {
    s3up::fuzz::check(result.checksums.empty() && result.etag.empty(),
                      "parse_complete failed with a result's fields set");
  }
  return 0;
}
