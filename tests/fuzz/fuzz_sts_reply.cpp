// STS's XML replies (AssumeRole, AssumeRoleWithWebIdentity, ErrorResponse): credentials or a
// ProviderError; the error text quoted in messages is one line.
#include "auth/sts.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using s3up::fuzz::check;
  const std::string_view text = s3up::fuzz::as_text(data, size);
  for (const char* action : {"AssumeRole", "AssumeRoleWithWebIdentity"}) {
    try {
      const auto creds = s3up::auth::parse_sts_credentials(text, action);
      check(!creds.access_key_id.empty() && !creds.secret_access_key.empty() &&
                !creds.session_token.empty() && creds.expiration.has_value(),
            "STS credentials incomplete");
    } catch (const s3up::auth::ProviderError& e) {
      check(std::string_view(e.what()).find('\n') == std::string_view::npos,
            "an STS error message with a line break");
    }
  }
  const std::string error = s3up::auth::sts_error_text(text);
  check(error.find_first_of("\r\n") == std::string::npos, "sts_error_text with a line break");
  return 0;
}
