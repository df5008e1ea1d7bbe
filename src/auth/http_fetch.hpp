// One blocking HTTP exchange for credential providers (STS, SSO portal, container endpoint,
// instance metadata): a fresh connection, short timeouts, the whole reply in memory. Built on
// the project's blocking HTTP client, so TLS settings (CA bundle) are those of the run.
#pragma once
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "net/http_client.hpp"

namespace s3up::auth {

struct HttpExchange {
  std::string method = "GET";
  std::string url;  // "http://127.0.0.1:8080/path?query" or "https://host/path"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpReply {
  unsigned status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
};

struct HttpSettings {
  http::TlsSettings tls;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds read_timeout{10'000};
};

// Sends the exchange and returns the reply, whatever its status. Throws ProviderError (the URL's
// scheme, host and port, and the transport failure; never a header value) when no reply came.
HttpReply http_fetch(const HttpExchange& exchange, const HttpSettings& settings);

// The parts of an http(s) URL. Throws ProviderError when it is not one.
struct ParsedUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  std::uint16_t port = 0;
  std::string target;  // path and query, "/" when empty
};
ParsedUrl parse_url(const std::string& url);

// The Host header for a parsed URL: "host", "[::1]", or with ":port" when it is not the scheme's
// default. http_fetch sends it unless the exchange has its own (a signer must sign this value).
std::string host_header(const ParsedUrl& url);

}  // namespace s3up::auth
