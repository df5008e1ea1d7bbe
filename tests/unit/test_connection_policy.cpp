// The connection policy both HTTP clients follow (net/connection_policy.hpp): addresses spread
// and set aside, re-resolution when stale, TLS sessions kept per endpoint, the open rate, the
// gauge of connections open at once, the idle pool of a target, the claims on connections opened
// ahead.
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include <openssl/ssl.h>

#include <memory>
#include <thread>
#include <vector>

#include "net/connection_policy.hpp"

using namespace s3up::http::detail;
using boost::asio::ip::make_address;
using Endpoint = AddressBook::Endpoint;

namespace {
Endpoint ep(const char* ip) { return {make_address(ip), 443}; }

struct FakeConnection {
  int id = 0;
  Clock::time_point idle_since;
};
using FakePtr = std::unique_ptr<FakeConnection>;
FakePtr fake(int id) { return std::make_unique<FakeConnection>(FakeConnection{id, {}}); }
}  // namespace

BOOST_AUTO_TEST_SUITE(connection_policy)

BOOST_AUTO_TEST_CASE(new_connections_are_spread_over_the_addresses) {
  AddressBook book;
  const auto t0 = Clock::now();
  BOOST_TEST(book.stale("k", t0));
  BOOST_TEST(book.order("k", t0).empty());
  book.update("k", {ep("10.0.0.1"), ep("10.0.0.2"), ep("10.0.0.3")}, t0);
  BOOST_TEST(!book.stale("k", t0));
  // Each new connection starts at the next address; the others follow as fallbacks.
  BOOST_TEST((book.order("k", t0) == std::vector{ep("10.0.0.1"), ep("10.0.0.2"), ep("10.0.0.3")}));
  BOOST_TEST((book.order("k", t0) == std::vector{ep("10.0.0.2"), ep("10.0.0.3"), ep("10.0.0.1")}));
  BOOST_TEST((book.order("k", t0).front() == ep("10.0.0.3")));
  BOOST_TEST((book.order("k", t0).front() == ep("10.0.0.1")));
}

BOOST_AUTO_TEST_CASE(an_address_that_refuses_is_set_aside_for_a_while) {
  AddressBook book;
  const auto t0 = Clock::now();
  book.update("k", {ep("10.0.0.1"), ep("10.0.0.2")}, t0);
  book.set_aside("k", ep("10.0.0.1"), t0);
  for (int i = 0; i < 4; ++i) {
    const auto order = book.order("k", t0 + std::chrono::seconds(1));
    BOOST_TEST((order == std::vector{ep("10.0.0.2"), ep("10.0.0.1")}));  // still tried, last
  }
  // Back in turn once the time is up.
  const auto later = t0 + kSetAside + std::chrono::seconds(1);
  const auto a = book.order("k", later).front();
  const auto b = book.order("k", later).front();
  BOOST_TEST(a != b);
}

BOOST_AUTO_TEST_CASE(addresses_are_resolved_again_while_in_use) {
  AddressBook book;
  const auto t0 = Clock::now();
  book.update("k", {ep("10.0.0.1")}, t0);
  BOOST_TEST(!book.stale("k", t0 + kReresolve - std::chrono::seconds(1)));
  BOOST_TEST(book.stale("k", t0 + kReresolve));
  // A new answer replaces the old one (and what was set aside among the old addresses).
  book.set_aside("k", ep("10.0.0.1"), t0);
  book.update("k", {ep("10.0.0.5"), ep("10.0.0.6")}, t0 + kReresolve);
  const auto order = book.order("k", t0 + kReresolve);
  BOOST_TEST(order.size() == 2u);
  BOOST_TEST((order.front() == ep("10.0.0.5")));
  // A failed re-resolution keeps the old addresses, checked again only after kReresolve.
  book.keep("k", t0 + 2 * kReresolve);
  BOOST_TEST(!book.stale("k", t0 + 2 * kReresolve));
  BOOST_TEST(book.order("k", t0 + 2 * kReresolve).size() == 2u);
}

BOOST_AUTO_TEST_CASE(tls_sessions_without_a_handshake_offer_nothing) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  TlsSessions sessions;
  sessions.offer(ssl, "k");  // nothing kept: nothing offered
  BOOST_TEST(SSL_get_session(ssl) == nullptr);
  const SSL_SESSION* kept = nullptr;
  sessions.remember(ssl, "k", kept);  // no session yet: nothing kept
  BOOST_TEST(kept == nullptr);
  sessions.handshake_done(ssl);
  BOOST_TEST(sessions.handshakes() == 1u);
  BOOST_TEST(sessions.resumed() == 0u);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
}

namespace {

// A resumable session (as a handshake leaves it) with the identity `id`.
SSL_SESSION* resumable_session(SSL* ssl, unsigned char id) {
  SSL_SESSION* made = SSL_SESSION_new();
  const unsigned char ids[] = {id, 2, 3, 4, 5, 6, 7, 8};
  const unsigned char secret[48] = {9};
  BOOST_REQUIRE(SSL_SESSION_set1_id(made, ids, sizeof ids) == 1);
  BOOST_REQUIRE(SSL_SESSION_set1_master_key(made, secret, sizeof secret) == 1);
  BOOST_REQUIRE(SSL_SESSION_set_protocol_version(made, TLS1_2_VERSION) == 1);
  const unsigned char aes128_gcm[] = {0xc0, 0x2f};  // ECDHE-RSA-AES128-GCM-SHA256
  BOOST_REQUIRE(SSL_SESSION_set_cipher(made, SSL_CIPHER_find(ssl, aes128_gcm)) == 1);
  BOOST_REQUIRE(SSL_SESSION_is_resumable(made) == 1);
  return made;
}

// The first byte of the identity of the session a new connection is offered (0: none).
unsigned char offered_id(TlsSessions& sessions, SSL_CTX* ctx) {
  SSL* next = SSL_new(ctx);
  sessions.offer(next, "k");
  unsigned char first = 0;
  if (const SSL_SESSION* offered = SSL_get_session(next)) {
    unsigned int length = 0;
    first = SSL_SESSION_get_id(offered, &length)[0];
  }
  SSL_free(next);
  return first;
}

}  // namespace

BOOST_AUTO_TEST_CASE(tls_sessions_are_offered_as_copies_of_their_own) {
  // A resumable session on one connection ...
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* first = SSL_new(ctx);
  SSL_SESSION* made = resumable_session(first, 1);
  SSL_set_session(first, made);
  TlsSessions sessions;
  const SSL_SESSION* kept = nullptr;
  sessions.remember(first, "k", kept);
  BOOST_TEST(kept == SSL_get_session(first));
  // ... is offered to the next as a session of its own with the same identity: OpenSSL changes
  // a session while its connection uses it, so connections on other threads must not share it.
  SSL* second = SSL_new(ctx);
  sessions.offer(second, "k");
  SSL_SESSION* offered = SSL_get_session(second);
  BOOST_REQUIRE(offered != nullptr);
  BOOST_TEST(offered != made);
  unsigned int length = 0;
  const unsigned char* id = SSL_SESSION_get_id(offered, &length);
  BOOST_TEST(length == 8u);
  BOOST_TEST(id[0] == 1);
  SSL* third = SSL_new(ctx);
  sessions.offer(third, "k");
  BOOST_TEST(SSL_get_session(third) != offered);  // each its own
  BOOST_TEST(SSL_get_session(third) != nullptr);
  SSL_free(third);
  SSL_free(second);
  SSL_free(first);
  SSL_SESSION_free(made);
  SSL_CTX_free(ctx);
}

// Each connection's session is kept once, after the exchange that brought it, not again after
// each of its exchanges over what other connections kept since; a new session on a connection
// (a new ticket) is kept again.
BOOST_AUTO_TEST_CASE(a_connections_session_is_kept_once) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* a = SSL_new(ctx);
  SSL* b = SSL_new(ctx);
  SSL_SESSION* one = resumable_session(a, 1);
  SSL_SESSION* two = resumable_session(b, 2);
  SSL_set_session(a, one);
  SSL_set_session(b, two);
  TlsSessions sessions;
  const SSL_SESSION* kept_a = nullptr;
  const SSL_SESSION* kept_b = nullptr;
  sessions.remember(a, "k", kept_a);
  BOOST_TEST(offered_id(sessions, ctx) == 1);
  sessions.remember(b, "k", kept_b);
  BOOST_TEST(offered_id(sessions, ctx) == 2);
  sessions.remember(a, "k", kept_a);  // a's next exchange, the same session: nothing to keep
  BOOST_TEST(offered_id(sessions, ctx) == 2);
  SSL_SESSION* three = resumable_session(a, 3);  // a new session on a
  SSL_set_session(a, three);
  sessions.remember(a, "k", kept_a);
  BOOST_TEST(offered_id(sessions, ctx) == 3);
  BOOST_TEST(kept_a == three);
  SSL_free(a);
  SSL_free(b);
  SSL_SESSION_free(one);
  SSL_SESSION_free(two);
  SSL_SESSION_free(three);
  SSL_CTX_free(ctx);
}

BOOST_AUTO_TEST_CASE(new_connections_are_opened_at_a_bounded_rate) {
  using std::chrono::milliseconds;
  OpenPacer pacer(3, 10);  // 3 at once, then 10 per second
  const auto t0 = Clock::time_point{} + std::chrono::hours(1);
  for (int i = 0; i < 3; ++i) BOOST_TEST(pacer.reserve(t0).count() == 0);
  BOOST_TEST(pacer.paced() == 0u);
  // Past the burst each waits one more tenth of a second than the one before it.
  const auto w4 = std::chrono::duration_cast<milliseconds>(pacer.reserve(t0)).count();
  const auto w5 = std::chrono::duration_cast<milliseconds>(pacer.reserve(t0)).count();
  BOOST_TEST(w4 == 100);
  BOOST_TEST(w5 == 200);
  BOOST_TEST(pacer.paced() == 2u);
  // 50 ms later the next is due 250 ms after its own reservation, not sooner: the debt stays.
  const auto w6 =
      std::chrono::duration_cast<milliseconds>(pacer.reserve(t0 + milliseconds(50))).count();
  BOOST_TEST(w6 == 250);
  // A second without openings refills the bucket, but never beyond the burst.
  const auto t1 = t0 + std::chrono::seconds(5);
  for (int i = 0; i < 3; ++i) BOOST_TEST(pacer.reserve(t1).count() == 0);
  BOOST_TEST(pacer.reserve(t1).count() > 0);
  // The defaults: the burst covers --concurrency 256 opened at once.
  OpenPacer defaults;
  for (int i = 0; i < kOpenBurst; ++i) BOOST_TEST_REQUIRE(defaults.reserve(t0).count() == 0);
  BOOST_TEST(std::chrono::duration_cast<std::chrono::microseconds>(defaults.reserve(t0)).count() ==
             1000);
}

BOOST_AUTO_TEST_CASE(connections_opened_ahead_take_only_free_tokens) {
  // try_reserve (a connection opened ahead of the requests) never waits nor adds to the wait of
  // the requests' own connections: it takes a token only when one is there.
  OpenPacer pacer(2, 10);
  const auto t0 = Clock::time_point{} + std::chrono::hours(1);
  BOOST_TEST(pacer.try_reserve(t0));
  BOOST_TEST(pacer.try_reserve(t0));
  BOOST_TEST(!pacer.try_reserve(t0));  // the burst is spent
  BOOST_TEST(pacer.paced() == 0u);
  // A request's connection still waits a tenth of a second (one token's refill), no more.
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(pacer.reserve(t0)).count() ==
             100);
  BOOST_TEST(!pacer.try_reserve(t0 + std::chrono::milliseconds(150)));  // the debt comes first
  BOOST_TEST(pacer.try_reserve(t0 + std::chrono::milliseconds(200)));
}

BOOST_AUTO_TEST_CASE(the_open_gauge_keeps_the_most_open_at_once) {
  OpenGauge gauge;
  BOOST_TEST(gauge.now() == 0);
  BOOST_TEST(gauge.peak() == 0);
  gauge.opened();
  gauge.opened();
  gauge.opened();
  gauge.closed();
  gauge.opened();  // three open again: no new peak
  BOOST_TEST(gauge.now() == 3);
  BOOST_TEST(gauge.peak() == 3);
  gauge.closed();
  gauge.closed();
  gauge.closed();
  BOOST_TEST(gauge.now() == 0);
  BOOST_TEST(gauge.peak() == 3);
  // From several threads at once: the peak is what was open at once, never more.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) {
        gauge.opened();
        gauge.closed();
      }
    });
  for (auto& thread : threads) thread.join();
  BOOST_TEST(gauge.now() == 0);
  BOOST_TEST(gauge.peak() >= 3);
  BOOST_TEST(gauge.peak() <= 4);
}

BOOST_AUTO_TEST_CASE(the_most_recently_used_idle_connection_is_taken_and_stale_ones_closed) {
  const auto t0 = Clock::now();
  const auto s = [&](int seconds) { return t0 + std::chrono::seconds(seconds); };
  IdleConnections<FakePtr> idle;
  std::vector<FakePtr> expired;
  BOOST_TEST(!idle.take(t0, expired));
  idle.keep(fake(1), s(0));
  idle.keep(fake(2), s(1));
  idle.keep(fake(3), s(2));
  BOOST_TEST(idle.take(s(2), expired)->id == 3);  // the most recent first
  BOOST_TEST(expired.empty());
  idle.keep(fake(4), s(3));
  // At 4 s, connection 1 has been idle kIdleMax: closed (handed to the caller), never reused.
  BOOST_TEST(idle.take(s(4), expired)->id == 4);
  BOOST_TEST(expired.size() == 1u);
  BOOST_TEST(expired.front()->id == 1);
  BOOST_TEST(idle.size() == 1u);
  // take_fresh leaves a stale one where it is (another lane's, closed when that lane takes).
  BOOST_TEST(!idle.take_fresh(s(5)));
  BOOST_TEST(idle.size() == 1u);
  BOOST_TEST(idle.take_fresh(s(4))->id == 2);
  BOOST_TEST(idle.size() == 0u);
}

BOOST_AUTO_TEST_CASE(idle_connections_beyond_the_limit_are_closed) {
  const auto t0 = Clock::now();
  IdleConnections<FakePtr> idle;
  for (std::size_t i = 0; i < kMaxIdlePerTarget + 5; ++i)
    idle.keep(fake(static_cast<int>(i)), t0);
  BOOST_TEST(idle.size() == kMaxIdlePerTarget);
  std::vector<FakePtr> expired;
  BOOST_TEST(idle.take(t0, expired)->id == static_cast<int>(kMaxIdlePerTarget) - 1);
  idle.clear();
  BOOST_TEST(idle.size() == 0u);
}

BOOST_AUTO_TEST_CASE(claims_on_connections_opened_ahead_are_handed_oldest_first) {
  struct Claim {
    int handed_to = 0;
  };
  AheadOpenings<Claim> ahead;
  BOOST_TEST(!ahead.claim());  // nothing being opened: the request opens its own
  ahead.started();
  BOOST_TEST(!ahead.ended());  // ended unclaimed: its connection is pooled
  ahead.started();
  ahead.started();
  auto first = ahead.claim();
  auto second = ahead.claim();
  BOOST_TEST(static_cast<bool>(first));
  BOOST_TEST(static_cast<bool>(second));
  BOOST_TEST(!ahead.claim());  // never more claims than openings
  BOOST_TEST(ahead.opening() == 2u);
  ahead.started();
  BOOST_TEST(ahead.ended() == first);
  BOOST_TEST(ahead.ended() == second);
  BOOST_TEST(ahead.opening() == 1u);
  BOOST_TEST(!ahead.ended());  // the third was not claimed
  BOOST_TEST(ahead.opening() == 0u);
  BOOST_TEST(!ahead.claim());
}

BOOST_AUTO_TEST_SUITE_END()
