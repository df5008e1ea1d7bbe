// IAM Identity Center: the token cache `aws sso login` writes (parse_sso_cache) and the portal's
// GetRoleCredentials reply (parse_sso_reply), read for status 200 and for an error status.
#include "auth/sso.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using s3up::fuzz::check;
  const std::string_view text = s3up::fuzz::as_text(data, size);
  if (const auto cached = s3up::auth::parse_sso_cache(text))
    check(!cached->access_token.empty(), "an SSO cache token that is empty");
  for (const unsigned status : {200u, 500u}) {
    try {
      const auto creds = s3up::auth::parse_sso_reply(status, text, "SSO: ");
      check(status == 200, "credentials from an error reply");
      check(!creds.access_key_id.empty() && !creds.secret_access_key.empty() &&
                creds.expiration.has_value(),
            "SSO credentials incomplete");
    } catch (const s3up::auth::ProviderError& e) {
      check(std::string_view(e.what()).find('\n') == std::string_view::npos,
            "an SSO error message with a line break");
    }
  }
  return 0;
}
