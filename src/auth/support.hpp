// Small helpers the credential providers share: trimming, secret-holding files, JSON members and
// HTTP exchanges tried more than once. Internal to src/auth.
#pragma once
#include <string>
#include <string_view>

#include "auth/http_fetch.hpp"

namespace s3up::auth::detail {

// Without leading and trailing spaces, tabs, CR and LF.
std::string_view trim(std::string_view s);

bool has_line_break(std::string_view s);

// The whole content of a file that holds a token, trimmed. Throws ProviderError naming `what`
// and the path (never the content) when it cannot be read or is empty.
std::string read_token_file(const std::string& path, const std::string& what);

// "scheme://host[:port]" of a URL, for messages (no path: it may hold an identifier); the URL
// itself when it cannot be parsed.
std::string origin_of(const std::string& url);

// http_fetch tried up to `attempts` times: again after a transport failure or a 5xx reply. The
// last reply (of any status) is returned; the last transport failure is thrown.
HttpReply fetch_with_attempts(const HttpExchange& exchange, const HttpSettings& settings,
                              int attempts);

// Cut to at most `max` bytes, for a server's text quoted in a message.
std::string clip(std::string_view s, std::size_t max = 300);

}  // namespace s3up::auth::detail
