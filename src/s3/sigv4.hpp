// AWS Signature Version 4 (header-based) for S3 requests.
//
// S3 differs from the generic SigV4 rules in two ways that matter here: the canonical URI is the
// path exactly as sent (encoded once, never normalised, never double-encoded), and the payload hash
// may be "UNSIGNED-PAYLOAD" or a STREAMING-* marker (verified by the test server:
// tests/server/sigv4_chunked.hpp).
#pragma once
#include <initializer_list>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "s3/credentials.hpp"
#include "util/crypto.hpp"

namespace s3up::s3 {

using SignClock = std::chrono::system_clock;
using HeaderList = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// Lower-hex SHA-256 of the empty string: the payload hash of a request without a body.
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct RequestToSign {
  std::string method;        // "PUT"
  std::string path;          // as sent on the wire, already percent-encoded; the canonical URI verbatim
  std::string query;         // raw query string as sent, without '?', may be empty
  HeaderList headers;        // every header to sign (any case), including host, x-amz-date,
                             // x-amz-content-sha256 and x-amz-security-token when present;
                             // repeated names allowed
  std::string payload_hash;  // lower-hex SHA-256 of the body, "UNSIGNED-PAYLOAD" or "STREAMING-..."
};

struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // lower hex, 64 characters
  std::string authorization;  // full Authorization header value
};

// "20150830T123600Z" (UTC, seconds truncated): the x-amz-date header value for t.
// A SigV4 string to sign (request, chunk or trailer): its lines joined by '\n'.
std::string join_string_to_sign(std::initializer_list<std::string_view> lines);

std::string format_amz_date(SignClock::time_point t);

// "20150830" (UTC): the date element of the credential scope.
std::string format_scope_date(SignClock::time_point t);

// An HTTP Date header (RFC 9110's IMF-fixdate, as S3 sends it): "Wed, 02 Dec 2026 03:04:05 GMT"
// (the day name is not checked). nullopt for anything else, or a date that does not exist.
std::optional<SignClock::time_point> parse_http_date(std::string_view text);

// Canonical query string: each '&'-separated parameter is split on its first '=', name and value
// are uri_decode'd then uri_encode'd with '/' encoded, and the pairs are sorted by encoded name,
// then encoded value, and joined as "k=v" with '&'. A parameter without '=' gives "k=". Empty
// parameters ("a&&b") are dropped. Never throws except std::bad_alloc.
std::string canonical_query_string(std::string_view raw_query);

// Canonical form of one header value: leading and trailing whitespace (space, tab, CR, LF) removed
// and every inner run of whitespace (including obs-fold line breaks of a multi-line value)
// replaced by a single space.
std::string canonical_header_value(std::string_view value);

struct CanonicalHeaders {
  std::string block;           // "name:value\n" per distinct name, sorted by lower-case name
  std::string signed_headers;  // "host;x-amz-date": the sorted lower-case names joined by ';'
};

// Lower-cases the names, canonicalises the values, joins the values of a repeated name with ','
// in the order given, and sorts by name.
CanonicalHeaders canonical_headers(const HeaderList& headers);

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
// date is "YYYYMMDD".
util::Sha256Digest derive_signing_key(std::string_view secret_access_key, std::string_view date,
                                      std::string_view region, std::string_view service);

// Signs requests for one set of credentials, region and service. sign() may be called from many
// threads at once: the signing key is derived once per UTC date and kept in a small mutex-guarded
// cache (one (date, key) pair). Copies start with an empty cache.
class SigV4Signer {
 public:
  // Throws std::invalid_argument if the access key id, the secret key, the region or the service
  // is empty.
  SigV4Signer(Credentials creds, std::string region, std::string service = "s3");

  // Builds the canonical request, string to sign, signature and Authorization value of req at
  // time t. The caller must already have put "x-amz-date: format_amz_date(t)" (and the session
  // token header, if it should be signed) into req.headers: sign() adds no header. Throws only
  // std::bad_alloc (or std::runtime_error from OpenSSL).
  Signature sign(const RequestToSign& req, SignClock::time_point t) const;

  // HMAC-SHA256 with the signing key of t's date over string_to_sign, as lower hex. Used for
  // chunk and trailer signatures (tests/server/sigv4_chunked.hpp).
  std::string sign_string(std::string_view string_to_sign, SignClock::time_point t) const;

  // "20150830/us-east-1/s3/aws4_request".
  std::string credential_scope(SignClock::time_point t) const;

  const std::string& region() const;
  const std::string& service() const;
  const Credentials& credentials() const;

  // How many times this signer has derived a signing key (diagnostics and tests).
  std::uint64_t key_derivations() const;

 private:
  // The one cached (date, signing key) pair. Copying a cache gives an empty one.
  class KeyCache {
   public:
    KeyCache() = default;
    KeyCache(const KeyCache&) {}
    KeyCache& operator=(const KeyCache&) {
      const std::lock_guard lock(mutex);
      date.clear();  // the key belonged to other credentials
      return *this;
    }

    std::mutex mutex;
    std::string date;  // empty: nothing cached yet
    util::Sha256Digest key{};
    std::uint64_t derivations = 0;
  };

  util::Sha256Digest signing_key(std::string_view date) const;

  Credentials creds_;
  std::string region_;
  std::string service_;
  mutable KeyCache cache_;
};

}  // namespace s3up::s3
