#include "auth/support.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "auth/provider.hpp"

namespace s3up::auth::detail {

std::string_view trim(std::string_view s) {
  constexpr std::string_view space = " \t\r\n";
  while (!s.empty() && space.find(s.front()) != std::string_view::npos) s.remove_prefix(1);
  while (!s.empty() && space.find(s.back()) != std::string_view::npos) s.remove_suffix(1);
  return s;
}

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

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

std::string clip(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  return std::string(s.substr(0, max)) + "...";
}

}  // namespace s3up::auth::detail
