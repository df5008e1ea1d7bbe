#include "auth/sso.hpp"

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "auth/support.hpp"
#include "auth/time_format.hpp"
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
    return parse_sso_reply(reply.status, reply.body, prefix);
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
    const auto cached = parse_sso_cache(text);
    if (!cached)
      throw ProviderError("the SSO token cache " + path + " of profile '" + settings_.profile +
                          "' holds no usable token: " + login_hint());
    if (cached->expires_at <= std::chrono::system_clock::now())
      throw ProviderError("the SSO token for profile '" + settings_.profile + "' expired at " +
                          format_iso8601(cached->expires_at) + ": " + login_hint());
    return cached->access_token;
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
