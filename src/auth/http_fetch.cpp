#include "auth/http_fetch.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <charconv>
#include <exception>

#include "auth/provider.hpp"
#include "auth/support.hpp"
#include "net/blocking_http_client.hpp"
#include "util/text.hpp"

namespace s3up::auth {
namespace {

// The URL for messages: up to its query, which might hold something private.
std::string shown(const std::string& url) { return url.substr(0, url.find_first_of("?#")); }

[[noreturn]] void bad_url(const std::string& url, const std::string& why) {
  throw ProviderError("'" + shown(url) + "' is not a usable http(s) URL: " + why);
}

}  // namespace

ParsedUrl parse_url(const std::string& url) {
  ParsedUrl out;
  const std::size_t sep = url.find("://");
  if (sep == std::string::npos) bad_url(url, "no scheme");
  out.scheme = util::ascii_lower(std::string_view(url).substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") bad_url(url, "the scheme must be http or https");
  const std::size_t authority_start = sep + 3;
  std::size_t authority_end = url.find_first_of("/?#", authority_start);
  if (authority_end == std::string::npos) authority_end = url.size();
  const std::string_view authority =
      std::string_view(url).substr(authority_start, authority_end - authority_start);
  if (authority.find('@') != std::string_view::npos) bad_url(url, "user information is not supported");
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) bad_url(url, "unterminated IPv6 address");
    out.host = std::string(authority.substr(1, close - 1));
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') bad_url(url, "unexpected text after the IPv6 address");
      port_text = rest.substr(1);
      if (port_text.empty()) bad_url(url, "empty port");
    }
  } else {
    const std::size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) bad_url(url, "empty port");
    }
    if (out.host.find_first_of(" \t\r\n") != std::string::npos) bad_url(url, "bad host name");
  }
  if (out.host.empty()) bad_url(url, "no host");
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto res = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (res.ec != std::errc{} || res.ptr != port_text.data() + port_text.size() || port == 0 ||
        port > 65535)
      bad_url(url, "bad port");
    out.port = static_cast<std::uint16_t>(port);
  } else {
    out.port = out.scheme == "https" ? 443 : 80;
  }
  std::string target = url.substr(authority_end);
  if (const std::size_t hash = target.find('#'); hash != std::string::npos) target.resize(hash);
  if (target.empty() || target.front() == '?') target.insert(0, "/");
  if (target.find_first_of(" \t\r\n") != std::string::npos) bad_url(url, "white space in the path");
  out.target = std::move(target);
  return out;
}

std::string host_header(const ParsedUrl& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  std::string host = v6 ? "[" + url.host + "]" : url.host;
  const std::uint16_t default_port = url.scheme == "https" ? 443 : 80;
  if (url.port != default_port) host += ":" + std::to_string(url.port);
  return host;
}

HttpReply http_fetch(const HttpExchange& exchange, const HttpSettings& settings) {
  const ParsedUrl url = parse_url(exchange.url);
  const http::Target target{url.host, url.port, url.scheme == "https"};
  const std::string where = target.to_string();

  http::Request request;
  const auto verb = boost::beast::http::string_to_verb(exchange.method);
  if (verb == boost::beast::http::verb::unknown)
    throw ProviderError("unknown HTTP method for " + where);
  request.method(verb);
  request.target(url.target);
  request.version(11);
  bool has_host = false;
  for (const auto& [name, value] : exchange.headers) {
    // A line break would end the header early and inject whatever follows: refuse it (without
    // quoting the value, which may be a token).
    if (detail::has_line_break(name) || detail::has_line_break(value) || name.empty())
      throw ProviderError("the " + (name.empty() ? std::string("unnamed") : name) +
                          " header for " + where + " holds a line break");
    if (util::iequals_ascii(name, "host")) has_host = true;
    request.insert(name, value);
  }
  if (!has_host) request.set(boost::beast::http::field::host, host_header(url));
  request.body() = http::Request::body_type::value_type(exchange.body.data(), exchange.body.size());
  request.prepare_payload();

  http::Timeouts timeouts;
  timeouts.connect = settings.connect_timeout;
  timeouts.idle = settings.read_timeout;
  timeouts.request = settings.read_timeout;  // the replies are small: all of it within that time
  http::Outcome outcome;
  try {
    http::BlockingTransport transport(settings.tls, timeouts);
    http::BlockingClient client(transport);
    outcome = client.send(target, request);
  } catch (const ProviderError&) {
    throw;
  } catch (const std::exception& e) {
    throw ProviderError("HTTP request to " + where + " failed: " + e.what());
  }
  // The transport's detail names the endpoint already ("cannot connect to http://...: ...").
  if (!outcome.ok()) throw ProviderError(outcome.detail);

  HttpReply reply;
  reply.status = outcome.response.result_int();
  reply.body = std::move(outcome.response.body());
  for (const auto& field : outcome.response)
    reply.headers.emplace_back(util::ascii_lower(field.name_string()), std::string(field.value()));
  return reply;
}

}  // namespace s3up::auth
