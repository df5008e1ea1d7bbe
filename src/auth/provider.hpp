// A credential provider: one place temporary or long-term AWS credentials come from (the
// environment, a profile, STS, a process, the SSO portal, a container endpoint, EC2 instance
// metadata). The auth layer knows HTTP, SigV4 and the shared config files; it knows nothing of
// uploads, engines or the command line.
#pragma once
#include <memory>
#include <stdexcept>
#include <string>

#include "s3/credentials.hpp"

namespace s3up::auth {

// A provider could not supply credentials. The message is one line saying what failed and what
// to do; it never holds a secret, a session token, a web-identity token or an SSO token.
struct ProviderError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Provider {
 public:
  virtual ~Provider() = default;

  // Fetches credentials now (blocking: network, file or process). Temporary credentials carry
  // their expiration. Called once at the start and again for every refresh; must re-read
  // whatever rotates (token files, the SSO cache). Throws ProviderError.
  virtual s3::Credentials fetch() = 0;

  // Short name for the report and messages: "environment", "web-identity", "assume-role",
  // "process", "sso", "container", "imds", "shared-credentials-file", "config-file".
  virtual std::string name() const = 0;

  // One line for people: where the credentials come from, e.g. "EC2 instance metadata at
  // http://169.254.169.254" or "AssumeRole arn:aws:iam::1:role/x via profile 'dev'".
  virtual std::string describe() const = 0;
};

using ProviderPtr = std::shared_ptr<Provider>;

// Long-term keys known at start (environment variables, a profile's static keys).
class StaticProvider final : public Provider {
 public:
  StaticProvider(s3::Credentials credentials, std::string name, std::string description)
      : credentials_(std::move(credentials)),
        name_(std::move(name)),
        description_(std::move(description)) {}
  s3::Credentials fetch() override { return credentials_; }
  std::string name() const override { return name_; }
  std::string describe() const override { return description_; }

 private:
  s3::Credentials credentials_;
  std::string name_;
  std::string description_;
};

}  // namespace s3up::auth
