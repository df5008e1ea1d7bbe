// How both HTTP clients (coroutine and blocking) manage connections to an endpoint, as AWS's own
// clients do against S3's many front ends:
//  - AddressBook: the endpoint's addresses, resolved again while in use (every kReresolve), new
//    connections spread over them in turn, an address that refuses connections set aside for a
//    while (kSetAside);
//  - TlsSessions: the last TLS session of each endpoint, offered again by new connections so
//    that they resume (an abbreviated handshake, no certificate chain sent or verified again);
//  - kIdleMax: a pooled connection idle for longer is closed rather than reused, since S3 and
//    many proxies close idle connections after a few seconds and a request sent into a
//    connection being closed is lost;
//  - OpenPacer: new connections are opened at a bounded rate (a token bucket: kOpenBurst at
//    once, then kOpenRate per second), so that `--concurrency 4096` does not start 4,096 TLS
//    handshakes in the same millisecond;
//  - IdleConnections: a target's pooled connections, the most recently used taken first, those
//    idle past kIdleMax closed;
//  - AheadOpenings: the connections being opened ahead of the requests and the requests that
//    claimed them rather than opening their own.
// No I/O here: the clients resolve and connect, these classes decide. Thread-safe, except the
// last two, which the clients keep under their pool's mutex.
#pragma once
#include <boost/asio/ip/tcp.hpp>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace s3up::http::detail {

using Clock = std::chrono::steady_clock;

inline constexpr std::chrono::seconds kReresolve{30};
inline constexpr std::chrono::seconds kSetAside{30};
inline constexpr std::chrono::seconds kIdleMax{4};
// Idle connections kept per target at most (one given back beyond them is closed).
inline constexpr std::size_t kMaxIdlePerTarget = 1024;
// Connections opened at once before the pacing starts: enough for the default 64 in flight and
// the first doublings of --concurrency auto (64 -> 128 -> 256) without any wait.
inline constexpr int kOpenBurst = 256;
// Connections opened per second after the burst (one per millisecond).
inline constexpr int kOpenRate = 1000;

// The connections a client has open at once (idle or carrying a request), and the most it had:
// the report's connections.peak_open. Thread-safe.
class OpenGauge {
 public:
  void opened() {
    const std::int64_t n = now_.fetch_add(1, std::memory_order_relaxed) + 1;
    std::int64_t seen = peak_.load(std::memory_order_relaxed);
    while (n > seen && !peak_.compare_exchange_weak(seen, n, std::memory_order_relaxed)) {
    }
  }
  void closed() { now_.fetch_sub(1, std::memory_order_relaxed); }
  std::int64_t now() const { return now_.load(std::memory_order_relaxed); }
  std::int64_t peak() const { return peak_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> now_{0}, peak_{0};
};

// A token bucket shared by every connection a client opens.
class OpenPacer {
 public:
  explicit OpenPacer(int burst = kOpenBurst, int per_second = kOpenRate);
  // Takes a token for one new connection at `now` and returns how long the caller waits before
  // opening it (zero while the burst lasts). Tokens are taken in order: the n-th caller past
  // the burst waits n / rate.
  Clock::duration reserve(Clock::time_point now);
  // Takes a token only when one is there at `now` (a connection opened ahead of the requests
  // never waits, nor makes the requests' own connections wait longer).
  bool try_reserve(Clock::time_point now);
  // Connections that had to wait for their token.
  std::uint64_t paced() const;

 private:
  void refill(Clock::time_point now);  // with mutex_ held

  mutable std::mutex mutex_;
  const double burst_, per_second_;
  double tokens_;
  std::optional<Clock::time_point> last_;
  std::uint64_t paced_ = 0;
};

class AddressBook {
 public:
  using Endpoint = boost::asio::ip::tcp::endpoint;

  // Whether `key`'s addresses are to be resolved (never were, or longer than kReresolve ago).
  bool stale(const std::string& key, Clock::time_point now) const;
  // Stores a resolution (the order the resolver gave).
  void update(const std::string& key, std::vector<Endpoint> endpoints, Clock::time_point now);
  // Marks `key` as just checked when a re-resolution failed: the old addresses stay in use.
  void keep(const std::string& key, Clock::time_point now);

  // The addresses to try for a new connection, in order: the next in turn first, then the
  // others; those set aside last (when all are set aside they are still tried). Empty when
  // nothing was resolved.
  std::vector<Endpoint> order(const std::string& key, Clock::time_point now);
  // `endpoint` refused a connection (or timed out connecting): tried last for kSetAside.
  void set_aside(const std::string& key, const Endpoint& endpoint, Clock::time_point now);

 private:
  struct Entry {
    std::vector<Endpoint> endpoints;
    Clock::time_point resolved;
    std::size_t next = 0;
    std::map<Endpoint, Clock::time_point> aside;  // until when
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

class TlsSessions {
 public:
  TlsSessions() = default;
  TlsSessions(const TlsSessions&) = delete;
  TlsSessions& operator=(const TlsSessions&) = delete;

  // Before a handshake: offers `key`'s last session, if any, as a copy of its own: OpenSSL
  // changes a session while a connection uses it (a TLS 1.3 ticket read after the handshake),
  // so one SSL_SESSION shared by connections on several threads invites data races
  // (ThreadSanitizer saw an idle connection freed on one thread while another, reading its
  // reply, copied a stack the two shared; curl keeps its sessions serialized for this reason).
  void offer(SSL* ssl, const std::string& key);
  // After a handshake: counts it (full or resumed).
  void handshake_done(SSL* ssl);
  // After an exchange on the connection (TLS 1.3 sends its tickets after the handshake, so they
  // are read with the first response): keeps its session for the next connections, once for
  // each session the connection holds. `kept` is the connection's own record of the last of its
  // sessions kept (null at first; compared by address, never used). Before stop 54 every
  // exchange serialized its connection's session over the one another connection had kept: 5%
  // of s3up's CPU on 10,000 small files over HTTPS.
  void remember(SSL* ssl, const std::string& key, const SSL_SESSION*& kept);

  std::uint64_t handshakes() const;
  std::uint64_t resumed() const;

 private:
  mutable std::mutex mutex_;
  // Each key's session, serialized (i2d_SSL_SESSION): no reference to a connection's session is
  // held, so that no session is freed on another thread than the one that used it last.
  std::unordered_map<std::string, std::vector<unsigned char>> sessions_;
  std::uint64_t handshakes_ = 0, resumed_ = 0;
};

// A target's idle keep-alive connections, the most recently used last. `Ptr` is a
// std::unique_ptr to a connection with an `idle_since` time point. Not thread-safe.
template <class Ptr>
class IdleConnections {
 public:
  // Keeps `conn`, idle from `now` (closed instead when kMaxIdlePerTarget are kept).
  void keep(Ptr conn, Clock::time_point now) {
    conn->idle_since = now;
    if (list_.size() < kMaxIdlePerTarget) list_.push_back(std::move(conn));
  }

  // The most recently used (nullptr: none), after moving those idle for kIdleMax or longer
  // (the server may be closing them now) to `expired`, for the caller to close outside its lock.
  Ptr take(Clock::time_point now, std::vector<Ptr>& expired) {
    const auto fresh = std::find_if(list_.begin(), list_.end(), [&](const Ptr& c) {
      return now - c->idle_since < kIdleMax;
    });
    std::move(list_.begin(), fresh, std::back_inserter(expired));
    list_.erase(list_.begin(), fresh);
    return take_fresh(now);
  }

  // The most recently used if idle for less than kIdleMax, else nullptr; the others are left.
  Ptr take_fresh(Clock::time_point now) {
    if (list_.empty() || now - list_.back()->idle_since >= kIdleMax) return nullptr;
    Ptr conn = std::move(list_.back());
    list_.pop_back();
    return conn;
  }

  std::size_t size() const { return list_.size(); }
  void clear() { list_.clear(); }

 private:
  std::vector<Ptr> list_;
};

// The connections being opened ahead of the requests to a target, and the requests that found
// none idle and claimed the next of them rather than opening their own (a doubling of
// --concurrency auto that comes before the connections opened for it are ready would otherwise
// open as many again). Claims are handed out oldest first, never more than there are openings.
// `Claim` is the client's hand-over: how a request waits for its connection. Not thread-safe.
template <class Claim>
class AheadOpenings {
 public:
  void started() { ++opening_; }

  // A claim on the next opening not yet claimed; nullptr when every opening is claimed.
  std::shared_ptr<Claim> claim() {
    if (opening_ <= claims_.size()) return nullptr;
    claims_.push_back(std::make_shared<Claim>());
    return claims_.back();
  }

  // An opening ended: the oldest claim, to hand its connection (or its failure) to; nullptr
  // when none waits (the connection is pooled).
  std::shared_ptr<Claim> ended() {
    --opening_;
    if (claims_.empty()) return nullptr;
    std::shared_ptr<Claim> oldest = std::move(claims_.front());
    claims_.pop_front();
    return oldest;
  }

  std::size_t opening() const { return opening_; }

 private:
  std::size_t opening_ = 0;
  std::deque<std::shared_ptr<Claim>> claims_;
};

}  // namespace s3up::http::detail
