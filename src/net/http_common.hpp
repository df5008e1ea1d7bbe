// What the coroutine client (http_client.cpp) and the blocking one (blocking_http_client.cpp)
// share: TLS set-up, the classification of transport errors, failure messages and limits. Both
// report the same failures in the same words, whichever engine runs.
#pragma once
#include "net/http_client.hpp"
#include "net/response_reader.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace s3up::http::detail {

// A request is written at most this many bytes at a time, so that the idle timeout measures
// progress rather than the whole body. The limit counts the header too: room is left for it so
// that a 256 KiB body goes out with its header in one write (at 256 KiB exactly, every such
// request needed a second write of a few hundred bytes, and the server a second wake-up).
inline constexpr std::size_t kWriteChunk = 256 * 1024 + 16 * 1024;

// When a wait for the socket gives up: `idle` from now, and never past the request's
// `deadline` when there is one. Every wait of both clients is bounded so.
inline std::chrono::steady_clock::time_point wait_until(
    std::chrono::steady_clock::duration idle,
    std::optional<std::chrono::steady_clock::time_point> deadline) {
  const auto until = std::chrono::steady_clock::now() + idle;
  return deadline && *deadline < until ? *deadline : until;
}

// Over TLS the coroutine client writes bodies from this size on straight to the socket
// (tls_direct_write.hpp): four records or more, where the header's own record and send() are
// lost in the rest. Smaller bodies go out with their header in one record.
inline constexpr std::size_t kDirectTlsBodyFrom = 64 * 1024;

// TLS 1.2 or later, trusting the CA bundle or else the system store. Throws std::runtime_error
// naming the file when the CA bundle cannot be loaded.
void configure_tls_context(boost::asio::ssl::context& context, const TlsSettings& tls);

bool is_ip_literal(const std::string& host);

// A connection the server closed or broke (worth one transparent retry on a reused connection).
bool is_reset(const boost::system::error_code& ec);

// Whether an exchange that failed with `ec` is sent again at once on a fresh connection (not a
// failure, no backoff; both clients' send()): a pooled (`reused`) connection the server closed
// while it sat idle, or a body abandoned as a straggler (straggler_watch.hpp).
bool send_again_at_once(const boost::system::error_code& ec, bool reused, bool straggler);

// Makes closing the socket `fd` reset the connection, discarding what is still queued to send:
// for a straggler's abandoned connection, whose queued bytes the store would throw away and
// which, sent, would take the congested path from the copy sent again (a plain close sends them
// all before its FIN).
void discard_unsent_on_close(int fd);

// The Failure of an exchange that ended with ec.
Failure classify(const boost::system::error_code& ec);

// At most this many interim (1xx) replies are skipped before the real one: a server that keeps
// sending them is broken.
inline constexpr int kMaxInterimReplies = 8;

// Whether a reply is an interim one (100 Continue, 102, 103): not the answer to the request,
// which follows it. Skipped by both clients, asked for or not.
inline bool is_interim(unsigned status) { return status >= 100 && status < 200; }

// Whether an idle pooled connection can carry a new request: nothing has arrived on it since
// its last reply was read (no close, no reset, no bytes a server sent unasked, which a new
// request would otherwise take for its reply). `ssl` is the connection's TLS object or nullptr.
// A TLS connection that never carried an exchange (`used` false: opened ahead of the requests)
// is taken as it is: the server's session tickets wait on it (TLS 1.3 sends them after the
// handshake) and the exchange reads them before its reply; should the server have closed it
// instead, the caller sends the request again at once on a fresh one, as for any pooled
// connection.
bool idle_connection_is_clean(int fd, SSL* ssl, bool used);

// Makes OpenSSL's own verification check that the certificate is for `host` (a DNS name, or an
// IP literal matched against the certificate's IP addresses), so that a mismatch fails the
// handshake with its own verify result (X509_V_ERR_HOSTNAME_MISMATCH...), which
// handshake_failure names.
void expect_peer_name(SSL* ssl, const std::string& host);

// Sets SNI (for names, not IP literals) and peer verification on a client TLS stream before
// its handshake. Works for any Asio/Beast SSL stream.
template <class SslStream>
void prepare_tls(SslStream& stream, const Target& target, const TlsSettings& tls) {
  namespace ssl = boost::asio::ssl;
  if (!is_ip_literal(target.host))
    SSL_set_tlsext_host_name(stream.native_handle(), target.host.c_str());
  if (tls.verify_peer) {
    stream.set_verify_mode(ssl::verify_peer);
    expect_peer_name(stream.native_handle(), target.host);
  } else {
    stream.set_verify_mode(ssl::verify_none);
  }
}

// Outcomes of failures before a request could be sent; `where` is Target::to_string().
Outcome resolve_failure(const boost::system::error_code& ec, const Target& target);
Outcome connect_failure(const boost::system::error_code& ec, const std::string& where);
// A failed handshake: a certificate problem (read from `ssl`) or another TLS failure.
Outcome handshake_failure(SSL* ssl, const boost::system::error_code& ec, const std::string& where);
// A failed exchange (write or read) on an open connection.
Outcome exchange_failure(const boost::system::error_code& ec, const std::string& where);

// Fills in Content-Length and, when missing, Host: what send() does before the first attempt.
void prepare_request(Request& request, const Target& target);

}  // namespace s3up::http::detail
