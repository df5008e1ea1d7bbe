// A keep-alive HTTP/1.1 client over plain TCP or TLS, with a connection pool per target.
// It knows nothing of S3: it sends a prepared request and returns the whole response.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/error_code.hpp>

#include "net/payload_body.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace s3up::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

// Where to connect. host is a DNS name or an IP literal (IPv6 without brackets).
struct Target {
  std::string host;
  std::uint16_t port = 0;
  bool tls = false;

  std::string to_string() const;  // "https://host:port"
};

struct TlsSettings {
  std::optional<std::string> ca_bundle;  // PEM file of trusted CAs; system store when empty
  bool verify_peer = true;               // false only with --no-verify-ssl
};

struct Timeouts {
  std::chrono::milliseconds connect{10'000};  // TCP connect plus TLS handshake
  std::chrono::milliseconds idle{30'000};     // no progress on a read or a write for this long
  std::chrono::milliseconds request{0};       // whole exchange, 0 = unlimited
};

// The request body is a view of caller-owned memory, or a range of a caller-owned open file,
// that must stay alive until send() completes.
using Request = bhttp::request<PayloadBody>;
using Response = bhttp::response<bhttp::string_body>;

// What went wrong below HTTP. None means a response (of any status) was received.
enum class Failure { None, Resolve, Connect, Tls, Certificate, Timeout, Reset, Protocol };
const char* to_string(Failure f);

struct Outcome {
  Failure failure = Failure::None;
  boost::system::error_code ec;
  std::string detail;  // one line: what failed, where, and why
  Response response;   // valid when failure == None

  bool ok() const { return failure == Failure::None; }
};

class Client {
 public:
  // Throws std::runtime_error when the CA bundle cannot be loaded.
  Client(asio::any_io_executor executor, TlsSettings tls, Timeouts timeouts);
  // One pool of connections per lane: `lanes` are executors of distinct io_contexts, each run
  // by one thread. send() uses the pool of the lane its coroutine runs on (a coroutine on any
  // other executor uses the first lane's pool, whose io_context must then be running); when that
  // pool has no idle connection it borrows one from another lane's and runs the exchange on that
  // lane's thread, so a connection's I/O never crosses threads and no connection is opened
  // while another sits idle.
  Client(std::vector<asio::any_io_executor> lanes, TlsSettings tls, Timeouts timeouts);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends the request over an idle pooled connection to target, or a new one, and reads the
  // whole response. A reused connection that the server closed while idle is replaced once,
  // transparently, and so is one carrying a body found a straggler at the end of a run (sent
  // again whole on a new connection: straggler_watch.hpp). Never throws for network problems:
  // they come back in Outcome. Thread-safe.
  // The connection belongs to the caller's lane (see the constructor).
  asio::awaitable<Outcome> send(Target target, Request& request);

  // Opens connections to `target` in the background, spread over the lanes, until `total`
  // connections are open or being opened (idle or carrying requests), and pools them: on a WAN a
  // new connection takes two round trips (TCP, TLS) before it can carry a request, so a run
  // about to send more requests at once (--concurrency auto doubling) opens them a step ahead.
  // Thread-safe; returns at once. A failure is left for the requests to meet. A request that
  // finds no idle connection while some are being opened ahead, not yet claimed by another,
  // waits for the next of them to be ready instead of opening its own (one whose opening fails
  // opens its own), so that the connections stay those asked for.
  void open_ahead(const Target& target, std::size_t total);
  // Connections open (idle or carrying a request) or being opened ahead: what open_ahead counts.
  std::size_t connections_open_or_opening() const;

  // Drops every idle connection and cancels those being opened ahead (at the end of a run: no
  // open_ahead from then on).
  void close_idle();

  std::uint64_t connections_opened() const;
  // The most connections open at once (idle or carrying a request).
  std::uint64_t connections_peak_open() const;
  // Request bytes (headers and bodies) written to connections so far, counted as each piece of
  // a body goes out: a measure of the send rate while requests take seconds (--concurrency auto
  // with multipart parts). Retried requests count again. Thread-safe.
  std::uint64_t bytes_written() const;
  // Request bodies found left behind at the end of a run and sent again on a new connection
  // (straggler_watch.hpp).
  std::uint64_t stragglers_resent() const;
  // Connections opened by open_ahead.
  std::uint64_t connections_opened_ahead() const;
  // Requests that found no idle connection and waited for one being opened ahead rather than
  // opening their own (see open_ahead).
  std::uint64_t connections_awaited() const;
  // Idle connections one lane lent to a request of another (see send()).
  std::uint64_t connections_borrowed() const;
  // New connections that waited for the open rate's bound (connection_policy.hpp).
  std::uint64_t connections_paced() const;
  // TLS handshakes done, and how many of them resumed an earlier session.
  std::uint64_t tls_handshakes() const;
  std::uint64_t tls_resumed() const;
  const Timeouts& timeouts() const;

  struct Impl;  // implementation detail, defined in http_client.cpp

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace s3up::http
