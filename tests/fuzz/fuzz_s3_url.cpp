// Where objects go: s3:// URLs, endpoints (--endpoint-url, AWS_ENDPOINT_URL), regions, bucket
// names and keys, and the percent-encoding of request paths. The input is a URL, a NUL byte, an
// endpoint, a NUL byte and a key.
#include "fuzz_support.hpp"
#include "s3/location.hpp"
#include "util/uri.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using s3up::fuzz::check;
  namespace s3 = s3up::s3;
  namespace util = s3up::util;
  const auto parts = s3up::fuzz::split(s3up::fuzz::as_text(data, size), '\0', 3);
  const std::string_view url = parts[0];
  const std::string_view endpoint_text = parts.size() > 1 ? parts[1] : std::string_view{};
  const std::string_view key = parts.size() > 2 ? parts[2] : std::string_view{};

  check(util::uri_decode(util::uri_encode(key, true)) == key, "uri_encode did not decode back");
  check(util::uri_decode(util::uri_encode(key, false)) == key, "uri_encode did not decode back");
  (void)util::uri_decode(key);
  (void)s3::key_problem(key);

  std::optional<s3::S3Url> target;
  try {
    target = s3::parse_s3_url(url);
    check(!s3::bucket_name_problem(target->bucket), "parse_s3_url accepted a bad bucket name");
    check(target->prefix.empty() || target->prefix.back() == '/', "a prefix without its '/'");
  } catch (const s3::UsageError&) {
  }
  std::optional<s3::Endpoint> endpoint;
  try {
    endpoint = s3::parse_endpoint(endpoint_text);
    check(endpoint->scheme == "http" || endpoint->scheme == "https", "an endpoint's scheme");
    check(!endpoint->host.empty(), "an endpoint without a host");
  } catch (const s3::UsageError&) {
  }
  try {
    endpoint = endpoint ? endpoint : s3::default_endpoint(endpoint_text);
  } catch (const s3::UsageError&) {
  }
  if (target && endpoint) {
    for (const bool path_style : {false, true}) {
      const s3::Addressing addressing = s3::make_addressing(*endpoint, target->bucket, path_style);
      const std::string full_key = s3::make_key(target->prefix, key);
      const std::string path = s3::object_path(addressing, full_key);
      check(!path.empty() && path.front() == '/', "an object path without its '/'");
      check(path.find_first_of(" \r\n?#") == std::string::npos, "an object path with a raw byte");
      check(s3::bucket_path(addressing).back() == '/', "a bucket path without its '/'");
    }
  }
  return 0;
}
