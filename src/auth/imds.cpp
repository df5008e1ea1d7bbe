#include "auth/imds.hpp"

#include "auth/support.hpp"

namespace s3up::auth {
namespace {

constexpr const char* kTokenPath = "/latest/api/token";
constexpr const char* kRolesPath = "/latest/meta-data/iam/security-credentials/";
constexpr const char* kTokenHeader = "X-aws-ec2-metadata-token";
constexpr const char* kTtlHeader = "X-aws-ec2-metadata-token-ttl-seconds";

class ImdsProvider final : public Provider {
 public:
  explicit ImdsProvider(ImdsSettings settings) : settings_(std::move(settings)) {
    while (!settings_.endpoint.empty() && settings_.endpoint.back() == '/') settings_.endpoint.pop_back();
    http_.connect_timeout = settings_.timeout;
    http_.read_timeout = settings_.timeout;
  }

  s3::Credentials fetch() override {
    std::optional<std::string> token = session_token();
    bool token_renewed = false;
    // A GET answered 401 while using a token: the token is no longer valid; get a new one once.
    auto get = [&](const std::string& path) {
      for (;;) {
        const HttpReply reply = request("GET", path, token);
        if (reply.status == 401 && token && !token_renewed) {
          token_renewed = true;
          token = session_token();
          continue;
        }
        return reply;
      }
    };

    const HttpReply roles = get(kRolesPath);
    if (roles.status == 404) throw ProviderError(where() + " has no IAM role attached to this instance");
    check(roles, "the instance's IAM role");
    const std::string_view listing = detail::trim(roles.body);
    const std::string role(detail::trim(listing.substr(0, listing.find('\n'))));
    if (role.empty()) throw ProviderError(where() + " has no IAM role attached to this instance");
    if (role.find_first_of("/?#% ") != std::string::npos)
      throw ProviderError(where() + " returned a role name that is not one");

    const HttpReply creds = get(kRolesPath + role);
    check(creds, "the credentials of role " + role);
    return parse_credentials_json(creds.body, where() + " (role " + role + ")");
  }

  std::string name() const override { return "imds"; }
  std::string describe() const override { return "EC2 instance metadata at " + settings_.endpoint; }

 private:
  std::string where() const { return "EC2 instance metadata at " + settings_.endpoint; }

  HttpReply request(const std::string& method, const std::string& path,
                    const std::optional<std::string>& token,
                    std::vector<std::pair<std::string, std::string>> headers = {}) const {
    HttpExchange exchange;
    exchange.method = method;
    exchange.url = settings_.endpoint + path;
    exchange.headers = std::move(headers);
    if (token) exchange.headers.emplace_back(kTokenHeader, *token);
    try {
      return detail::fetch_with_attempts(exchange, http_, settings_.attempts);
    } catch (const ProviderError& e) {
      throw ProviderError(where() + " is unreachable: " + e.what());
    }
  }

  // IMDSv2's session token, or nullopt for IMDSv1 when the service refuses the PUT and the
  // fallback is allowed. No fallback when the service did not answer at all: it is not there.
  std::optional<std::string> session_token() const {
    const HttpReply reply = request("PUT", kTokenPath, std::nullopt, {{kTtlHeader, "21600"}});
    if (reply.status == 200) {
      const std::string token(detail::trim(reply.body));
      if (token.empty() || detail::has_line_break(token))
        throw ProviderError(where() + " returned an unusable session token");
      return token;
    }
    if (reply.status == 403 || reply.status == 404 || reply.status == 405) {
      if (settings_.allow_v1_fallback) return std::nullopt;
      throw ProviderError(where() + " refused the IMDSv2 token request (HTTP " +
                          std::to_string(reply.status) +
                          ") and IMDSv1 is disabled (AWS_EC2_METADATA_V1_DISABLED)");
    }
    throw ProviderError(where() + " answered the token request with HTTP " +
                        std::to_string(reply.status));
  }

  void check(const HttpReply& reply, const std::string& what) const {
    if (reply.status != 200)
      throw ProviderError(where() + " answered HTTP " + std::to_string(reply.status) +
                          " for " + what);
  }

  ImdsSettings settings_;
  HttpSettings http_;
};

}  // namespace

ProviderPtr make_imds_provider(ImdsSettings settings) {
  return std::make_shared<ImdsProvider>(std::move(settings));
}

}  // namespace s3up::auth
