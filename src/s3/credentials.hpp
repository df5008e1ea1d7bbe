// AWS credentials as used to sign requests. Never printed: use redacted() in messages.
#pragma once
#include <string>

namespace s3up::s3 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty when there is none

  bool empty() const { return access_key_id.empty() || secret_access_key.empty(); }
};

}  // namespace s3up::s3
