// The failure policy both engines share: engine::after_failure and after_renewal over hand-made
// OpResults (retries within and beyond --retries, an endpoint that cannot be reached, files that
// fail, errors that stop the run, region redirects, expired credentials), is_throttle, and the
// backoff delays of RetryPolicy.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "engine/retry.hpp"
#include "engine/run_control.hpp"
#include "run_fixture.hpp"

using namespace s3up;
using namespace s3up::engine;
using s3up::test::FakeCredentials;
using s3up::test::no_reply;
using s3up::test::RunHarness;
using s3up::test::s3_error;

namespace {

const char* name(Next n) {
  switch (n) {
    case Next::Retry: return "Retry";
    case Next::RetryNow: return "RetryNow";
    case Next::Fail: return "Fail";
    case Next::Stop: return "Stop";
    case Next::Renew: return "Renew";
  }
  return "?";
}

std::string decide(RunHarness& h, const s3::OpResult& r, int attempt) {
  return name(after_failure(*h.run, r, attempt));
}

// Nothing stopped, nothing recorded as fatal.
void check_run_goes_on(RunHarness& h) {
  BOOST_TEST(!h.run->stopping.load());
  BOOST_TEST(!h.report.has_fatal());
  BOOST_TEST(h.stops == 0);
}

// The run stopped once, for `reason`, with exit code 2.
void check_run_stopped(RunHarness& h, const std::string& reason) {
  BOOST_TEST(h.run->stopping.load());
  BOOST_TEST(h.stops == 1);
  BOOST_TEST(h.report.has_fatal());
  const RunSummary s = h.report.finish();
  BOOST_TEST_REQUIRE(s.fatal.has_value());
  BOOST_TEST(*s.fatal == reason);
  BOOST_TEST(s.exit_code() == 2);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(failure_policy)

BOOST_AUTO_TEST_CASE(retry_is_true_for_the_two_retries_only) {
  BOOST_TEST(retrying(Next::Retry));
  BOOST_TEST(retrying(Next::RetryNow));
  BOOST_TEST(!retrying(Next::Fail));
  BOOST_TEST(!retrying(Next::Stop));
  BOOST_TEST(!retrying(Next::Renew));
}

BOOST_AUTO_TEST_CASE(retryable_replies_are_retried_within_the_retries_and_counted) {
  const std::vector<s3::OpResult> replies = {
      s3_error(500, "InternalError"), s3_error(503, "SlowDown"),     s3_error(503, ""),
      s3_error(502, ""),              s3_error(429, ""),             s3_error(400, "RequestTimeout"),
      s3_error(409, "OperationAborted"), s3_error(307, ""),          s3_error(400, "Throttling"),
      no_reply(http::Failure::Timeout, "PutObject: read timed out"),
      no_reply(http::Failure::Reset, "PutObject: connection reset by peer"),
      no_reply(http::Failure::Connect, "connect to 127.0.0.1:9: Connection refused"),
  };
  for (const auto& r : replies) {
    BOOST_TEST_CONTEXT(r.message) {
      BOOST_TEST_REQUIRE((r.error_class == s3::ErrorClass::Retryable));
      RunHarness h(3);
      for (int attempt = 0; attempt < 3; ++attempt) BOOST_TEST(decide(h, r, attempt) == "Retry");
      BOOST_TEST(h.report.retries() == 3u);
      check_run_goes_on(h);
    }
  }
}

BOOST_AUTO_TEST_CASE(retryable_replies_fail_the_file_after_the_last_retry) {
  for (const auto& r : {s3_error(500, "InternalError"), s3_error(503, "SlowDown"),
                        no_reply(http::Failure::Timeout, "PutObject: read timed out"),
                        no_reply(http::Failure::Reset, "PutObject: connection reset by peer"),
                        no_reply(http::Failure::Tls, "PutObject: TLS handshake failed"),
                        no_reply(http::Failure::Protocol, "PutObject: bad HTTP reply")}) {
    BOOST_TEST_CONTEXT(r.message) {
      RunHarness h(3);
      BOOST_TEST(decide(h, r, 3) == "Fail");  // the 4th attempt: 3 retries are spent
      BOOST_TEST(decide(h, r, 7) == "Fail");
      BOOST_TEST(h.report.retries() == 0u);    // giving up is not a retry
      check_run_goes_on(h);
      BOOST_TEST(h.report.finish().exit_code() == 0);  // the engine records the failed file
    }
  }
}

BOOST_AUTO_TEST_CASE(default_retries_are_five) {
  RunHarness h;
  BOOST_TEST(h.run->retry.max_retries == 5);
  const auto r = s3_error(500, "InternalError");
  for (int attempt = 0; attempt < 5; ++attempt) BOOST_TEST(decide(h, r, attempt) == "Retry");
  BOOST_TEST(decide(h, r, 5) == "Fail");
  BOOST_TEST(h.report.retries() == 5u);
}

BOOST_AUTO_TEST_CASE(no_retries_fails_at_the_first_failure) {
  RunHarness h(0);
  BOOST_TEST(h.run->retry.max_retries == 0);
  BOOST_TEST(decide(h, s3_error(503, "SlowDown"), 0) == "Fail");
  BOOST_TEST(h.report.retries() == 0u);
  check_run_goes_on(h);
}

BOOST_AUTO_TEST_CASE(unreachable_endpoint_is_retried_then_stops_the_run) {
  for (const auto failure : {http::Failure::Connect, http::Failure::Resolve}) {
    const auto r = no_reply(failure, "connect to 127.0.0.1:9: Connection refused");
    RunHarness h(2);
    BOOST_TEST(decide(h, r, 0) == "Retry");
    BOOST_TEST(decide(h, r, 1) == "Retry");
    BOOST_TEST(h.report.retries() == 2u);
    check_run_goes_on(h);
    BOOST_TEST(decide(h, r, 2) == "Stop");
    BOOST_TEST(h.report.retries() == 2u);
    check_run_stopped(h, "connect to 127.0.0.1:9: Connection refused (after 3 attempts)");
  }
}

BOOST_AUTO_TEST_CASE(unreachable_endpoint_without_retries_stops_at_once) {
  RunHarness h(0);
  const auto r = no_reply(http::Failure::Resolve, "resolve nowhere.invalid: Host not found");
  BOOST_TEST(decide(h, r, 0) == "Stop");
  BOOST_TEST(h.report.retries() == 0u);
  check_run_stopped(h, "resolve nowhere.invalid: Host not found (after 1 attempt)");  // singular
}

BOOST_AUTO_TEST_CASE(a_stopping_run_retries_nothing) {
  RunHarness h(5);
  h.run->stop();
  BOOST_TEST(h.stops == 1);
  BOOST_TEST(decide(h, s3_error(500, "InternalError"), 0) == "Fail");
  // An unreachable endpoint after the last attempt does not record a fatal error for a run that
  // is stopping already (interrupted): the file is simply not done.
  BOOST_TEST(decide(h, no_reply(http::Failure::Connect, "refused"), 5) == "Fail");
  BOOST_TEST(h.report.retries() == 0u);
  BOOST_TEST(!h.report.has_fatal());
  BOOST_TEST(h.stops == 1);
}

BOOST_AUTO_TEST_CASE(fail_file_codes_fail_the_file_and_go_on) {
  const std::vector<s3::OpResult> replies = {
      s3_error(400, "InvalidPart"),
      s3_error(400, "InvalidPartOrder"), s3_error(404, "NoSuchUpload"),
      s3_error(400, "EntityTooLarge"),   s3_error(400, "KeyTooLongError"),
      s3_error(412, "PreconditionFailed"), s3_error(400, "InvalidArgument"),
      s3_error(404, "NoSuchKey"),        s3_error(400, "MalformedXML"),
      s3_error(404, ""),                 s3_error(400, ""),
  };
  for (const auto& r : replies) {
    BOOST_TEST_CONTEXT(r.message) {
      BOOST_TEST_REQUIRE((r.error_class == s3::ErrorClass::FailFile));
      RunHarness h(5);
      BOOST_TEST(decide(h, r, 0) == "Fail");
      BOOST_TEST(decide(h, r, 4) == "Fail");
      BOOST_TEST(h.report.retries() == 0u);
      check_run_goes_on(h);
    }
  }
}

BOOST_AUTO_TEST_CASE(fatal_codes_stop_the_run_with_their_message) {
  const std::vector<s3::OpResult> replies = {
      s3_error(403, "SignatureDoesNotMatch", "PutObject: HTTP 403 SignatureDoesNotMatch: check your key"),
      s3_error(403, "InvalidAccessKeyId"),
      s3_error(403, "AccessDenied"),
      s3_error(404, "NoSuchBucket"),
      s3_error(403, "RequestTimeTooSkewed"),
      s3_error(400, "InvalidBucketName"),
      s3_error(403, "AllAccessDisabled"),
      s3_error(403, ""),  // HEAD: no body
      s3_error(401, ""),
      s3_error(301, ""),  // wrong region, and S3 did not say which
      s3_error(301, "PermanentRedirect"),
      no_reply(http::Failure::Certificate, "TLS: certificate verify failed for s3.example.com"),
  };
  for (const auto& r : replies) {
    BOOST_TEST_CONTEXT(r.message) {
      BOOST_TEST_REQUIRE((r.error_class == s3::ErrorClass::FatalForRun));
      RunHarness h(5);
      BOOST_TEST(decide(h, r, 0) == "Stop");  // whatever the attempt
      BOOST_TEST(h.report.retries() == 0u);
      check_run_stopped(h, r.message);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_first_fatal_error_is_the_one_reported) {
  RunHarness h(5);
  BOOST_TEST(decide(h, s3_error(404, "NoSuchBucket", "first"), 0) == "Stop");
  BOOST_TEST(decide(h, s3_error(403, "AccessDenied", "second"), 0) == "Stop");
  BOOST_TEST(h.stops == 1);  // on_stop once
  BOOST_TEST(*h.report.finish().fatal == "first");
}

BOOST_AUTO_TEST_CASE(region_redirect_switches_the_region_and_retries_at_once) {
  for (const char* code : {"PermanentRedirect", "AuthorizationHeaderMalformed",
                           "IllegalLocationConstraintException", ""}) {
    BOOST_TEST_CONTEXT(code) {
      RunHarness h(0);
      auto r = s3_error(std::string(code) == "AuthorizationHeaderMalformed" ? 400 : 301, code);
      r.region_hint = "eu-west-1";
      BOOST_TEST(h.protocol.region() == "us-east-1");
      // Followed even with no retries left: a redirect is not a retry.
      BOOST_TEST(decide(h, r, 0) == "RetryNow");
      BOOST_TEST(h.protocol.region() == "eu-west-1");
      BOOST_TEST(h.report.retries() == 0u);
      check_run_goes_on(h);
      // The next request is signed for the new region, still sent to the same endpoint.
      const auto call = s3::S3Call::head_object("k");
      const auto prepared = h.protocol.prepare(call);
      BOOST_TEST(prepared.signed_region == "eu-west-1");
      BOOST_TEST(prepared.target.host == "127.0.0.1");
      BOOST_TEST(prepared.target.port == 9);
    }
  }
}

BOOST_AUTO_TEST_CASE(redirect_to_the_region_already_signed_for_stops_the_run) {
  RunHarness h(5);
  auto r = s3_error(301, "PermanentRedirect", "PutObject: HTTP 301 PermanentRedirect");
  r.region_hint = "us-east-1";  // what the request was signed for: no way forward
  BOOST_TEST(decide(h, r, 0) == "Stop");
  BOOST_TEST(h.protocol.region() == "us-east-1");
  check_run_stopped(h, "PutObject: HTTP 301 PermanentRedirect");
}

BOOST_AUTO_TEST_CASE(request_signed_before_another_switched_the_region_is_resent) {
  RunHarness h(5);
  h.protocol.set_region("eu-west-1");  // a request that failed earlier switched it
  auto r = s3_error(301, "PermanentRedirect");
  r.region_hint = "eu-west-1";
  r.signed_region = "us-east-1";  // in flight while the switch happened
  BOOST_TEST(decide(h, r, 3) == "RetryNow");
  BOOST_TEST(h.protocol.region() == "eu-west-1");
  check_run_goes_on(h);
}

// An endpoint that keeps sending us elsewhere (here back and forth between two regions) cannot
// keep the run going round: three region switches are followed, the fourth stops the run.
BOOST_AUTO_TEST_CASE(region_redirects_stop_the_run_after_three_switches) {
  RunHarness h(5);
  for (int i = 0; i < kMaxRegionSwitches; ++i) {
    BOOST_TEST_CONTEXT("switch " << i + 1) {
      auto r = s3_error(301, "PermanentRedirect", "PutObject: HTTP 301 PermanentRedirect");
      r.signed_region = h.protocol.region();
      r.region_hint = r.signed_region == "us-east-1" ? "eu-west-1" : "us-east-1";
      BOOST_TEST(decide(h, r, 0) == "RetryNow");
      BOOST_TEST(h.protocol.region() == r.region_hint);
      check_run_goes_on(h);
    }
  }
  BOOST_TEST(h.protocol.region() == "eu-west-1");
  auto r = s3_error(301, "PermanentRedirect", "PutObject: HTTP 301 PermanentRedirect");
  r.signed_region = "eu-west-1";
  r.region_hint = "us-east-1";
  BOOST_TEST(decide(h, r, 0) == "Stop");
  BOOST_TEST(h.protocol.region() == "eu-west-1");  // not switched again
  BOOST_TEST(h.report.retries() == 0u);
  check_run_stopped(h, "PutObject: HTTP 301 PermanentRedirect (redirected to region us-east-1 "
                       "after 3 region switches already)");
}

BOOST_AUTO_TEST_CASE(region_switches_are_counted_for_the_whole_run) {
  RunHarness h(5);
  for (const char* region : {"eu-west-1", "ap-south-1", "sa-east-1"}) {
    auto r = s3_error(301, "PermanentRedirect");
    r.signed_region = h.protocol.region();
    r.region_hint = region;
    BOOST_TEST(decide(h, r, 0) == "RetryNow", region);  // each by another request
  }
  auto r = s3_error(301, "PermanentRedirect", "HeadObject: HTTP 301");
  r.signed_region = "sa-east-1";
  r.region_hint = "eu-central-1";
  BOOST_TEST(decide(h, r, 0) == "Stop");
  BOOST_TEST(h.protocol.region() == "sa-east-1");
  BOOST_TEST(h.run->stopping.load());
}

// Requests in flight when another one switched the region are sent again without counting: a
// run with many requests in flight follows one redirect, however many of them it sends back.
BOOST_AUTO_TEST_CASE(resending_for_the_current_region_is_not_a_switch) {
  RunHarness h(5);
  auto first = s3_error(301, "PermanentRedirect");
  first.region_hint = "eu-west-1";
  BOOST_TEST(decide(h, first, 0) == "RetryNow");
  for (int i = 0; i < 20; ++i) {
    auto r = s3_error(301, "PermanentRedirect");
    r.signed_region = "us-east-1";  // signed before the switch
    r.region_hint = "eu-west-1";
    BOOST_TEST(decide(h, r, 0) == "RetryNow");
  }
  BOOST_TEST(h.run->region_switches.load() == 1);
  BOOST_TEST(h.protocol.region() == "eu-west-1");
  check_run_goes_on(h);
}

BOOST_AUTO_TEST_CASE(region_hint_on_a_retryable_reply_is_an_ordinary_retry) {
  RunHarness h(5);
  auto r = s3_error(307, "TemporaryRedirect");
  r.region_hint = "eu-west-1";
  BOOST_TEST(decide(h, r, 0) == "Retry");
  BOOST_TEST(h.protocol.region() == "us-east-1");
  BOOST_TEST(h.report.retries() == 1u);
}

BOOST_AUTO_TEST_CASE(expired_credentials_from_a_refreshable_source_are_renewed) {
  for (const char* code : {"ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired",
                           "InvalidToken"}) {
    BOOST_TEST_CONTEXT(code) {
      RunHarness h(0, std::make_shared<FakeCredentials>(true));
      // Whatever the attempt: a renewal is not a retry.
      BOOST_TEST(decide(h, s3_error(400, code), 0) == "Renew");
      BOOST_TEST(decide(h, s3_error(403, code), 9) == "Renew");
      BOOST_TEST(h.report.retries() == 0u);
      check_run_goes_on(h);
    }
  }
}

BOOST_AUTO_TEST_CASE(renewed_credentials_resend_at_once_and_are_counted) {
  RunHarness h(5, std::make_shared<FakeCredentials>(true));
  const auto r = s3_error(400, "ExpiredToken");
  BOOST_TEST(decide(h, r, 0) == "Renew");
  BOOST_TEST(name(after_renewal(*h.run, r, true)) == std::string("RetryNow"));
  BOOST_TEST(name(after_renewal(*h.run, r, true)) == std::string("RetryNow"));
  BOOST_TEST(h.report.retries() == 0u);
  check_run_goes_on(h);
  const RunSummary s = h.report.finish();
  BOOST_TEST(s.credential_renewals == 2u);
  BOOST_TEST(s.exit_code() == 0);
}

BOOST_AUTO_TEST_CASE(credentials_that_cannot_be_renewed_stop_the_run_naming_the_provider) {
  auto source = std::make_shared<FakeCredentials>(true, "sso");
  source->last_error_ = "the SSO token expired; run `aws sso login`";
  RunHarness h(5, source);
  const auto r = s3_error(400, "ExpiredToken", "PutObject: HTTP 400 ExpiredToken: token expired");
  BOOST_TEST(name(after_renewal(*h.run, r, false)) == std::string("Stop"));
  check_run_stopped(h,
                    "PutObject: HTTP 400 ExpiredToken: token expired; the credentials from sso "
                    "could not be renewed: the SSO token expired; run `aws sso login`");
}

BOOST_AUTO_TEST_CASE(renewal_failure_without_a_reason) {
  RunHarness h(5, std::make_shared<FakeCredentials>(true, "imds"));
  const auto r = s3_error(400, "ExpiredToken", "m");
  BOOST_TEST(name(after_renewal(*h.run, r, false)) == std::string("Stop"));
  check_run_stopped(h, "m; the credentials from imds could not be renewed");
}

BOOST_AUTO_TEST_CASE(renewal_failure_without_a_source) {
  RunHarness h(5);
  const auto r = s3_error(400, "ExpiredToken", "m");
  BOOST_TEST(name(after_renewal(*h.run, r, false)) == std::string("Stop"));
  check_run_stopped(h, "m; the credentials from the provider could not be renewed");
}

BOOST_AUTO_TEST_CASE(expired_static_credentials_stop_the_run) {
  for (const auto& source : std::vector<std::shared_ptr<s3::CredentialsSource>>{
           std::make_shared<s3::StaticCredentials>(
               s3::Credentials{"ASIASTATIC", "secret", "token", {}}, "environment"),
           std::make_shared<FakeCredentials>(false), nullptr}) {
    BOOST_TEST_CONTEXT((source ? source->provider() : std::string("no source"))) {
      RunHarness h(5, source);
      const auto r = s3_error(400, "ExpiredToken", "PutObject: HTTP 400 ExpiredToken");
      BOOST_TEST(decide(h, r, 0) == "Stop");
      check_run_stopped(h, "PutObject: HTTP 400 ExpiredToken");
    }
  }
}

// Every code that asks for renewed credentials (is_credentials_expiry) means, when they cannot be
// renewed, that every further request of the run is refused as well: the run must stop (exit 2)
// as it does for ExpiredToken and InvalidToken (typed errors classify them all as fatal).
BOOST_AUTO_TEST_CASE(every_expiry_code_stops_the_run_when_credentials_cannot_be_renewed) {
  for (const char* code : {"TokenRefreshRequired", "ExpiredTokenException"}) {
    BOOST_TEST_CONTEXT(code) {
      RunHarness h(5, std::make_shared<s3::StaticCredentials>(
                          s3::Credentials{"ASIASTATIC", "secret", "token", {}}, "environment"));
      BOOST_TEST(decide(h, s3_error(400, code), 0) == "Stop");
      BOOST_TEST(h.report.has_fatal());
    }
  }
}

BOOST_AUTO_TEST_CASE(expired_credentials_while_stopping_are_not_renewed) {
  RunHarness h(5, std::make_shared<FakeCredentials>(true));
  h.run->stop();
  const Next next = after_failure(*h.run, s3_error(400, "ExpiredToken"), 0);
  BOOST_TEST(!retrying(next));
  BOOST_TEST((next != Next::Renew));
}

BOOST_AUTO_TEST_CASE(throttle_is_503_or_slow_down) {
  BOOST_TEST(is_throttle(s3_error(503, "SlowDown")));
  BOOST_TEST(is_throttle(s3_error(503, "")));
  BOOST_TEST(is_throttle(s3_error(503, "ServiceUnavailable")));
  BOOST_TEST(is_throttle(s3_error(200, "SlowDown")));  // inside a 200 Complete reply
  BOOST_TEST(!is_throttle(s3_error(500, "InternalError")));
  BOOST_TEST(!is_throttle(s3_error(400, "RequestTimeout")));
  BOOST_TEST(!is_throttle(s3_error(403, "AccessDenied")));
  BOOST_TEST(!is_throttle(no_reply(http::Failure::Timeout, "timed out")));
  s3::OpResult ok;
  ok.ok = true;
  ok.status = 200;
  BOOST_TEST(!is_throttle(ok));
}

BOOST_AUTO_TEST_CASE(backoff_delays_are_uniform_up_to_the_capped_ceiling) {
  const RetryPolicy policy;  // 100 ms base, 20 s cap
  BOOST_TEST(policy.base.count() == 100);
  BOOST_TEST(policy.cap.count() == 20'000);
  BOOST_TEST(policy.max_retries == 5);
  // retry -> min(cap, base * 2^(retry-1))
  const std::vector<std::pair<int, std::int64_t>> ceilings = {
      {1, 100}, {2, 200}, {3, 400}, {5, 1600}, {8, 12'800}, {9, 20'000}, {10, 20'000},
      {40, 20'000}, {1000, 20'000}};
  constexpr int kSamples = 20'000;
  for (const auto& [retry, ceiling] : ceilings) {
    BOOST_TEST_CONTEXT("retry " << retry) {
      std::int64_t lo = ceiling, hi = 0;
      double sum = 0;
      bool in_range = true;
      for (int i = 0; i < kSamples; ++i) {
        const std::int64_t d = policy.delay(retry).count();
        in_range = in_range && d >= 0 && d <= ceiling;
        lo = std::min(lo, d);
        hi = std::max(hi, d);
        sum += static_cast<double>(d);
      }
      BOOST_TEST(in_range);
      // Full jitter: both ends are reached and the mean is half the ceiling.
      BOOST_TEST(lo <= ceiling / 50);
      BOOST_TEST(hi >= ceiling - ceiling / 50);
      const double mean = sum / kSamples;
      BOOST_TEST(mean >= 0.45 * static_cast<double>(ceiling));
      BOOST_TEST(mean <= 0.55 * static_cast<double>(ceiling));
    }
  }
}

BOOST_AUTO_TEST_CASE(backoff_delays_are_spread_over_the_range) {
  const RetryPolicy policy;
  // 10 buckets over [0, 1600] ms for retry 5: each gets about a tenth of the samples.
  constexpr int kSamples = 50'000;
  std::vector<int> buckets(10, 0);
  for (int i = 0; i < kSamples; ++i) {
    const auto d = policy.delay(5).count();
    buckets[static_cast<std::size_t>(std::min<std::int64_t>(d * 10 / 1601, 9))]++;
  }
  for (int count : buckets) {
    BOOST_TEST(count > kSamples / 10 * 8 / 10);
    BOOST_TEST(count < kSamples / 10 * 12 / 10);
  }
}

BOOST_AUTO_TEST_CASE(backoff_with_other_settings) {
  RetryPolicy policy;
  policy.base = std::chrono::milliseconds(0);
  for (int retry = 0; retry < 40; ++retry) BOOST_TEST(policy.delay(retry).count() == 0);
  policy.base = std::chrono::milliseconds(1000);
  policy.cap = std::chrono::milliseconds(300);  // the cap wins from the first retry
  std::int64_t hi = 0;
  for (int i = 0; i < 5000; ++i) {
    const auto d = policy.delay(1).count();
    BOOST_TEST_REQUIRE(d >= 0);
    BOOST_TEST_REQUIRE(d <= 300);
    hi = std::max(hi, d);
  }
  BOOST_TEST(hi >= 290);
  // Retry 0 (before any retry) and negative numbers are treated as the first retry.
  policy.base = std::chrono::milliseconds(10);
  policy.cap = std::chrono::milliseconds(20'000);
  for (int i = 0; i < 2000; ++i) {
    BOOST_TEST_REQUIRE(policy.delay(0).count() <= 10);
    BOOST_TEST_REQUIRE(policy.delay(-3).count() <= 10);
  }
}

BOOST_AUTO_TEST_CASE(run_control_takes_the_retries_from_the_options) {
  RunHarness h(9);
  BOOST_TEST(h.run->retry.max_retries == 9);
  BOOST_TEST(h.run->retry.base.count() == 100);
  BOOST_TEST(h.run->retry.cap.count() == 20'000);
}

BOOST_AUTO_TEST_SUITE_END()
