// auth::plan_refresh, refresh_retry_delay and RefreshingCredentials with an injected clock and a
// scripted provider: when renewals happen, what signers see meanwhile, failures, lapses, and
// renew() after S3 refuses expired credentials.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "auth/refresh_timing.hpp"
#include "auth/refreshing_credentials.hpp"

using namespace s3up;
using namespace std::chrono;
using auth::RefreshingCredentials;

namespace {

const system_clock::time_point kT0 = system_clock::from_time_t(1'800'000'000);

// Issues credentials "K1", "K2"... living `lifetime` from the fake clock's now; fails while
// `failing` is set.
struct ScriptedProvider final : auth::Provider {
  explicit ScriptedProvider(system_clock::time_point* now, seconds lifetime)
      : now(now), lifetime(lifetime) {}
  s3::Credentials fetch() override {
    std::lock_guard lock(mutex);
    ++calls;
    if (failing) throw auth::ProviderError("endpoint says no");
    s3::Credentials c;
    c.access_key_id = "K" + std::to_string(++issued);
    c.secret_access_key = "secret" + std::to_string(issued);
    c.session_token = "token" + std::to_string(issued);
    if (lifetime.count() > 0) c.expiration = *now + lifetime;
    return c;
  }
  std::string name() const override { return "scripted"; }
  std::string describe() const override { return "a scripted provider"; }

  std::mutex mutex;
  system_clock::time_point* now;
  seconds lifetime;
  bool failing = false;
  int issued = 0;
  int calls = 0;
};

struct Fixture {
  system_clock::time_point now = kT0;
  std::shared_ptr<ScriptedProvider> provider;
  std::vector<std::string> fatal;
  std::vector<std::string> log;

  std::unique_ptr<RefreshingCredentials> make(seconds lifetime) {
    provider = std::make_shared<ScriptedProvider>(&now, lifetime);
    RefreshingCredentials::Options o;
    o.clock = [this] { return now; };
    o.background = false;
    o.on_fatal = [this](const std::string& m) { fatal.push_back(m); };
    o.log = [this](const std::string& m) { log.push_back(m); };
    return std::make_unique<RefreshingCredentials>(provider, std::move(o));
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(credential_refresh)

BOOST_AUTO_TEST_CASE(margin_scales_with_lifetime) {
  // An hour: 15 minutes early (a quarter would be 15 min too).
  auto t = auth::plan_refresh(kT0, kT0 + hours(1));
  BOOST_TEST(duration_cast<minutes>(t.expires - t.refresh_at).count() == 15);
  // Twelve hours: capped at 15 minutes.
  t = auth::plan_refresh(kT0, kT0 + hours(12));
  BOOST_TEST(duration_cast<minutes>(t.expires - t.refresh_at).count() == 15);
  // Fifteen minutes (STS's shortest): a quarter, 225 s.
  t = auth::plan_refresh(kT0, kT0 + minutes(15));
  BOOST_TEST(duration_cast<seconds>(t.expires - t.refresh_at).count() == 225);
  // Twenty seconds: 5 s early.
  t = auth::plan_refresh(kT0, kT0 + seconds(20));
  BOOST_TEST(duration_cast<milliseconds>(t.expires - t.refresh_at).count() == 5000);
  // Two seconds: at least 1 s early.
  t = auth::plan_refresh(kT0, kT0 + seconds(2));
  BOOST_TEST(duration_cast<milliseconds>(t.expires - t.refresh_at).count() == 1000);
  // Already expired, or about to: renew at once, never before the fetch.
  t = auth::plan_refresh(kT0, kT0 + milliseconds(300));
  BOOST_TEST((t.refresh_at == kT0));
  t = auth::plan_refresh(kT0, kT0 - seconds(5));
  BOOST_TEST((t.refresh_at == kT0));
}

BOOST_AUTO_TEST_CASE(retry_delay_backs_off_within_the_time_left) {
  const auto far = kT0 + hours(1);
  BOOST_TEST(auth::refresh_retry_delay(1, kT0, far).count() == 1000);
  BOOST_TEST(auth::refresh_retry_delay(2, kT0, far).count() == 2000);
  BOOST_TEST(auth::refresh_retry_delay(3, kT0, far).count() == 4000);
  BOOST_TEST(auth::refresh_retry_delay(6, kT0, far).count() == 30000);  // 32 s capped at 30
  BOOST_TEST(auth::refresh_retry_delay(40, kT0, far).count() == 30000);
  // Four seconds left: at most a quarter of them, so several attempts fit.
  BOOST_TEST(auth::refresh_retry_delay(3, kT0, kT0 + seconds(4)).count() == 1000);
  // Nothing left: the floor.
  BOOST_TEST(auth::refresh_retry_delay(1, kT0, kT0).count() == 100);
}

BOOST_AUTO_TEST_CASE(long_term_credentials_never_refresh) {
  Fixture f;
  auto creds = f.make(seconds(0));
  BOOST_TEST(!creds->refreshable());
  BOOST_TEST(!creds->poll().has_value());
  f.now += hours(100);
  BOOST_TEST(!creds->poll().has_value());
  BOOST_TEST(f.provider->calls == 1);
  BOOST_TEST(creds->current().credentials->access_key_id == "K1");
  BOOST_TEST(!creds->renew(0));  // nothing can renew them
  BOOST_TEST(f.fatal.empty());
}

BOOST_AUTO_TEST_CASE(renews_before_expiry_and_keeps_the_old_until_then) {
  Fixture f;
  auto creds = f.make(seconds(20));
  BOOST_TEST(creds->refreshable());
  const auto first = creds->current();
  BOOST_TEST(first.credentials->access_key_id == "K1");
  BOOST_TEST(first.generation == 0u);
  // Not due yet: the refresher sleeps until 15 s.
  f.now = kT0 + seconds(10);
  auto next = creds->poll();
  BOOST_TEST_REQUIRE(next.has_value());
  BOOST_TEST((*next == kT0 + seconds(15)));
  BOOST_TEST(f.provider->calls == 1);
  // Due: renewed, with a new generation; the old credentials stay valid for holders.
  f.now = kT0 + seconds(15);
  next = creds->poll();
  const auto second = creds->current();
  BOOST_TEST(second.credentials->access_key_id == "K2");
  BOOST_TEST(second.generation == 1u);
  BOOST_TEST(first.credentials->access_key_id == "K1");  // what a request in flight holds
  BOOST_TEST_REQUIRE(next.has_value());
  BOOST_TEST((*next == kT0 + seconds(30)));  // fetched at 15 s, 20 s life, 5 s margin
  BOOST_TEST(creds->refreshes() == 1u);
  // Several lifetimes: never a signer's credentials past their expiration.
  for (int i = 0; i < 50; ++i) {
    f.now += milliseconds(700);
    creds->poll();
    const auto c = creds->current();
    BOOST_TEST((f.now < *c.credentials->expiration));
  }
  BOOST_TEST(f.fatal.empty());
  BOOST_TEST(creds->refreshes() >= 3u);
}

BOOST_AUTO_TEST_CASE(failed_refresh_is_retried_while_valid) {
  Fixture f;
  auto creds = f.make(seconds(60));  // margin 15 s: due at 45 s
  f.provider->failing = true;
  f.now = kT0 + seconds(45);
  auto next = creds->poll();
  BOOST_TEST(creds->failed_refreshes() == 1u);
  BOOST_TEST(creds->current().credentials->access_key_id == "K1");  // still valid, kept
  BOOST_TEST_REQUIRE(next.has_value());
  BOOST_TEST((*next == f.now + seconds(1)));
  f.now = *next;
  next = creds->poll();
  BOOST_TEST((*next == f.now + seconds(2)));  // backing off
  BOOST_TEST(creds->last_error() == "endpoint says no");
  // The endpoint recovers: renewed, and the failures are forgotten.
  f.provider->failing = false;
  f.now = *next;
  creds->poll();
  BOOST_TEST(creds->current().credentials->access_key_id == "K2");
  BOOST_TEST(creds->last_error().empty());
  BOOST_TEST(f.fatal.empty());
  BOOST_TEST(std::any_of(f.log.begin(), f.log.end(), [](const std::string& l) {
    return l.find("refreshing from scripted failed: endpoint says no") != std::string::npos;
  }));
}

BOOST_AUTO_TEST_CASE(lapse_after_expiry_is_fatal_once_and_names_the_provider) {
  Fixture f;
  auto creds = f.make(seconds(8));
  std::vector<std::string> handled;
  creds->set_lapse_handler([&handled](const std::string& m) { handled.push_back(m); });
  f.provider->failing = true;
  // Poll until past the expiration: each failure schedules the next attempt.
  for (int i = 0; i < 100 && f.fatal.empty(); ++i) {
    auto next = creds->poll();
    if (!next) break;
    f.now = std::max(f.now + milliseconds(100), *next);
  }
  BOOST_TEST_REQUIRE(f.fatal.size() == 1u);
  BOOST_TEST(handled.size() == 1u);
  BOOST_TEST(f.fatal[0].find("a scripted provider") != std::string::npos);
  BOOST_TEST(f.fatal[0].find("(scripted)") != std::string::npos);
  BOOST_TEST(f.fatal[0].find("endpoint says no") != std::string::npos);
  BOOST_TEST(f.fatal[0].find("secret1") == std::string::npos);
  BOOST_TEST(f.fatal[0].find("token1") == std::string::npos);
  // Lapsed: nothing more is tried, renew() says no at once.
  const int calls = f.provider->calls;
  BOOST_TEST(!creds->poll().has_value());
  BOOST_TEST(!creds->renew(0));
  BOOST_TEST(f.provider->calls == calls);
  BOOST_TEST(f.fatal.size() == 1u);
}

BOOST_AUTO_TEST_CASE(renew_after_rejection_replaces_only_once) {
  Fixture f;
  auto creds = f.make(seconds(3600));
  // S3 refused generation 0 (revoked early): renew now, long before the planned time.
  BOOST_TEST(creds->renew(0));
  BOOST_TEST(creds->current().credentials->access_key_id == "K2");
  BOOST_TEST(creds->current().generation == 1u);
  // A second request that was signed with generation 0 finds newer credentials already.
  const int calls = f.provider->calls;
  BOOST_TEST(creds->renew(0));
  BOOST_TEST(f.provider->calls == calls);
  // When the provider cannot renew, renew() gives up after a few attempts without a lapse
  // (the credentials have not expired by the clock).
  f.provider->failing = true;
  BOOST_TEST(!creds->renew(1));
  BOOST_TEST(creds->failed_refreshes() == 3u);
  BOOST_TEST(f.fatal.empty());
}

BOOST_AUTO_TEST_CASE(background_refresher_renews_on_the_real_clock) {
  system_clock::time_point unused = kT0;
  // A provider living 1.2 s on the real clock: the refresher renews it every ~0.2 s.
  struct RealClockProvider final : auth::Provider {
    s3::Credentials fetch() override {
      s3::Credentials c{"R" + std::to_string(++n), "s", "t", std::nullopt};
      c.expiration = system_clock::now() + milliseconds(1200);
      return c;
    }
    std::string name() const override { return "real"; }
    std::string describe() const override { return "real clock"; }
    std::atomic<int> n{0};
  };
  (void)unused;
  auto provider = std::make_shared<RealClockProvider>();
  RefreshingCredentials creds(provider, {});
  const auto deadline = steady_clock::now() + seconds(10);
  while (creds.refreshes() < 3 && steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(20));
  BOOST_TEST(creds.refreshes() >= 3u);
  const auto c = creds.current();
  BOOST_TEST((system_clock::now() < *c.credentials->expiration));
  // A forced renewal wakes the refresher at once.
  const auto g = c.generation;
  const auto started = steady_clock::now();
  BOOST_TEST(creds.renew(g));
  BOOST_TEST(duration_cast<milliseconds>(steady_clock::now() - started).count() < 1000);
  creds.stop();
}

BOOST_AUTO_TEST_SUITE_END()
