// The run's CredentialsSource for a provider: fetches once at start, then a background thread
// renews temporary credentials before they expire (see refresh_timing.hpp) without stopping the
// run. Requests in flight keep what they were signed with; every new request and every retry
// signs with current(). A refresh that fails while the current credentials are still valid is
// retried with backoff; when they have expired and cannot be renewed, on_fatal is called once
// with a message naming the provider and the reason.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "auth/provider.hpp"
#include "s3/credentials.hpp"

namespace s3up::auth {

class RefreshingCredentials final : public s3::CredentialsSource {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  using Log = std::function<void(const std::string&)>;

  struct Options {
    Clock clock;                                         // system_clock::now when empty
    std::function<void(const std::string&)> on_fatal;    // credentials lapsed for good
    Log log;                                             // verbose lines (never a secret)
    std::optional<s3::Credentials> initial;  // already fetched (the chain probed the provider)
    bool background = true;  // false: no thread; tests call poll() with an injected clock
  };

  // Fetches the first credentials now; throws ProviderError when that fails.
  RefreshingCredentials(ProviderPtr provider, Options options);
  ~RefreshingCredentials() override;
  RefreshingCredentials(const RefreshingCredentials&) = delete;
  RefreshingCredentials& operator=(const RefreshingCredentials&) = delete;

  Current current() const override;
  bool renew(std::uint64_t generation) override;
  bool refreshable() const override;
  std::string provider() const override;
  std::string last_error() const override;
  void set_lapse_handler(std::function<void(const std::string&)> handler) override;
  const Provider& source() const { return *provider_; }

  // One step of the refresher at the clock's time: renews when due (or when forced by renew()),
  // schedules the next attempt, reports a lapse. Returns when it should run next (nullopt:
  // never, the credentials do not expire). The background thread calls it; tests call it.
  std::optional<std::chrono::system_clock::time_point> poll();

  // Counters for tests and the verbose log.
  std::uint64_t refreshes() const;         // successful fetches after the first
  std::uint64_t failed_refreshes() const;

  void stop();  // ends the background thread (the destructor does too)

 private:
  void run();
  std::chrono::system_clock::time_point now() const;

  ProviderPtr provider_;
  Options options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;      // the refresher: forced renewal, stop
  std::condition_variable renewed_;   // renew() waiters
  std::shared_ptr<const s3::Credentials> credentials_;
  std::uint64_t generation_ = 0;
  std::optional<std::chrono::system_clock::time_point> refresh_at_;
  bool force_requested_ = false;           // a renew() asks for new credentials now
  int failures_ = 0;                       // consecutive failed refreshes
  std::uint64_t refreshes_ = 0, failed_refreshes_ = 0;
  std::string last_error_;
  bool lapsed_ = false;   // expired and not renewable: on_fatal was called
  bool stopping_ = false;
  std::mutex handler_mutex_;
  std::function<void(const std::string&)> lapse_handler_;
  std::thread thread_;
};

}  // namespace s3up::auth
