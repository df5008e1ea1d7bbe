#include "auth/refreshing_credentials.hpp"

#include "auth/refresh_timing.hpp"
#include "auth/time_format.hpp"

namespace s3up::auth {
namespace {

// Renewals asked for by renew() give up after this many failed fetches in a row.
constexpr int kForcedAttempts = 3;

std::string expiry_text(const s3::Credentials& c) {
  return c.expiration ? "expire " + format_iso8601(*c.expiration) : "do not expire";
}

}  // namespace

RefreshingCredentials::RefreshingCredentials(ProviderPtr provider, Options options)
    : provider_(std::move(provider)), options_(std::move(options)) {
  s3::Credentials first = options_.initial ? std::move(*options_.initial) : provider_->fetch();
  options_.initial.reset();
  if (first.expiration) refresh_at_ = plan_refresh(now(), *first.expiration).refresh_at;
  if (options_.log)
    options_.log("credentials: " + provider_->name() + " (" + provider_->describe() + "), " +
                 expiry_text(first));
  credentials_ = std::make_shared<const s3::Credentials>(std::move(first));
  if (options_.background && refresh_at_) thread_ = std::thread([this] { run(); });
}

RefreshingCredentials::~RefreshingCredentials() { stop(); }

void RefreshingCredentials::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  renewed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::chrono::system_clock::time_point RefreshingCredentials::now() const {
  return options_.clock ? options_.clock() : std::chrono::system_clock::now();
}

s3::CredentialsSource::Current RefreshingCredentials::current() const {
  std::lock_guard lock(mutex_);
  return {credentials_, generation_};
}

bool RefreshingCredentials::refreshable() const {
  std::lock_guard lock(mutex_);
  return refresh_at_.has_value() || credentials_->expiration.has_value();
}

std::string RefreshingCredentials::provider() const { return provider_->name(); }

std::string RefreshingCredentials::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

std::uint64_t RefreshingCredentials::refreshes() const {
  std::lock_guard lock(mutex_);
  return refreshes_;
}

std::uint64_t RefreshingCredentials::failed_refreshes() const {
  std::lock_guard lock(mutex_);
  return failed_refreshes_;
}

void RefreshingCredentials::set_lapse_handler(std::function<void(const std::string&)> handler) {
  std::lock_guard lock(handler_mutex_);
  lapse_handler_ = std::move(handler);
}

bool RefreshingCredentials::renew(std::uint64_t generation) {
  std::unique_lock lock(mutex_);
  if (generation_ > generation) return true;
  if (lapsed_ || stopping_ || !credentials_->expiration) return false;
  force_requested_ = true;
  const std::uint64_t failures_before = failed_refreshes_;
  wake_.notify_all();
  if (!options_.background || !thread_.joinable()) {
    // No refresher thread (tests, or credentials that never needed one): renew here.
    for (int i = 0; i < kForcedAttempts && generation_ <= generation && !lapsed_; ++i) {
      force_requested_ = true;
      lock.unlock();
      poll();
      lock.lock();
    }
    return generation_ > generation;
  }
  renewed_.wait(lock, [&] {
    return generation_ > generation || lapsed_ || stopping_ ||
           failed_refreshes_ - failures_before >= static_cast<std::uint64_t>(kForcedAttempts);
  });
  return generation_ > generation;
}

std::optional<std::chrono::system_clock::time_point> RefreshingCredentials::poll() {
  std::unique_lock lock(mutex_);
  const auto t = now();
  if (lapsed_ || (!force_requested_ && (!refresh_at_ || t < *refresh_at_))) return refresh_at_;
  force_requested_ = false;
  const std::shared_ptr<const s3::Credentials> old = credentials_;
  const auto expires = old->expiration;
  const std::uint64_t generation = generation_;
  lock.unlock();

  std::optional<s3::Credentials> fresh;
  std::string error;
  try {
    fresh = provider_->fetch();
    // The same credentials again (an endpoint that has not rotated them yet) renew nothing.
    if (fresh->access_key_id == old->access_key_id && fresh->expiration == old->expiration &&
        fresh->session_token == old->session_token) {
      error = "the provider returned the same credentials, expiring at " +
              (expires ? format_iso8601(*expires) : std::string("no set time"));
      fresh.reset();
    }
  } catch (const std::exception& e) {
    error = e.what();
  }

  std::string lapse_message;
  lock.lock();
  const auto after = now();
  if (fresh && generation == generation_) {
    if (fresh->expiration)
      refresh_at_ = plan_refresh(after, *fresh->expiration).refresh_at;
    else
      refresh_at_.reset();
    const std::string line = "credentials refreshed: " + provider_->name() + ", " +
                             expiry_text(*fresh);
    credentials_ = std::make_shared<const s3::Credentials>(std::move(*fresh));
    ++generation_;
    ++refreshes_;
    failures_ = 0;
    last_error_.clear();
    renewed_.notify_all();
    lock.unlock();
    if (options_.log) options_.log(line);
    lock.lock();
    return refresh_at_;
  }
  if (!fresh) {
    ++failures_;
    ++failed_refreshes_;
    last_error_ = error;
    if (expires && after >= *expires) {
      lapsed_ = true;
      refresh_at_.reset();
      lapse_message = "the credentials from " + provider_->describe() + " (" +
                      provider_->name() + ") expired at " + format_iso8601(*expires) +
                      " and could not be renewed: " + error;
    } else {
      const SysTime until = expires ? *expires : after + std::chrono::hours(1);
      refresh_at_ = after + refresh_retry_delay(failures_, after, until);
    }
    renewed_.notify_all();
  }
  const auto next = refresh_at_;
  lock.unlock();
  if (options_.log && !error.empty())
    options_.log("credentials: refreshing from " + provider_->name() + " failed: " + error);
  if (!lapse_message.empty()) {
    if (options_.on_fatal) options_.on_fatal(lapse_message);
    // Called under the handler's lock, so that set_lapse_handler(nullptr) (the run ending)
    // waits for a call under way rather than racing it.
    std::lock_guard handler_lock(handler_mutex_);
    if (lapse_handler_) lapse_handler_(lapse_message);
  }
  return next;
}

void RefreshingCredentials::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    const auto next = poll();
    lock.lock();
    const auto pending = [&] { return stopping_ || force_requested_; };
    if (next) {
      wake_.wait_until(lock, *next, pending);
    } else {
      wake_.wait(lock, pending);
    }
  }
}

}  // namespace s3up::auth
