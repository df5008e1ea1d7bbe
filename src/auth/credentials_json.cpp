// parse_credentials_json (declared in imds.hpp): the JSON credentials document of IMDS, the
// container endpoint and credential_process.
#include <boost/json.hpp>

#include "auth/json_members.hpp"
#include "auth/imds.hpp"
#include "auth/time_format.hpp"

namespace s3up::auth {

s3::Credentials parse_credentials_json(std::string_view json, const std::string& what) {
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(json, ec);
  if (ec || !doc.is_object()) throw ProviderError(what + " returned a document that is not a JSON object");
  const auto& object = doc.get_object();
  if (const auto* code = object.if_contains("Code")) {
    if (!code->is_string()) throw ProviderError(what + " returned a Code that is not a string");
    const std::string_view c = code->get_string();
    if (c != "Success") {
      const bool printable = c.size() <= 64 && c.find_first_not_of(
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.") == std::string_view::npos;
      throw ProviderError(what + " answered Code " +
                          (printable ? std::string(c) : std::string("(not shown)")) +
                          " instead of Success");
    }
  }
  s3::Credentials creds;
  const auto* key_id = string_member(object, "AccessKeyId");
  if (key_id == nullptr) throw ProviderError(what + " returned no AccessKeyId");
  const auto* secret = string_member(object, "SecretAccessKey");
  if (secret == nullptr) throw ProviderError(what + " returned no SecretAccessKey");
  creds.access_key_id = std::string(*key_id);
  creds.secret_access_key = std::string(*secret);
  if (const auto* token = string_member(object, "Token"))
    creds.session_token = std::string(*token);
  else if (const auto* session_token = string_member(object, "SessionToken"))
    creds.session_token = std::string(*session_token);
  if (const auto* expiration = object.if_contains("Expiration");
      expiration != nullptr && !expiration->is_null()) {
    const auto when = expiration->is_string() ? parse_iso8601(expiration->get_string())
                                              : std::nullopt;
    if (!when) throw ProviderError(what + " returned an Expiration that is not an ISO 8601 time");
    creds.expiration = *when;
  }
  return creds;
}

}  // namespace s3up::auth
