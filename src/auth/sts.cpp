#include "auth/sts.hpp"

#include <chrono>

#include "auth/support.hpp"
#include "auth/time_format.hpp"
#include "s3/sigv4.hpp"
#include "util/crypto.hpp"
#include "util/uri.hpp"

namespace s3up::auth {
namespace {

constexpr const char* kFormType = "application/x-www-form-urlencoded; charset=utf-8";

// "Name=value" with the value percent-encoded as a form value.
std::string form_field(std::string_view name, std::string_view value) {
  return std::string(name) + "=" + util::uri_encode(value, true);
}

std::string session_name_or_default(const std::string& name) {
  if (!name.empty()) return name;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return "botocore-session-" + std::to_string(now.count());
}

// Sends an STS form and returns the credentials of its reply; errors name the action, the role
// and the endpoint (never the body beyond an ErrorResponse's code and message).
s3::Credentials call_sts(const StsSettings& sts, HttpExchange exchange, std::string_view action,
                         const std::string& role_arn) {
  const std::string prefix =
      "STS " + std::string(action) + " for " + role_arn + " at " + sts.endpoint_url + " failed: ";
  HttpReply reply;
  try {
    reply = http_fetch(exchange, sts.http);
  } catch (const ProviderError& e) {
    throw ProviderError(prefix + e.what());
  }
  if (reply.status != 200) {
    const std::string text = sts_error_text(reply.body);
    throw ProviderError(prefix + "HTTP " + std::to_string(reply.status) +
                        (text.empty() ? std::string() : " " + text));
  }
  try {
    return parse_sts_credentials(reply.body, action);
  } catch (const ProviderError& e) {
    throw ProviderError(prefix + e.what());
  }
}

class AssumeRoleProvider final : public Provider {
 public:
  AssumeRoleProvider(ProviderPtr source, AssumeRoleParams params, StsSettings sts, std::string via)
      : source_(std::move(source)), params_(std::move(params)), sts_(std::move(sts)),
        via_(std::move(via)) {
    if (sts_.region.empty()) sts_.region = "us-east-1";
  }

  s3::Credentials fetch() override {
    s3::Credentials source;
    try {
      source = source_->fetch();
    } catch (const ProviderError& e) {
      throw ProviderError("cannot get the source credentials to assume " + params_.role_arn +
                          " (" + source_->describe() + "): " + e.what());
    }
    std::string body = form_field("Action", "AssumeRole") + "&" + form_field("Version", "2011-06-15") +
                       "&" + form_field("RoleArn", params_.role_arn) + "&" +
                       form_field("RoleSessionName", session_name_or_default(params_.session_name));
    if (params_.external_id) body += "&" + form_field("ExternalId", *params_.external_id);
    if (params_.duration_seconds)
      body += "&" + form_field("DurationSeconds", std::to_string(*params_.duration_seconds));

    const ParsedUrl url = parse_url(sts_.endpoint_url);
    const auto now = s3::SignClock::now();
    s3::RequestToSign to_sign;
    to_sign.method = "POST";
    const std::size_t question = url.target.find('?');
    to_sign.path = url.target.substr(0, question);
    if (question != std::string::npos) to_sign.query = url.target.substr(question + 1);
    to_sign.payload_hash = util::hex_lower(util::sha256(body));
    to_sign.headers = {{"content-type", kFormType},
                       {"host", host_header(url)},
                       {"x-amz-content-sha256", to_sign.payload_hash},
                       {"x-amz-date", s3::format_amz_date(now)}};
    if (!source.session_token.empty())
      to_sign.headers.emplace_back("x-amz-security-token", source.session_token);
    std::string authorization;
    try {
      const s3::SigV4Signer signer(source, sts_.region, "sts");
      authorization = signer.sign(to_sign, now).authorization;
    } catch (const std::invalid_argument&) {
      throw ProviderError("cannot sign AssumeRole for " + params_.role_arn +
                          ": the source credentials (" + source_->describe() + ") are incomplete");
    }

    HttpExchange exchange;
    exchange.method = "POST";
    exchange.url = sts_.endpoint_url;
    exchange.headers = to_sign.headers;
    exchange.headers.emplace_back("authorization", std::move(authorization));
    exchange.body = std::move(body);
    return call_sts(sts_, std::move(exchange), "AssumeRole", params_.role_arn);
  }

  std::string name() const override { return "assume-role"; }
  std::string describe() const override {
    return "AssumeRole " + params_.role_arn + (via_.empty() ? std::string() : " via " + via_);
  }

 private:
  ProviderPtr source_;
  AssumeRoleParams params_;
  StsSettings sts_;
  std::string via_;
};

class WebIdentityProvider final : public Provider {
 public:
  WebIdentityProvider(WebIdentityParams params, StsSettings sts, std::string via)
      : params_(std::move(params)), sts_(std::move(sts)), via_(std::move(via)) {}

  s3::Credentials fetch() override {
    const std::string token = detail::read_token_file(params_.token_file, "web identity token file");
    HttpExchange exchange;
    exchange.method = "POST";
    exchange.url = sts_.endpoint_url;
    exchange.headers = {{"Content-Type", kFormType}};
    exchange.body = form_field("Action", "AssumeRoleWithWebIdentity") + "&" +
                    form_field("Version", "2011-06-15") + "&" +
                    form_field("RoleArn", params_.role_arn) + "&" +
                    form_field("RoleSessionName", session_name_or_default(params_.session_name)) +
                    "&" + form_field("WebIdentityToken", token);
    return call_sts(sts_, std::move(exchange), "AssumeRoleWithWebIdentity", params_.role_arn);
  }

  std::string name() const override { return "web-identity"; }
  std::string describe() const override {
    return "AssumeRoleWithWebIdentity " + params_.role_arn + " with the token in " +
           params_.token_file + (via_.empty() ? std::string() : " via " + via_);
  }

 private:
  WebIdentityParams params_;
  StsSettings sts_;
  std::string via_;
};

}  // namespace

std::string sts_endpoint_url(const std::string& region, const std::optional<std::string>& override) {
  if (override && !override->empty()) return *override;
  if (region.empty() || region == "aws-global") return "https://sts.amazonaws.com";
  const std::string suffix = region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
  return "https://sts." + region + suffix;
}

ProviderPtr make_assume_role_provider(ProviderPtr source, AssumeRoleParams params, StsSettings sts,
                                      std::string via) {
  return std::make_shared<AssumeRoleProvider>(std::move(source), std::move(params), std::move(sts),
                                              std::move(via));
}

ProviderPtr make_web_identity_provider(WebIdentityParams params, StsSettings sts, std::string via) {
  return std::make_shared<WebIdentityProvider>(std::move(params), std::move(sts), std::move(via));
}

}  // namespace s3up::auth
