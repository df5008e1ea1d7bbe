#include "auth/sso.hpp"

#include <boost/json.hpp>
#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "auth/support.hpp"
#include "auth/time_format.hpp"
#include "s3/sigv4.hpp"
#include "util/crypto.hpp"
#include "util/uri.hpp"

namespace s3up::auth {
namespace {

std::string sha1_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha1(), nullptr) != 1)
    throw ProviderError("SHA-1 is not available from OpenSSL");
  return util::hex_lower({digest, size});
}

const boost::json::string* string_member(const boost::json::object& object, const char* key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_string() || value->get_string().empty()) return nullptr;
  return &value->get_string();
}

class SsoProvider final : public Provider {
 public:
  explicit SsoProvider(SsoSettings settings) : settings_(std::move(settings)) {
    while (!settings_.portal_url.empty() && settings_.portal_url.back() == '/')
      settings_.portal_url.pop_back();
  }

  s3::Credentials fetch() override {
    const std::string token = cached_token();
    HttpExchange exchange;
    exchange.url = settings_.portal_url + "/federation/credentials?account_id=" +
                   util::uri_encode(settings_.account_id, true) +
                   "&role_name=" + util::uri_encode(settings_.role_name, true);
    exchange.headers = {{"x-amz-sso_bearer_token", token}};
    const std::string prefix = "SSO GetRoleCredentials for profile '" + settings_.profile + "' at " +
                               settings_.portal_url + " failed: ";
    HttpReply reply;
    try {
      reply = http_fetch(exchange, settings_.http);
    } catch (const ProviderError& e) {
      throw ProviderError(prefix + e.what());
    }
    if (reply.status == 401 || reply.status == 403)
      throw ProviderError("the SSO portal refused the cached token of profile '" + settings_.profile +
                          "' (HTTP " + std::to_string(reply.status) + "): " + login_hint());
    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(reply.body, ec);
    const boost::json::object* object = !ec && doc.is_object() ? &doc.get_object() : nullptr;
    if (reply.status != 200) {
      std::string message = prefix + "HTTP " + std::to_string(reply.status);
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
    if (ec || ms <= 0) throw ProviderError(prefix + "the reply's expiration is not a time");
    creds.expiration = SysTime(std::chrono::duration_cast<SysTime::duration>(
        std::chrono::milliseconds(static_cast<long long>(ms))));
    return creds;
  }

  std::string name() const override { return "sso"; }
  std::string describe() const override {
    return "SSO role " + settings_.role_name + " in account " + settings_.account_id +
           " via profile '" + settings_.profile + "'";
  }

 private:
  std::string login_hint() const { return "run `aws sso login --profile " + settings_.profile + "`"; }

  // The access token in the cache file, refused when missing or expired.
  std::string cached_token() const {
    const std::string path = sso_cache_path(settings_);
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      const int err = errno;
      if (err == ENOENT || err == ENOTDIR || err == 0)
        throw ProviderError("no cached SSO token for profile '" + settings_.profile + "' (" + path +
                            "): " + login_hint());
      throw ProviderError("cannot read the SSO token cache " + path + " of profile '" +
                          settings_.profile + "': " + std::strerror(err));
    }
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(text, ec);
    const auto* token = !ec && doc.is_object() ? string_member(doc.get_object(), "accessToken") : nullptr;
    const auto* expires = !ec && doc.is_object() ? string_member(doc.get_object(), "expiresAt") : nullptr;
    const auto when = expires != nullptr ? parse_iso8601(std::string_view(*expires)) : std::nullopt;
    if (token == nullptr || !when)
      throw ProviderError("the SSO token cache " + path + " of profile '" + settings_.profile +
                          "' holds no usable token: " + login_hint());
    if (*when <= std::chrono::system_clock::now())
      throw ProviderError("the SSO token for profile '" + settings_.profile + "' expired at " +
                          format_iso8601(*when) + ": " + login_hint());
    return std::string(*token);
  }

  SsoSettings settings_;
};

}  // namespace

std::string sso_cache_path(const SsoSettings& settings) {
  const std::string& key =
      settings.session_name && !settings.session_name->empty() ? *settings.session_name
                                                               : settings.start_url;
  std::string dir = settings.cache_dir;
  if (!dir.empty() && dir.back() != '/') dir += '/';
  return dir + sha1_hex(key) + ".json";
}

std::string sso_portal_url(const std::string& sso_region, const std::optional<std::string>& override) {
  if (override && !override->empty()) return *override;
  const std::string suffix = sso_region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
  return "https://portal.sso." + sso_region + suffix;
}

ProviderPtr make_sso_provider(SsoSettings settings) {
  return std::make_shared<SsoProvider>(std::move(settings));
}

}  // namespace s3up::auth
