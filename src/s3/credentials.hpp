// AWS credentials as used to sign requests, and where the signers get them from. Never printed:
// no message, log line or report holds a secret access key or a session token.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace s3up::s3 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty when there is none
  // When temporary credentials stop working; nullopt for long-term keys.
  std::optional<std::chrono::system_clock::time_point> expiration;

  bool empty() const { return access_key_id.empty() || secret_access_key.empty(); }
};

// The credentials to sign with, shared by every connection and both engines. Temporary
// credentials change during a run: each request is signed with current(), and keeps what it was
// signed with while in flight. Thread-safe.
class CredentialsSource {
 public:
  struct Current {
    std::shared_ptr<const Credentials> credentials;  // never null
    std::uint64_t generation = 0;                    // grows with every renewal
  };

  virtual ~CredentialsSource() = default;

  // The credentials to sign the next request with. Never blocks on the network.
  virtual Current current() const = 0;

  // A request signed with credentials of `generation` was refused as expired or invalid
  // (ExpiredToken, TokenRefreshRequired, InvalidToken). Blocks until newer credentials are in
  // place (true: sign again and retry) or until it is certain that none will come (false).
  virtual bool renew(std::uint64_t generation) = 0;

  // Whether renew() can ever succeed (temporary credentials from a provider that issues more).
  virtual bool refreshable() const = 0;

  // Short name of the provider, as in the JSON report: "environment", "imds", "sso"...
  virtual std::string provider() const = 0;

  // Why the last renewal failed ("" when none did).
  virtual std::string last_error() const { return {}; }

  // Called (from any thread) when the credentials have expired and cannot be renewed: the run
  // must stop. nullptr removes the handler.
  virtual void set_lapse_handler(std::function<void(const std::string&)>) {}
};

// Fixed credentials (static keys, or a session token given as is).
class StaticCredentials final : public CredentialsSource {
 public:
  explicit StaticCredentials(Credentials credentials, std::string provider = "static")
      : credentials_(std::make_shared<const Credentials>(std::move(credentials))),
        provider_(std::move(provider)) {}

  Current current() const override { return {credentials_, 0}; }
  bool renew(std::uint64_t) override { return false; }
  bool refreshable() const override { return false; }
  std::string provider() const override { return provider_; }

 private:
  std::shared_ptr<const Credentials> credentials_;
  std::string provider_;
};

}  // namespace s3up::s3
