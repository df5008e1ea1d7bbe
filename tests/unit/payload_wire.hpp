// What a transport sends of a request body: every piece PayloadBody's writer gives, from init()
// to the last, as one string (the unit tests' stand-in for a socket).
#pragma once
#include <boost/test/unit_test.hpp>

#include <string>

#include "net/http_client.hpp"
#include "net/payload_body.hpp"

namespace s3up::test {

inline std::string wire_of(const http::PayloadBody::value_type& body) {
  http::Request req;
  http::PayloadBody::writer w(req.base(), body);
  boost::system::error_code ec;
  w.init(ec);
  BOOST_REQUIRE(!ec);
  std::string out;
  for (;;) {
    auto piece = w.get(ec);
    BOOST_REQUIRE(!ec);
    if (!piece) break;
    for (const auto& buffer : piece->first)
      out.append(static_cast<const char*>(buffer.data()), buffer.size());
    if (!piece->second) break;
  }
  return out;
}

}  // namespace s3up::test
