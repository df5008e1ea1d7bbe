#include "s3/object_settings.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <limits>

#include "s3/content_type.hpp"
#include "util/text.hpp"

namespace s3up::s3 {
namespace {

constexpr std::array kStorageClasses = {
    "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
    "GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE"};
constexpr std::array kCannedAcls = {"private", "public-read", "public-read-write",
                                    "authenticated-read", "aws-exec-read", "bucket-owner-read",
                                    "bucket-owner-full-control"};
constexpr std::array kSseAlgorithms = {"AES256", "aws:kms"};

template <class Table>
bool listed(const Table& table, std::string_view value) {
  return std::find(table.begin(), table.end(), value) != table.end();
}

// RFC 7230 token characters: what an HTTP header name may hold.
bool is_token(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                                  std::string_view::npos;
  });
}

}  // namespace

std::string format_mtime(std::int64_t mtime_ns) {
  const bool negative = mtime_ns < 0;
  const std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(mtime_ns)
                                           : static_cast<std::uint64_t>(mtime_ns);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%llu.%09llu", negative ? "-" : "",
                static_cast<unsigned long long>(magnitude / 1'000'000'000),
                static_cast<unsigned long long>(magnitude % 1'000'000'000));
  return buf;
}

std::optional<std::int64_t> parse_mtime(std::string_view text) {
  // [-]DIGITS[.DIGITS]: one sign at most, digits before the dot, nothing else.
  const bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view frac =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  const auto all_digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || !all_digits(whole) || !all_digits(frac)) return std::nullopt;
  // The magnitude in nanoseconds must fit: up to INT64_MAX, or 2^63 for a negative time.
  constexpr std::uint64_t kLimitSeconds = 9'223'372'036;  // INT64_MAX / 1e9
  std::uint64_t seconds = 0;
  const auto [p, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
  if (ec != std::errc{} || p != whole.data() + whole.size() || seconds > kLimitSeconds)
    return std::nullopt;
  std::uint64_t nanos = 0;
  int digits = 0;
  for (const char c : frac) {  // digits past the nanosecond are dropped
    if (digits == 9) break;
    nanos = nanos * 10 + static_cast<std::uint64_t>(c - '0');
    ++digits;
  }
  for (; digits < 9; ++digits) nanos *= 10;
  const std::uint64_t magnitude = seconds * 1'000'000'000 + nanos;  // < 2^64: no wrap
  const std::uint64_t limit =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
  if (magnitude > limit) return std::nullopt;
  return negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
}

std::optional<std::string> settings_problem(const ObjectSettings& s) {
  if (s.storage_class && !listed(kStorageClasses, *s.storage_class))
    return "--storage-class: '" + *s.storage_class + "' is not an S3 storage class";
  if (s.acl && !listed(kCannedAcls, *s.acl))
    return "--acl: '" + *s.acl + "' is not a canned ACL (private, public-read, ...)";
  if (s.sse && !listed(kSseAlgorithms, *s.sse))
    return "--sse: '" + *s.sse + "' is not AES256 or aws:kms";
  if (s.sse_kms_key_id && (!s.sse || *s.sse != "aws:kms"))
    return "--sse-kms-key-id needs --sse aws:kms";
  for (const auto& [name, value] : s.metadata) {
    if (!is_token(name)) return "--metadata: '" + name + "' is not a valid metadata name";
    if (value.find_first_of("\r\n") != std::string::npos)
      return "--metadata: the value of '" + name + "' holds a line break";
  }
  return std::nullopt;
}

std::vector<std::string_view> storage_class_names() {
  return {kStorageClasses.begin(), kStorageClasses.end()};
}
std::vector<std::string_view> canned_acl_names() { return {kCannedAcls.begin(), kCannedAcls.end()}; }
std::vector<std::string_view> sse_algorithm_names() {
  return {kSseAlgorithms.begin(), kSseAlgorithms.end()};
}

Headers object_headers(const ObjectSettings& s, std::string_view rel, std::int64_t mtime_ns) {
  Headers h;
  if (s.content_type) {
    h.emplace_back("content-type", *s.content_type);
  } else if (s.guess_content_type) {
    if (auto type = guess_content_type(rel); !type.empty())
      h.emplace_back("content-type", std::string(type));
  }
  if (s.cache_control) h.emplace_back("cache-control", *s.cache_control);
  if (s.content_encoding) h.emplace_back("content-encoding", *s.content_encoding);
  for (const auto& [name, value] : s.metadata)
    h.emplace_back("x-amz-meta-" + util::ascii_lower(name), value);
  // The name is built in place, not moved from a temporary std::string: GCC 12 warns
  // (-Warray-bounds, a false positive in the inlined move constructor's short-string branch,
  // see GCC's -Warray-bounds meta-bug 56456) for a moved temporary holding this 16-byte constant.
  h.emplace_back(kMtimeHeader, format_mtime(mtime_ns));
  if (s.storage_class) h.emplace_back("x-amz-storage-class", *s.storage_class);
  if (s.sse) h.emplace_back("x-amz-server-side-encryption", *s.sse);
  if (s.sse_kms_key_id) h.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", *s.sse_kms_key_id);
  if (s.acl) h.emplace_back("x-amz-acl", *s.acl);
  return h;
}

}  // namespace s3up::s3
