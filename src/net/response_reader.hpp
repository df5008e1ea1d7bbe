// How both HTTP clients read a response: a Beast parser with the limits they set, fed by
// bhttp::read (blocking_http_client.cpp) or async_read_some (http_client.cpp) from a buffer that
// stays with the connection. Light, so that tests/fuzz/fuzz_http_response.cpp reads exactly so
// from an in-memory stream.
#pragma once
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include <cstdint>

namespace s3up::http::detail {

// A response body (an S3 XML document, a credentials reply) is never this large: a longer one
// fails the exchange (body_limit) rather than grow without bound.
inline constexpr std::uint64_t kResponseBodyLimit = 64ull << 20;

using ResponseParser = boost::beast::http::response_parser<boost::beast::http::string_body>;

// The limits every response is read with: kResponseBodyLimit, Beast's default header limit
// (8 KiB), and no body for a reply to HEAD.
inline void limit_response_parser(ResponseParser& parser, boost::beast::http::verb method) {
  parser.body_limit(kResponseBodyLimit);
  if (method == boost::beast::http::verb::head) parser.skip(true);
}

}  // namespace s3up::http::detail
