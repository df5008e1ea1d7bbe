// Where objects go: s3:// URLs, bucket names, object keys, endpoints and the host/path of
// requests (virtual-hosted or path style).
#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace s3up::s3 {

// A mistake in what the user asked for. The message names the offending value and the rule.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct S3Url {
  std::string bucket;
  std::string prefix;  // "" or ends with '/'
};

// "s3://b" and "s3://b/" -> {b, ""}; "s3://b/p" and "s3://b/p/" -> {b, "p/"};
// "s3://b/a/b/" -> {b, "a/b/"}. The scheme may be in any case; the rest is taken literally
// (no %-decoding: '%', '?', '#' are part of the prefix). Throws UsageError naming the URL and
// the rule broken: no "s3://", no bucket, an invalid bucket name (see bucket_name_problem), a
// prefix that is not valid UTF-8 or is over 1024 bytes.
S3Url parse_s3_url(std::string_view url);

// Why `bucket` breaks the S3 naming rules for general purpose buckets, or nullopt when it is
// valid: 3-63 characters; only lowercase letters, digits, '.' and '-'; starts and ends with a
// letter or digit; no ".."; not formatted as an IPv4 address; no "xn--", "sthree-" or
// "amzn-s3-demo-" prefix; no "-s3alias", "--ol-s3", ".mrap", "--x-s3" or "--table-s3" suffix.
// Strict: legacy us-east-1 names with uppercase letters or '_' are rejected too.
std::optional<std::string> bucket_name_problem(std::string_view bucket);

// The key of a file: prefix + rel (prefix from S3Url, rel a '/'-separated relative path).
std::string make_key(std::string_view prefix, std::string_view rel);

// Why S3 would refuse `key`, or nullopt: "empty key", "not valid UTF-8 (at byte N)",
// "key is N bytes, over S3's 1024-byte limit".
std::optional<std::string> key_problem(std::string_view key);

struct Endpoint {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower-case; an IPv6 address without brackets
  std::uint16_t port;
  bool host_is_ip;      // IPv4 or IPv6 literal
  bool is_default_aws;  // an AWS endpoint: host under amazonaws.com or amazonaws.com.cn
};

// Parses "http://127.0.0.1:9000", "https://minio.example.com", "https://[::1]:9000",
// "https://s3.eu-west-1.amazonaws.com". Ports default to 80 / 443; a trailing "/" is allowed.
// Throws UsageError naming the URL: another scheme, user info, no host, a bad host or port,
// an unbracketed IPv6 address, a path, query or fragment.
Endpoint parse_endpoint(std::string_view url);

// https://s3.<region>.amazonaws.com (.amazonaws.com.cn for cn-* regions). Throws UsageError
// when `region` is not lowercase letters, digits and '-'.
Endpoint default_endpoint(std::string_view region);

// Whether requests for `bucket` use path style (http://host/bucket/key) rather than virtual-hosted
// style (http://bucket.host/key): when forced, when the endpoint is an IP address or localhost
// (no DNS for bucket.host), when the bucket name has dots (they break TLS wildcard
// certificates) or is otherwise not a valid DNS label.
bool should_use_path_style(const Endpoint& endpoint, std::string_view bucket, bool forced);

struct Addressing {
  // The Host header: "bucket.s3.us-east-1.amazonaws.com", "127.0.0.1:9000", "[::1]:9000";
  // the port only when not the scheme's default.
  std::string host_header;
  std::string connect_host;  // the name to resolve and the TLS SNI/verification name
  std::uint16_t port;
  bool tls;
  std::string bucket_path_prefix;  // "/bucket" for path style, "" for virtual-hosted
};

// How to reach `bucket` through `endpoint`. Virtual-hosted style needs a DNS name, so with an
// IP endpoint path style is used whatever `path_style` says.
Addressing make_addressing(const Endpoint& endpoint, std::string_view bucket, bool path_style);

// The request path of an object: bucket_path_prefix + "/" + the URI-encoded key ('/' kept).
std::string object_path(const Addressing& addressing, std::string_view key);

// The request path of the bucket itself (ListObjectsV2 and the like): bucket_path_prefix + "/".
std::string bucket_path(const Addressing& addressing);

}  // namespace s3up::s3
