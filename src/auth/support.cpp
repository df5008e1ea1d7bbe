#include "auth/support.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "auth/provider.hpp"

namespace s3up::auth::detail {

std::string read_token_file(const std::string& path, const std::string& what) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    throw ProviderError("cannot read the " + what + " " + path + ": " +
                        (err != 0 ? std::strerror(err) : "cannot open it"));
  }
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw ProviderError("cannot read the " + what + " " + path);
  const std::string_view token = trim(content);
  if (token.empty()) throw ProviderError("the " + what + " " + path + " is empty");
  return std::string(token);
}

std::string origin_of(const std::string& url) {
  try {
    const ParsedUrl u = parse_url(url);
    return u.scheme + "://" + host_header(u);
  } catch (const ProviderError&) {
    return url;
  }
}

HttpReply fetch_with_attempts(const HttpExchange& exchange, const HttpSettings& settings,
                              int attempts) {
  if (attempts < 1) attempts = 1;
  for (int attempt = 1;; ++attempt) {
    try {
      HttpReply reply = http_fetch(exchange, settings);
      if (reply.status < 500 || attempt >= attempts) return reply;
    } catch (const ProviderError&) {
      if (attempt >= attempts) throw;
    }
  }
}

}  // namespace s3up::auth::detail
