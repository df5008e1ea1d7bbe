#include "server/auth.hpp"

#include <openssl/crypto.h>

#include <charconv>
#include <ctime>
#include <vector>

#include "server/errors.hpp"
#include "util/uri.hpp"

namespace s3up::testserver {
namespace http = boost::beast::http;
namespace {

constexpr auto kMaxSkew = std::chrono::minutes(15);

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

S3Error malformed(std::string message) {
  return S3Error(400, "AuthorizationHeaderMalformed", std::move(message));
}

// "20150830T123600Z" -> time point; nullopt if malformed.
std::optional<s3::SignClock::time_point> parse_amz_date(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  auto num = [&](std::size_t pos, std::size_t len, int& out) {
    const auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, out);
    return ec == std::errc() && p == s.data() + pos + len;
  };
  std::tm tm{};
  int y, mo, d, h, mi, se;
  if (!num(0, 4, y) || !num(4, 2, mo) || !num(6, 2, d) || !num(9, 2, h) || !num(11, 2, mi) ||
      !num(13, 2, se))
    return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  const std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return s3::SignClock::from_time_t(t);
}

struct Credential {
  std::string access_key, date, region, service, terminator;
};

std::optional<Credential> parse_credential(std::string_view v) {
  Credential c;
  std::string* parts[] = {&c.access_key, &c.date, &c.region, &c.service, &c.terminator};
  for (std::size_t i = 0; i < 5; ++i) {
    const auto slash = i < 4 ? v.find('/') : std::string_view::npos;
    if (i < 4 && slash == std::string_view::npos) return std::nullopt;
    *parts[i] = std::string(v.substr(0, slash));
    if (i < 4) v.remove_prefix(slash + 1);
  }
  return c;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

Authenticator::Authenticator(std::string access_key, std::string secret_key, std::string region)
    : access_key_(std::move(access_key)),
      secret_key_(std::move(secret_key)),
      region_(std::move(region)) {}

const s3::SigV4Signer& Authenticator::signer_for(const std::string& region) {
  const std::lock_guard lock(mutex_);
  auto& slot = signers_[region];
  if (!slot) {
    s3::Credentials creds;
    creds.access_key_id = access_key_;
    creds.secret_access_key = secret_key_;
    slot = std::make_unique<s3::SigV4Signer>(std::move(creds), region, "s3");
  }
  return *slot;
}

VerifiedRequest Authenticator::verify(const http::request_header<>& req, std::string_view target,
                                      s3::SignClock::time_point now) {
  const auto q = target.find('?');
  const std::string_view path = target.substr(0, q);
  std::string_view raw_query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);

  std::string credential_text, signed_headers_text, signature, amz_date_text;
  std::string query_for_signing(raw_query);
  std::string payload_hash;
  bool presigned = false;
  std::optional<long> expires;

  const auto auth_it = req.find(http::field::authorization);
  if (auth_it != req.end()) {
    std::string_view auth = auth_it->value();
    if (!auth.starts_with(s3::kSigV4Algorithm)) {
      if (auth.starts_with("AWS "))
        throw S3Error(400, "InvalidRequest",
                      "The authorization mechanism you have provided is not supported. Please "
                      "use AWS4-HMAC-SHA256.");
      throw malformed("The authorization header is malformed; unknown algorithm.");
    }
    auth.remove_prefix(s3::kSigV4Algorithm.size());
    for (auto item : split(auth, ',')) {
      item = trim(item);
      const auto eq = item.find('=');
      if (eq == std::string_view::npos) continue;
      const auto name = item.substr(0, eq);
      const auto value = item.substr(eq + 1);
      if (name == "Credential") credential_text = value;
      else if (name == "SignedHeaders") signed_headers_text = value;
      else if (name == "Signature") signature = value;
    }
    if (credential_text.empty() || signed_headers_text.empty() || signature.empty())
      throw malformed("The authorization header is malformed; it needs Credential, "
                      "SignedHeaders and Signature.");
    const auto date_it = req.find("x-amz-date");
    if (date_it == req.end())
      throw S3Error(403, "AccessDenied",
                    "AWS authentication requires a valid Date or x-amz-date header");
    amz_date_text = date_it->value();
    const auto sha_it = req.find("x-amz-content-sha256");
    if (sha_it == req.end())
      throw S3Error(400, "InvalidRequest",
                    "Missing required header for this request: x-amz-content-sha256");
    payload_hash = sha_it->value();
  } else if (raw_query.find("X-Amz-Signature=") != std::string_view::npos) {
    presigned = true;
    query_for_signing.clear();
    for (auto param : split(raw_query, '&')) {
      const auto eq = param.find('=');
      const auto name = param.substr(0, eq);
      const std::string value =
          eq == std::string_view::npos ? std::string() : util::uri_decode(param.substr(eq + 1));
      if (name == "X-Amz-Signature") {
        signature = value;
        continue;
      }
      if (name == "X-Amz-Algorithm" && value != s3::kSigV4Algorithm)
        throw S3Error(400, "InvalidRequest", "X-Amz-Algorithm must be AWS4-HMAC-SHA256");
      if (name == "X-Amz-Credential") credential_text = value;
      if (name == "X-Amz-SignedHeaders") signed_headers_text = value;
      if (name == "X-Amz-Date") amz_date_text = value;
      if (name == "X-Amz-Expires") {
        long e = 0;
        const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), e);
        if (ec != std::errc() || p != value.data() + value.size() || e < 0)
          throw S3Error(400, "AuthorizationQueryParametersError", "bad X-Amz-Expires");
        expires = e;
      }
      if (!query_for_signing.empty()) query_for_signing.push_back('&');
      query_for_signing.append(param);
    }
    if (credential_text.empty() || signed_headers_text.empty() || amz_date_text.empty())
      throw S3Error(400, "AuthorizationQueryParametersError",
                    "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                    "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                    "X-Amz-Expires parameters.");
    const auto sha_it = req.find("x-amz-content-sha256");
    payload_hash = sha_it == req.end() ? std::string(s3::kUnsignedPayload)
                                       : std::string(sha_it->value());
  } else if (raw_query.find("AWSAccessKeyId=") != std::string_view::npos) {
    throw S3Error(400, "InvalidRequest",
                  "The authorization mechanism you have provided is not supported. Please use "
                  "AWS4-HMAC-SHA256.");
  } else {
    throw S3Error(403, "AccessDenied", "Access Denied (anonymous requests are not allowed)");
  }

  const auto cred = parse_credential(credential_text);
  if (!cred) throw malformed("The authorization header is malformed; bad Credential.");
  if (cred->access_key != access_key_) {
    S3Error e(403, "InvalidAccessKeyId",
              "The AWS Access Key Id you provided does not exist in our records.");
    e.details.emplace_back("AWSAccessKeyId", cred->access_key);
    throw e;
  }
  const auto t = parse_amz_date(amz_date_text);
  if (!t)
    throw S3Error(403, "AccessDenied",
                  "AWS authentication requires a valid Date or x-amz-date header");
  if (presigned) {
    if (expires && now > *t + std::chrono::seconds(*expires))
      throw S3Error(403, "AccessDenied", "Request has expired");
    if (*t - now > kMaxSkew)
      throw S3Error(403, "RequestTimeTooSkewed",
                    "The difference between the request time and the current time is too "
                    "large.");
  } else if (*t - now > kMaxSkew || now - *t > kMaxSkew) {
    S3Error e(403, "RequestTimeTooSkewed",
              "The difference between the request time and the current time is too large.");
    e.details.emplace_back("RequestTime", amz_date_text);
    e.details.emplace_back("ServerTime", s3::format_amz_date(now));
    e.details.emplace_back("MaxAllowedSkewMilliseconds", "900000");
    throw e;
  }
  if (cred->date != amz_date_text.substr(0, 8) || cred->service != "s3" ||
      cred->terminator != "aws4_request" || cred->region.empty())
    throw malformed("The authorization header is malformed; the Credential scope " +
                    cred->date + "/" + cred->region + "/" + cred->service + "/" +
                    cred->terminator + " does not fit the request date and S3.");

  if (!region_.empty() && cred->region != region_) {
    S3Error e(400, "AuthorizationHeaderMalformed",
              "The authorization header is malformed; the region '" + cred->region +
                  "' is wrong; expecting '" + region_ + "'");
    e.details.emplace_back("Region", region_);
    throw e;
  }

  s3::RequestToSign rts;
  rts.method = std::string(req.method_string());
  rts.path = std::string(path);
  rts.query = std::move(query_for_signing);
  rts.payload_hash = payload_hash;
  for (auto name : split(signed_headers_text, ';')) {
    if (name.empty()) continue;
    bool found = false;
    for (const auto& f : req) {
      const auto fname = f.name_string();
      if (fname.size() == name.size() &&
          std::equal(fname.begin(), fname.end(), name.begin(), [](char a, char b) {
            return (a >= 'A' && a <= 'Z' ? a - 'A' + 'a' : a) == b;
          })) {
        rts.headers.emplace_back(std::string(name), std::string(f.value()));
        found = true;
      }
    }
    if (!found) rts.headers.emplace_back(std::string(name), std::string());
  }
  const auto& signer = signer_for(cred->region);
  auto computed = signer.sign(rts, *t);
  if (!same(computed.signature, signature)) {
    S3Error e(403, "SignatureDoesNotMatch",
              "The request signature we calculated does not match the signature you provided. "
              "Check your key and signing method.");
    e.details.emplace_back("AWSAccessKeyId", cred->access_key);
    e.details.emplace_back("StringToSign", computed.string_to_sign);
    e.details.emplace_back("SignatureProvided", signature);
    e.details.emplace_back("CanonicalRequest", computed.canonical_request);
    throw e;
  }
  return VerifiedRequest{&signer, *t, std::move(computed.signature)};
}

}  // namespace s3up::testserver
