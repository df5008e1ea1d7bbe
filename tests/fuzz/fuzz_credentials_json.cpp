// The JSON credentials documents of the container endpoint and IMDS (parse_credentials_json) and
// of credential_process (parse_process_output, which adds the Version check): credentials with a
// key ID and a secret, or a ProviderError.
#include "auth/imds.hpp"
#include "auth/process.hpp"
#include "fuzz_support.hpp"

namespace {

void check_credentials(const s3up::s3::Credentials& creds) {
  s3up::fuzz::check(!creds.access_key_id.empty() && !creds.secret_access_key.empty(),
                    "credentials without a key ID or a secret");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = s3up::fuzz::as_text(data, size);
  try {
    check_credentials(s3up::auth::parse_credentials_json(text, "the container endpoint"));
  } catch (const s3up::auth::ProviderError&) {
  }
  try {
    check_credentials(s3up::auth::parse_process_output(text));
  } catch (const s3up::auth::ProviderError&) {
  }
  return 0;
}
