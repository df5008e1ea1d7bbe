// RFC 3986 percent-encoding as AWS SigV4 and S3 require it.
#pragma once
#include <string>
#include <string_view>

namespace s3up::util {

// Encodes every byte except the unreserved characters A-Z a-z 0-9 - _ . ~ as %XY (upper-case
// hex). '/' is kept as is unless encode_slash is true. Bytes of UTF-8 sequences are encoded one
// by one, which is what S3 expects for non-ASCII keys.
std::string uri_encode(std::string_view in, bool encode_slash);

// Decodes %XY escapes (and nothing else: '+' stays '+'). Invalid escapes are kept literally.
std::string uri_decode(std::string_view in);

}  // namespace s3up::util
