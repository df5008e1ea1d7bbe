#include "s3/location.hpp"

#include <arpa/inet.h>

#include <array>
#include <charconv>

#include "util/text.hpp"
#include "util/uri.hpp"
#include "util/utf8.hpp"

namespace s3up::s3 {
namespace {

constexpr std::size_t kMaxKeyBytes = 1024;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Removes a case-insensitive `prefix` from the front of `s`; false when it is not there.
bool consume_prefix(std::string_view& s, std::string_view prefix) {
  if (s.size() < prefix.size() || !util::iequals_ascii(s.substr(0, prefix.size()), prefix))
    return false;
  s.remove_prefix(prefix.size());
  return true;
}

// Four dot-separated groups of 1-3 digits, as "192.168.5.4".
bool looks_like_ipv4(std::string_view s) {
  int groups = 0;
  while (true) {
    std::size_t n = 0;
    while (n < s.size() && is_digit(s[n])) ++n;
    if (n == 0 || n > 3) return false;
    ++groups;
    s.remove_prefix(n);
    if (s.empty()) return groups == 4;
    if (s.front() != '.') return false;
    s.remove_prefix(1);
  }
}

bool is_ip_literal(const std::string& host, int family) {
  std::array<unsigned char, 16> buf{};
  return ::inet_pton(family, host.c_str(), buf.data()) == 1;
}

bool is_localhost(std::string_view host) {
  return host == "localhost" || host.ends_with(".localhost");
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace

std::optional<std::string> bucket_name_problem(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) {
    return "must be 3 to 63 characters long, not " + std::to_string(bucket.size());
  }
  for (char c : bucket) {
    if (!is_lower_alnum(c) && c != '.' && c != '-') {
      return "may contain only lowercase letters, digits, '.' and '-', not " +
             quoted(std::string_view(&c, 1));
    }
  }
  if (!is_lower_alnum(bucket.front()) || !is_lower_alnum(bucket.back())) {
    return std::string("must start and end with a lowercase letter or digit");
  }
  if (bucket.find("..") != std::string_view::npos) return std::string("must not contain '..'");
  if (looks_like_ipv4(bucket)) return std::string("must not be formatted as an IP address");
  for (std::string_view prefix : {"xn--", "sthree-", "amzn-s3-demo-"}) {
    if (bucket.starts_with(prefix)) return "must not start with " + quoted(prefix);
  }
  for (std::string_view suffix : {"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}) {
    if (bucket.ends_with(suffix)) {
      return "must not end with " + quoted(suffix) + " (reserved by S3)";
    }
  }
  return std::nullopt;
}

S3Url parse_s3_url(std::string_view url) {
  const auto fail = [url](const std::string& why) {
    return UsageError("invalid S3 URL " + quoted(url) + ": " + why);
  };
  std::string_view rest = url;
  if (!consume_prefix(rest, "s3://")) {
    throw fail("it must start with s3://, as in s3://bucket/prefix/");
  }
  const auto slash = rest.find('/');
  const auto bucket = rest.substr(0, slash);
  if (bucket.empty()) throw fail("no bucket name after s3://");
  if (bucket.starts_with("arn:")) throw fail("access point ARNs are not supported");
  if (auto problem = bucket_name_problem(bucket)) {
    throw fail("bucket name " + quoted(bucket) + " " + *problem);
  }
  S3Url out{std::string(bucket), {}};
  if (slash != std::string_view::npos) out.prefix = rest.substr(slash + 1);
  if (!out.prefix.empty() && out.prefix.back() != '/') out.prefix += '/';
  if (!out.prefix.empty()) {
    if (auto bad = util::utf8_error_offset(out.prefix)) {
      throw fail("the key prefix is not valid UTF-8 (at byte " + std::to_string(*bad) + ")");
    }
    if (out.prefix.size() > kMaxKeyBytes) {
      throw fail("the key prefix is " + std::to_string(out.prefix.size()) +
                 " bytes, over S3's 1024-byte key limit");
    }
  }
  return out;
}

std::string make_key(std::string_view prefix, std::string_view rel) {
  std::string key;
  key.reserve(prefix.size() + rel.size());
  key.append(prefix);
  key.append(rel);
  return key;
}

std::optional<std::string> key_problem(std::string_view key) {
  if (key.empty()) return std::string("empty key");
  if (auto bad = util::utf8_error_offset(key)) {
    return "not valid UTF-8 (at byte " + std::to_string(*bad) + ")";
  }
  if (key.size() > kMaxKeyBytes) {
    return "key is " + std::to_string(key.size()) + " bytes, over S3's 1024-byte limit";
  }
  return std::nullopt;
}

Endpoint parse_endpoint(std::string_view url) {
  const auto fail = [url](const std::string& why) {
    return UsageError("invalid endpoint URL " + quoted(url) + ": " + why);
  };
  Endpoint ep{};
  std::string_view rest = url;
  if (consume_prefix(rest, "https://")) {
    ep.scheme = "https";
    ep.port = 443;
  } else if (consume_prefix(rest, "http://")) {
    ep.scheme = "http";
    ep.port = 80;
  } else {
    throw fail("it must start with http:// or https://");
  }
  const auto end = rest.find_first_of("/?#");
  const auto authority = rest.substr(0, end);
  if (end != std::string_view::npos && rest.substr(end) != "/") {
    throw fail("it must not have a path, query or fragment; give only scheme, host and port");
  }
  if (authority.find('@') != std::string_view::npos) throw fail("user info is not allowed");

  std::string_view host, port;
  bool bracketed = false;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) throw fail("unterminated '[' in the host");
    host = authority.substr(1, close - 1);
    bracketed = true;
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw fail("unexpected text after ']'");
      port = after.substr(1);
      if (port.empty()) throw fail("empty port");
    }
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.find(':') != std::string_view::npos) {
        throw fail("an IPv6 address must be in brackets, as in http://[::1]:9000");
      }
      if (port.empty()) throw fail("empty port");
    }
  }
  if (host.empty()) throw fail("no host");
  ep.host = util::ascii_lower(host);

  if (bracketed) {
    if (!is_ip_literal(ep.host, AF_INET6)) throw fail("invalid IPv6 address " + quoted(host));
    ep.host_is_ip = true;
  } else {
    for (char c : ep.host) {
      if (!is_lower_alnum(c) && c != '.' && c != '-' && c != '_') {
        throw fail("invalid character " + quoted(std::string_view(&c, 1)) + " in the host");
      }
    }
    ep.host_is_ip = is_ip_literal(ep.host, AF_INET);
  }
  if (!port.empty()) {
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || ptr != port.data() + port.size() || value == 0 || value > 65535) {
      throw fail("invalid port " + quoted(port) + " (1-65535)");
    }
    ep.port = static_cast<std::uint16_t>(value);
  }
  ep.is_default_aws = !ep.host_is_ip && (ep.host.ends_with(".amazonaws.com") ||
                                         ep.host.ends_with(".amazonaws.com.cn"));
  return ep;
}

Endpoint default_endpoint(std::string_view region) {
  if (region.empty()) throw UsageError("the region is empty");
  for (char c : region) {
    if (!is_lower_alnum(c) && c != '-') {
      throw UsageError("invalid region " + quoted(region) +
                       ": a region is lowercase letters, digits and '-', as in us-east-1");
    }
  }
  std::string host = "s3." + std::string(region) + ".amazonaws.com";
  if (region.starts_with("cn-")) host += ".cn";
  return Endpoint{"https", std::move(host), 443, false, true};
}

bool should_use_path_style(const Endpoint& endpoint, std::string_view bucket, bool forced) {
  return forced || endpoint.host_is_ip || is_localhost(endpoint.host) ||
         bucket.find('.') != std::string_view::npos || bucket_name_problem(bucket).has_value();
}

Addressing make_addressing(const Endpoint& endpoint, std::string_view bucket, bool path_style) {
  Addressing a;
  a.tls = endpoint.scheme == "https";
  a.port = endpoint.port;
  const bool default_port = endpoint.port == (a.tls ? 443 : 80);
  const std::string port_suffix = default_port ? "" : ":" + std::to_string(endpoint.port);
  const bool ipv6 = endpoint.host.find(':') != std::string::npos;
  if (path_style || endpoint.host_is_ip) {
    a.connect_host = endpoint.host;
    a.host_header = (ipv6 ? "[" + endpoint.host + "]" : endpoint.host) + port_suffix;
    a.bucket_path_prefix = "/" + std::string(bucket);
  } else {
    a.connect_host = std::string(bucket) + "." + endpoint.host;
    a.host_header = a.connect_host + port_suffix;
  }
  return a;
}

std::string object_path(const Addressing& addressing, std::string_view key) {
  return addressing.bucket_path_prefix + "/" + util::uri_encode(key, false);
}

std::string bucket_path(const Addressing& addressing) {
  return addressing.bucket_path_prefix + "/";
}

}  // namespace s3up::s3
