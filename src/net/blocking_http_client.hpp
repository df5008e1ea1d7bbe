// A blocking keep-alive HTTP/1.1 client over plain TCP or TLS, for the threaded engine: send()
// blocks the calling thread until the whole response is read or a timeout fires. Same requests,
// responses, Outcomes, failure messages and timeouts as the coroutine Client.
//
// How timeouts work here. Beast's tcp_stream deadlines (expires_after) apply to asynchronous
// operations only, and SO_RCVTIMEO/SO_SNDTIMEO do not survive Asio's synchronous calls (on EAGAIN
// Asio waits again in poll() with no time limit). So the sockets are put in non-blocking mode
// and every read, write and connect waits in poll(2) for the time left, on the calling thread:
//  - connect and the TLS handshake share Timeouts::connect;
//  - each wait for progress (a read or write that cannot go on) gets Timeouts::idle, so a large
//    body is limited by progress, not by its total duration;
//  - every wait is also capped by the deadline of the whole exchange, Timeouts::request, when
//    it is set.
// Name resolution is a plain getaddrinfo (no timeout of its own); results are cached per target.
#pragma once
#include "net/http_client.hpp"

#include <cstdint>
#include <memory>

namespace s3up::http {

// What the blocking clients of one run share: the TLS context, the timeouts, the resolved
// addresses, the idle connections. Thread-safe.
class BlockingTransport {
 public:
  // Throws std::runtime_error when the CA bundle cannot be loaded.
  BlockingTransport(TlsSettings tls, Timeouts timeouts);
  ~BlockingTransport();
  BlockingTransport(const BlockingTransport&) = delete;
  BlockingTransport& operator=(const BlockingTransport&) = delete;

  std::uint64_t connections_opened() const;
  // The most connections open at once over all clients (idle or carrying a request).
  std::uint64_t connections_peak_open() const;
  // Connections opened by BlockingClient::open_ahead.
  std::uint64_t connections_opened_ahead() const;
  // Requests that found no idle connection and waited for one being opened ahead.
  std::uint64_t connections_awaited() const;
  // Request bytes written to connections so far (see Client::bytes_written). Thread-safe.
  std::uint64_t bytes_written() const;
  // Request bodies sent again as stragglers (see Client::stragglers_resent).
  std::uint64_t stragglers_resent() const;
  // New connections that waited for the open rate's bound (connection_policy.hpp).
  std::uint64_t connections_paced() const;
  // TLS handshakes done, and how many of them resumed an earlier session.
  std::uint64_t tls_handshakes() const;
  std::uint64_t tls_resumed() const;
  const Timeouts& timeouts() const;
  // Connections open over all clients (idle or carrying a request) or being opened ahead.
  std::size_t connections_open_or_opening() const;

  struct Impl;  // defined in blocking_http_client.cpp

 private:
  friend class BlockingClient;
  std::shared_ptr<Impl> impl_;
};

// One thread's way to send over the transport's connections: a send() takes an idle keep-alive
// connection to its target from the pool the transport's clients share (or opens one) and gives
// it back after the reply. Not thread-safe: one BlockingClient per thread. The transport must
// outlive it.
class BlockingClient {
 public:
  explicit BlockingClient(BlockingTransport& transport);
  ~BlockingClient();
  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;

  // Sends the request over an idle connection to target, or a new one, and reads the whole
  // response. A reused connection that the server closed while idle is replaced once,
  // transparently, and so is one carrying a straggler (see Client::send). Never throws for
  // network problems: they come back in Outcome.
  Outcome send(const Target& target, Request& request);

  // Opens a connection to `target` for the next send() of any client: handed to the oldest
  // request waiting for one being opened ahead, else pooled (see Client::open_ahead: a worker
  // started ahead of --concurrency auto's limit readies a connection before it is needed). Only
  // when the open rate's bound leaves room at once; false when none was opened (a failure is
  // left for the requests to meet).
  bool open_ahead(const Target& target);

  struct Connection;  // defined in blocking_http_client.cpp

 private:
  std::shared_ptr<BlockingTransport::Impl> transport_;
};

}  // namespace s3up::http
