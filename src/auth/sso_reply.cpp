// parse_sso_cache and parse_sso_reply (declared in sso.hpp): reading the token cache that
// `aws sso login` writes and the portal's GetRoleCredentials reply, apart from the file and
// network code so that they can be tested and fuzzed on their own.
#include <boost/json.hpp>

#include "auth/json_members.hpp"
#include "auth/sso.hpp"
#include "auth/support.hpp"
#include "s3/sigv4.hpp"

namespace s3up::auth {

std::optional<SsoCachedToken> parse_sso_cache(std::string_view json) {
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(json, ec);
  if (ec || !doc.is_object()) return std::nullopt;
  const auto* token = string_member(doc.get_object(), "accessToken");
  const auto* expires = string_member(doc.get_object(), "expiresAt");
  if (token == nullptr || expires == nullptr) return std::nullopt;
  const auto when = parse_iso8601(std::string_view(*expires));
  if (!when) return std::nullopt;
  return SsoCachedToken{std::string(*token), *when};
}

s3::Credentials parse_sso_reply(unsigned status, std::string_view body, const std::string& prefix) {
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(body, ec);
  const boost::json::object* object = !ec && doc.is_object() ? &doc.get_object() : nullptr;
  if (status != 200) {
    std::string message = prefix + "HTTP " + std::to_string(status);
    if (object != nullptr) {
      for (const char* key : {"message", "Message"})
        if (const auto* m = string_member(*object, key)) {
          message += ": " + s3::canonical_header_value(detail::clip(std::string_view(*m), 200));
          break;
        }
    }
    throw ProviderError(message);
  }
  if (object == nullptr) throw ProviderError(prefix + "the reply is not a JSON object");
  const auto* role = object->if_contains("roleCredentials");
  if (role == nullptr || !role->is_object())
    throw ProviderError(prefix + "the reply holds no roleCredentials");
  const auto& rc = role->get_object();
  const auto* key_id = string_member(rc, "accessKeyId");
  const auto* secret = string_member(rc, "secretAccessKey");
  if (key_id == nullptr || secret == nullptr)
    throw ProviderError(prefix + "the reply's roleCredentials are incomplete");
  s3::Credentials creds;
  creds.access_key_id = std::string(*key_id);
  creds.secret_access_key = std::string(*secret);
  if (const auto* session = string_member(rc, "sessionToken"))
    creds.session_token = std::string(*session);
  const auto* expiration = rc.if_contains("expiration");
  if (expiration == nullptr || !expiration->is_number())
    throw ProviderError(prefix + "the reply's roleCredentials have no expiration");
  const double ms = expiration->to_number<double>(ec);
  // !(ms > 0) refuses NaN too: Boost.JSON 1.81 reads "0e3020" as NaN, which then went on to the
  // integer conversion (undefined behaviour; found by tests/fuzz/fuzz_sso).
  if (ec || !(ms > 0)) throw ProviderError(prefix + "the reply's expiration is not a time");
  // A time past kLatestTime is clamped to it (the conversion overflowed past SysTime's range):
  // such an expiration is far in the future anyway.
  const auto latest_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      kLatestTime.time_since_epoch());
  if (ms >= static_cast<double>(latest_ms.count())) {
    creds.expiration = kLatestTime;
  } else {
    creds.expiration = SysTime(std::chrono::duration_cast<SysTime::duration>(
        std::chrono::milliseconds(static_cast<long long>(ms))));
  }
  return creds;
}

}  // namespace s3up::auth
