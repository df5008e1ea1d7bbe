#include "net/connection_policy.hpp"

#include <algorithm>

namespace s3up::http::detail {

bool AddressBook::stale(const std::string& key, Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  return it == entries_.end() || it->second.endpoints.empty() ||
         now - it->second.resolved >= kReresolve;
}

void AddressBook::update(const std::string& key, std::vector<Endpoint> endpoints,
                         Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Entry& e = entries_[key];
  e.endpoints = std::move(endpoints);
  e.resolved = now;
  if (e.next >= e.endpoints.size()) e.next = 0;
  std::erase_if(e.aside, [&](const auto& kv) {
    return std::find(e.endpoints.begin(), e.endpoints.end(), kv.first) == e.endpoints.end();
  });
}

void AddressBook::keep(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(key); it != entries_.end()) it->second.resolved = now;
}

std::vector<AddressBook::Endpoint> AddressBook::order(const std::string& key,
                                                      Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  if (it == entries_.end() || it->second.endpoints.empty()) return {};
  Entry& e = it->second;
  const std::size_t n = e.endpoints.size();
  const std::size_t first = e.next % n;
  e.next = (first + 1) % n;  // the next connection starts at the next address
  std::vector<Endpoint> good, aside;
  for (std::size_t i = 0; i < n; ++i) {
    const Endpoint& ep = e.endpoints[(first + i) % n];
    const auto a = e.aside.find(ep);
    if (a != e.aside.end() && a->second > now)
      aside.push_back(ep);
    else
      good.push_back(ep);
  }
  good.insert(good.end(), aside.begin(), aside.end());
  return good;
}

void AddressBook::set_aside(const std::string& key, const Endpoint& endpoint,
                            Clock::time_point now) {
  std::lock_guard lock(mutex_);
  entries_[key].aside[endpoint] = now + kSetAside;
}

OpenPacer::OpenPacer(int burst, int per_second)
    : burst_(burst), per_second_(per_second), tokens_(burst) {}

void OpenPacer::refill(Clock::time_point now) {
  if (last_ && now > *last_)
    tokens_ = std::min(burst_, tokens_ + std::chrono::duration<double>(now - *last_).count() *
                                             per_second_);
  if (!last_ || now > *last_) last_ = now;
}

Clock::duration OpenPacer::reserve(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  refill(now);
  tokens_ -= 1;  // may go below zero: the debt is the wait
  if (tokens_ >= 0) return Clock::duration::zero();
  ++paced_;
  const std::chrono::duration<double> wait(-tokens_ / per_second_);
  return std::chrono::duration_cast<Clock::duration>(wait);
}

bool OpenPacer::try_reserve(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  refill(now);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

std::uint64_t OpenPacer::paced() const {
  std::lock_guard lock(mutex_);
  return paced_;
}

void TlsSessions::offer(SSL* ssl, const std::string& key) {
  SSL_SESSION* copy = nullptr;
  {
    std::lock_guard lock(mutex_);
    const auto it = sessions_.find(key);
    if (it == sessions_.end()) return;
    const unsigned char* p = it->second.data();
    copy = d2i_SSL_SESSION(nullptr, &p, static_cast<long>(it->second.size()));
  }
  if (!copy) return;
  SSL_set_session(ssl, copy);  // takes its own reference
  SSL_SESSION_free(copy);
}

void TlsSessions::handshake_done(SSL* ssl) {
  std::lock_guard lock(mutex_);
  ++handshakes_;
  if (SSL_session_reused(ssl)) ++resumed_;
}

void TlsSessions::remember(SSL* ssl, const std::string& key, const SSL_SESSION*& kept) {
  // (remember runs after every exchange: a session kept already is passed over at once.)
  if (const SSL_SESSION* current = SSL_get_session(ssl); current == nullptr || current == kept)
    return;
  SSL_SESSION* session = SSL_get1_session(ssl);
  if (!session) return;
  if (!SSL_SESSION_is_resumable(session)) {
    SSL_SESSION_free(session);  // looked at again after the next exchange
    return;
  }
  // Serialized on this connection's thread, while no other uses its session.
  const int size = i2d_SSL_SESSION(session, nullptr);
  std::vector<unsigned char> der(size > 0 ? static_cast<std::size_t>(size) : 0);
  unsigned char* out = der.data();
  const bool encoded = size > 0 && i2d_SSL_SESSION(session, &out) == size;
  if (encoded) {
    std::lock_guard lock(mutex_);
    sessions_[key] = std::move(der);
    kept = session;
  }
  SSL_SESSION_free(session);
}

std::uint64_t TlsSessions::handshakes() const {
  std::lock_guard lock(mutex_);
  return handshakes_;
}

std::uint64_t TlsSessions::resumed() const {
  std::lock_guard lock(mutex_);
  return resumed_;
}

}  // namespace s3up::http::detail
