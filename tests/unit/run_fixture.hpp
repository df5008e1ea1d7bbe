// A RunControl over a real S3Protocol (nothing is sent: the endpoint is the discard port of the
// loopback address) for the tests of the shared failure policy and entry handling, with a
// credentials source whose behaviour each test chooses.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "engine/run_control.hpp"
#include "s3/error_class.hpp"
#include "s3/location.hpp"
#include "s3/s3_protocol.hpp"
#include "s3/s3_error.hpp"

namespace s3up::test {

// Temporary credentials from a provider that may (refreshable) or may not issue more.
class FakeCredentials final : public s3::CredentialsSource {
 public:
  explicit FakeCredentials(bool refreshable, std::string provider = "imds")
      : refreshable_(refreshable), provider_(std::move(provider)) {}

  Current current() const override { return {credentials_, 7}; }
  bool renew(std::uint64_t) override { return false; }
  bool refreshable() const override { return refreshable_; }
  std::string provider() const override { return provider_; }
  std::string last_error() const override { return last_error_; }
  void set_lapse_handler(std::function<void(const std::string&)> handler) override {
    lapse_handler = std::move(handler);
  }

  std::string last_error_;
  std::function<void(const std::string&)> lapse_handler;

 private:
  bool refreshable_;
  std::string provider_;
  std::shared_ptr<const s3::Credentials> credentials_ =
      std::make_shared<const s3::Credentials>(s3::Credentials{"ASIATEMP", "temp-secret", "token", {}});
};

// One run's shared state: options (change them freely, except `retries`, which RunControl copies
// at construction), the protocol, the report and the RunControl, whose on_stop counts its calls.
struct RunHarness {
  explicit RunHarness(int retries = 5, std::shared_ptr<s3::CredentialsSource> source = nullptr)
      : protocol(s3::SigV4Signer(s3::Credentials{"AKIDEXAMPLE", "dummy-secret", "", {}}, "us-east-1"),
                 s3::parse_endpoint("http://127.0.0.1:9"), "bucket", false, true) {
    opt.bucket = "bucket";
    opt.retries = retries;
    if (source) protocol.use_credentials(std::move(source));
    run.emplace(opt, protocol, report);
    run->on_stop = [this] { ++stops; };
  }

  engine::UploadOptions opt;
  s3::S3Protocol protocol;
  engine::Report report;
  int stops = 0;
  std::optional<engine::RunControl> run;  // destroyed first
};

// An HTTP error reply as S3Protocol::finish describes it (classified by status and code).
inline s3::OpResult s3_error(unsigned status, std::string code, std::string message = "") {
  s3::OpResult r;
  r.status = status;
  r.code = std::move(code);
  // Typed as S3Protocol::finish types a reply.
  r.error = r.code.empty() ? s3::make_error_code(s3::S3Errc::http_status)
                           : s3::make_error_code(s3::errc_from_code(r.code));
  r.error_class = s3::classify(status, r.error);
  r.message = message.empty() ? "PutObject: HTTP " + std::to_string(status) +
                                    (r.code.empty() ? "" : " " + r.code)
                              : std::move(message);
  r.signed_region = "us-east-1";
  return r;
}

// A request that got no HTTP reply (as S3Protocol::finish classifies it).
inline s3::OpResult no_reply(http::Failure failure, std::string message) {
  s3::OpResult r;
  r.transport = failure;
  r.error = s3::errc_from_failure(failure);
  r.message = std::move(message);
  r.error_class = failure == http::Failure::Certificate ? s3::ErrorClass::FatalForRun
                                                        : s3::ErrorClass::Retryable;
  r.signed_region = "us-east-1";
  return r;
}

}  // namespace s3up::test
