#include "s3/sigv4.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "util/uri.hpp"

namespace s3up::s3 {
namespace {

constexpr bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string to_lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string join_string_to_sign(std::initializer_list<std::string_view> lines) {
  std::string out;
  bool first = true;
  for (std::string_view line : lines) {
    if (!first) out.push_back('\n');
    out += line;
    first = false;
  }
  return out;
}

std::string format_amz_date(SignClock::time_point t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss hms{secs - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string format_scope_date(SignClock::time_point t) { return format_amz_date(t).substr(0, 8); }

std::optional<SignClock::time_point> parse_http_date(std::string_view text) {
  using namespace std::chrono;
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  if (text.size() != 29 || text.substr(3, 2) != ", " || text.substr(25) != " GMT" ||
      text[7] != ' ' || text[11] != ' ' || text[16] != ' ' || text[19] != ':' || text[22] != ':')
    return std::nullopt;
  const auto month_at = kMonths.find(text.substr(8, 3));
  if (month_at == std::string_view::npos || month_at % 3 != 0) return std::nullopt;
  bool digits = true;
  const auto number = [&](std::size_t at, std::size_t n) {
    int value = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') digits = false;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  const int d = number(5, 2), y = number(12, 4), h = number(17, 2), m = number(20, 2),
            s = number(23, 2);
  const year_month_day date{year(y), month(static_cast<unsigned>(month_at / 3 + 1)),
                            day(static_cast<unsigned>(d))};
  if (!digits || !date.ok() || h > 23 || m > 59 || s > 60) return std::nullopt;
  return sys_days(date) + hours(h) + minutes(m) + seconds(s);
}

std::string canonical_query_string(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> params;
  std::size_t pos = 0;
  while (pos <= raw_query.size()) {
    std::size_t amp = raw_query.find('&', pos);
    if (amp == std::string_view::npos) amp = raw_query.size();
    const std::string_view param = raw_query.substr(pos, amp - pos);
    if (!param.empty()) {
      const std::size_t eq = param.find('=');
      const std::string_view name = param.substr(0, eq);
      const std::string_view value =
          eq == std::string_view::npos ? std::string_view{} : param.substr(eq + 1);
      params.emplace_back(util::uri_encode(util::uri_decode(name), true),
                          util::uri_encode(util::uri_decode(value), true));
    }
    pos = amp + 1;
  }
  std::sort(params.begin(), params.end());

  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

std::string canonical_header_value(std::string_view value) {
  value = trim(value);
  std::string out;
  out.reserve(value.size());
  bool in_space = false;
  for (char c : value) {
    if (is_space(c)) {
      in_space = true;
      continue;
    }
    if (in_space) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  return out;
}

CanonicalHeaders canonical_headers(const HeaderList& headers) {
  std::vector<std::pair<std::string, std::string>> lowered;
  lowered.reserve(headers.size());
  for (const auto& [name, value] : headers)
    lowered.emplace_back(to_lower_ascii(trim(name)), canonical_header_value(value));
  // Stable: the values of a repeated name keep the order they were given in.
  std::stable_sort(lowered.begin(), lowered.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });

  CanonicalHeaders out;
  for (std::size_t i = 0; i < lowered.size();) {
    const std::string& name = lowered[i].first;
    out.block += name;
    out.block.push_back(':');
    out.block += lowered[i].second;
    std::size_t j = i + 1;
    for (; j < lowered.size() && lowered[j].first == name; ++j) {
      out.block.push_back(',');
      out.block += lowered[j].second;
    }
    out.block.push_back('\n');
    if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
    out.signed_headers += name;
    i = j;
  }
  return out;
}

util::Sha256Digest derive_signing_key(std::string_view secret_access_key, std::string_view date,
                                      std::string_view region, std::string_view service) {
  const std::string k_secret = "AWS4" + std::string(secret_access_key);
  const auto k_date = util::hmac_sha256(util::as_bytes(k_secret), date);
  const auto k_region = util::hmac_sha256(k_date, region);
  const auto k_service = util::hmac_sha256(k_region, service);
  return util::hmac_sha256(k_service, "aws4_request");
}

SigV4Signer::SigV4Signer(Credentials creds, std::string region, std::string service)
    : creds_(std::move(creds)), region_(std::move(region)), service_(std::move(service)) {
  if (creds_.empty()) throw std::invalid_argument("SigV4Signer: empty access key id or secret");
  if (region_.empty()) throw std::invalid_argument("SigV4Signer: empty region");
  if (service_.empty()) throw std::invalid_argument("SigV4Signer: empty service");
}

Signature SigV4Signer::sign(const RequestToSign& req, SignClock::time_point t) const {
  const CanonicalHeaders headers = canonical_headers(req.headers);
  Signature out;
  std::string& cr = out.canonical_request;
  cr.reserve(256 + headers.block.size() + req.path.size() + req.query.size());
  cr += req.method;
  cr.push_back('\n');
  cr += req.path.empty() ? std::string_view("/") : std::string_view(req.path);
  cr.push_back('\n');
  cr += canonical_query_string(req.query);
  cr.push_back('\n');
  cr += headers.block;
  cr.push_back('\n');
  cr += headers.signed_headers;
  cr.push_back('\n');
  cr += req.payload_hash;

  const std::string amz_date = format_amz_date(t);
  const std::string scope = credential_scope(t);
  out.string_to_sign =
      join_string_to_sign({kSigV4Algorithm, amz_date, scope, util::hex_lower(util::sha256(cr))});

  out.signature = sign_string(out.string_to_sign, t);
  std::string& auth = out.authorization;
  auth += kSigV4Algorithm;
  auth += " Credential=";
  auth += creds_.access_key_id;
  auth.push_back('/');
  auth += scope;
  auth += ", SignedHeaders=";
  auth += headers.signed_headers;
  auth += ", Signature=";
  auth += out.signature;
  return out;
}

std::string SigV4Signer::sign_string(std::string_view string_to_sign,
                                     SignClock::time_point t) const {
  const auto key = signing_key(format_scope_date(t));
  return util::hex_lower(util::hmac_sha256(key, string_to_sign));
}

std::string SigV4Signer::credential_scope(SignClock::time_point t) const {
  std::string scope = format_scope_date(t);
  scope.push_back('/');
  scope += region_;
  scope.push_back('/');
  scope += service_;
  scope += "/aws4_request";
  return scope;
}

const std::string& SigV4Signer::region() const { return region_; }
const std::string& SigV4Signer::service() const { return service_; }
const Credentials& SigV4Signer::credentials() const { return creds_; }

std::uint64_t SigV4Signer::key_derivations() const {
  const std::lock_guard lock(cache_.mutex);
  return cache_.derivations;
}

util::Sha256Digest SigV4Signer::signing_key(std::string_view date) const {
  // Deriving under the lock costs four HMACs once a day and guarantees one derivation per date
  // change even when many threads sign at midnight.
  const std::lock_guard lock(cache_.mutex);
  if (cache_.date != date) {
    cache_.key = derive_signing_key(creds_.secret_access_key, date, region_, service_);
    cache_.date = date;
    ++cache_.derivations;
  }
  return cache_.key;
}

}  // namespace s3up::s3
