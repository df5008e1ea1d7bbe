#include "auth/container.hpp"

#include <arpa/inet.h>

#include <boost/json.hpp>

#include <array>
#include <cstring>

#include "auth/imds.hpp"
#include "auth/support.hpp"
#include "util/text.hpp"

namespace s3up::auth {
namespace {

constexpr const char* kEcsHost = "http://169.254.170.2";

// Whether plain http may be used to `host`: a loopback address (by value, and the name
// "localhost" taken as such, never resolved) or one of the ECS/EKS agent addresses.
bool allowed_http_host(const std::string& host) {
  if (util::iequals_ascii(host, "localhost")) return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    const std::uint32_t a = ntohl(v4.s_addr);
    return (a >> 24) == 127 || a == 0xA9FEAA02u /* 169.254.170.2 */ ||
           a == 0xA9FEAA17u /* 169.254.170.23 */;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    in6_addr agent{};
    ::inet_pton(AF_INET6, "fd00:ec2::23", &agent);
    return std::memcmp(&v6, &in6addr_loopback, sizeof v6) == 0 ||
           std::memcmp(&v6, &agent, sizeof v6) == 0;
  }
  return false;
}

std::optional<std::string> var(const s3::Environment& env, const char* name) {
  if (!env.get) return std::nullopt;
  auto value = env.get(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

// The "message" of a JSON error body, clipped; "" when there is none.
std::string json_message(std::string_view body) {
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(body, ec);
  if (ec || !doc.is_object()) return {};
  for (const char* key : {"message", "Message"}) {
    if (const auto* m = doc.get_object().if_contains(key); m != nullptr && m->is_string())
      return detail::clip(std::string_view(m->get_string()), 200);
  }
  return {};
}

class ContainerProvider final : public Provider {
 public:
  explicit ContainerProvider(ContainerSettings settings)
      : settings_(std::move(settings)), origin_(detail::origin_of(settings_.url)) {}

  s3::Credentials fetch() override {
    HttpExchange exchange;
    exchange.url = settings_.url;
    std::optional<std::string> token = settings_.token;
    if (settings_.token_file)
      token = detail::read_token_file(*settings_.token_file, "container authorization token file");
    if (token) {
      if (detail::has_line_break(*token))
        throw ProviderError("the container authorization token for " + origin_ +
                            " holds a line break: refused");
      exchange.headers.emplace_back("Authorization", *token);
    }
    HttpReply reply;
    try {
      reply = detail::fetch_with_attempts(exchange, settings_.http, 2);
    } catch (const ProviderError& e) {
      throw ProviderError("the container credentials endpoint is unreachable: " +
                          std::string(e.what()));
    }
    if (reply.status != 200) {
      std::string message = "the container credentials endpoint at " + origin_ + " answered HTTP " +
                            std::to_string(reply.status);
      if (reply.status == 401 || reply.status == 403)
        message += token ? " (the authorization token was refused)" : " (no authorization token is set)";
      if (const std::string text = json_message(reply.body); !text.empty()) message += ": " + text;
      throw ProviderError(message);
    }
    return parse_credentials_json(reply.body, "the container credentials endpoint at " + origin_);
  }

  std::string name() const override { return "container"; }
  std::string describe() const override { return "container credentials endpoint at " + origin_; }

 private:
  ContainerSettings settings_;
  std::string origin_;
};

}  // namespace

std::optional<ContainerSettings> container_settings(const s3::Environment& env) {
  ContainerSettings settings;
  if (auto relative = var(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    settings.url = kEcsHost + (relative->front() == '/' ? *relative : "/" + *relative);
    parse_url(settings.url);  // throws for a relative URI that makes no URL
  } else if (auto full = var(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    ParsedUrl url;
    try {
      url = parse_url(*full);
    } catch (const ProviderError& e) {
      throw ProviderError(std::string("AWS_CONTAINER_CREDENTIALS_FULL_URI: ") + e.what());
    }
    if (url.scheme == "http" && !allowed_http_host(url.host))
      throw ProviderError("AWS_CONTAINER_CREDENTIALS_FULL_URI names host " + url.host +
                          " over plain http: only https, or http to a loopback address or to "
                          "169.254.170.2, 169.254.170.23 or fd00:ec2::23, is allowed");
    settings.url = *full;
  } else {
    return std::nullopt;
  }
  settings.token = var(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  settings.token_file = var(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  settings.http.connect_timeout = std::chrono::milliseconds(2000);
  settings.http.read_timeout = std::chrono::milliseconds(2000);
  return settings;
}

ProviderPtr make_container_provider(ContainerSettings settings) {
  return std::make_shared<ContainerProvider>(std::move(settings));
}

}  // namespace s3up::auth
