#include "net/blocking_http_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "net/connection_policy.hpp"
#include "net/http_common.hpp"
#include "net/straggler_watch.hpp"

namespace s3up::http {

namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

// A TCP socket in non-blocking mode whose synchronous reads and writes wait in poll(2), on the
// calling thread, for at most the idle timeout each and never past the deadline: a
// SyncReadStream / SyncWriteStream with timeouts, which asio::ssl::stream and Beast's
// synchronous HTTP algorithms can sit on. A timeout ends the operation with
// beast::error::timeout, as the coroutine client's tcp_stream does.
class TimedSocket {
 public:
  using executor_type = tcp::socket::executor_type;
  using lowest_layer_type = tcp::socket::lowest_layer_type;

  explicit TimedSocket(asio::io_context& ioc) : socket_(ioc) {}

  executor_type get_executor() { return socket_.get_executor(); }
  lowest_layer_type& lowest_layer() { return socket_.lowest_layer(); }
  const lowest_layer_type& lowest_layer() const { return socket_.lowest_layer(); }

  // The limits of the operations that follow: each wait at most `idle`, none past `deadline`.
  void limit(std::chrono::milliseconds idle, std::optional<Clock::time_point> deadline) {
    idle_ = idle;
    deadline_ = deadline;
  }

  // Connects to `endpoint` within the current limits.
  error_code connect(const tcp::endpoint& endpoint) {
    error_code ec;
    error_code ignored;
    socket_.close(ignored);
    socket_.open(endpoint.protocol(), ec);
    if (!ec) socket_.non_blocking(true, ec);
    if (ec) return ec;
    // Asio's synchronous connect would wait without a time limit: connect natively.
    if (::connect(socket_.native_handle(), endpoint.data(), endpoint.size()) == 0) return {};
    if (errno != EINPROGRESS && errno != EINTR)
      return error_code(errno, boost::system::system_category());
    if (!wait(POLLOUT, ec)) return ec;
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) return error_code(err, boost::system::system_category());
    socket_.set_option(tcp::no_delay(true), ignored);
    return {};
  }

  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, error_code& ec) {
    for (;;) {
      const std::size_t n = socket_.read_some(buffers, ec);
      if (ec != asio::error::would_block && ec != asio::error::try_again) return n;
      if (!wait(POLLIN, ec)) return 0;
    }
  }
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) BOOST_THROW_EXCEPTION(boost::system::system_error(ec));
    return n;
  }

  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers, error_code& ec) {
    for (;;) {
      const std::size_t n = socket_.write_some(buffers, ec);
      if (ec != asio::error::would_block && ec != asio::error::try_again) return n;
      if (!wait(POLLOUT, ec)) return 0;
    }
  }
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers) {
    error_code ec;
    const std::size_t n = write_some(buffers, ec);
    if (ec) BOOST_THROW_EXCEPTION(boost::system::system_error(ec));
    return n;
  }

 private:
  // Blocks until the socket is ready for `events` (or has an error to report, which the next
  // call returns). False with ec set on timeout or a poll failure.
  bool wait(short events, error_code& ec) {
    const auto until = detail::wait_until(idle_, deadline_);
    for (;;) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
      if (left.count() <= 0) {
        ec = beast::error::timeout;
        return false;
      }
      pollfd p{socket_.native_handle(), events, 0};
      const int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1 << 30)));
      if (rc > 0) return true;
      if (rc < 0 && errno != EINTR) {
        ec = error_code(errno, boost::system::system_category());
        return false;
      }
    }
  }

  tcp::socket socket_;
  std::chrono::milliseconds idle_{30'000};
  std::optional<Clock::time_point> deadline_;
};

template <class Stream>
error_code exchange(Stream& stream, TimedSocket& timed, beast::flat_buffer& buffer,
                    Request& request, Response& response, const Timeouts& timeouts,
                    detail::StragglerWatch::Exchange& watched) {
  std::optional<Clock::time_point> deadline;
  if (timeouts.request.count() > 0) deadline = Clock::now() + timeouts.request;
  timed.limit(timeouts.idle, deadline);
  error_code ec;
  bhttp::serializer<true, PayloadBody> serializer(request);
  serializer.limit(detail::kWriteChunk);
  while (!serializer.is_done()) {
    const std::size_t n = bhttp::write_some(stream, serializer, ec);
    if (ec) return ec;
    if (!watched.wrote(n)) return asio::error::operation_aborted;  // sent again
  }
  watched.written();
  // Interim replies (100 Continue, asked for or not) are read and skipped: the answer follows.
  for (int interim = 0;; ++interim) {
    if (interim > detail::kMaxInterimReplies) return bhttp::error::bad_status;
    detail::ResponseParser parser;
    detail::limit_response_parser(parser, request.method());
    bhttp::read(stream, buffer, parser, ec);
    if (ec) return ec;
    if (detail::is_interim(parser.get().result_int())) continue;
    watched.answered();
    response = parser.release();
    return {};
  }
}

}  // namespace

struct BlockingClient::Connection {
  std::optional<TimedSocket> plain;
  std::optional<ssl::stream<TimedSocket>> secure;
  beast::flat_buffer buffer;
  Clock::time_point idle_since;  // when it went back to the pool
  bool used = false;             // carried an exchange (else opened ahead: open_ahead)
  const SSL_SESSION* session_kept = nullptr;  // the last of its TLS sessions kept for others
  detail::OpenGauge* live = nullptr;  // the transport's count of open connections, once open

  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    if (live) live->closed();
  }

  TimedSocket& timed() { return secure ? secure->next_layer() : *plain; }
};

struct BlockingTransport::Impl {
  // The sockets' io_context. Never run: every operation on these sockets is synchronous.
  asio::io_context ioc{1};
  ssl::context tls_context{ssl::context::tls_client};
  TlsSettings tls;
  Timeouts timeouts;
  std::atomic<std::uint64_t> opened{0};
  std::atomic<std::uint64_t> opened_ahead{0};
  detail::OpenGauge live;  // open connections (the clients' Connection counts itself)
  // Request bytes written, and bodies left behind and sent again (straggler_watch.hpp).
  detail::StragglerWatch stragglers;
  detail::AddressBook addresses;
  detail::TlsSessions sessions;
  detail::OpenPacer pacer;
  // The idle keep-alive connections of every client, per target: any thread's next request
  // takes one, so a thread that waits (a worker parked above --concurrency auto's limit, one
  // that ended after a cut) leaves nothing idle behind it. With them, per target, the
  // connections being opened ahead and the requests waiting for them. Last, so that its
  // connections close before the context and the counters they use.
  using ConnectionPtr = std::unique_ptr<BlockingClient::Connection>;
  struct Claim {  // a request's claim on the next connection opened ahead
    ConnectionPtr conn;  // nullptr once handed: that opening failed, open one's own
    bool handed = false;
  };
  struct Pool {
    detail::IdleConnections<ConnectionPtr> idle;
    detail::AheadOpenings<Claim> ahead;
  };
  std::atomic<std::uint64_t> awaited{0};  // requests that waited for a connection opened ahead
  std::mutex pools_mutex;
  std::condition_variable handed;
  std::unordered_map<std::string, Pool> pools;

  // Keeps `conn` idle for the next send() to `key`.
  void keep(const std::string& key, ConnectionPtr conn) {
    const std::lock_guard lock(pools_mutex);
    pools[key].idle.keep(std::move(conn), Clock::now());
  }

  // The most recently used idle connection to `key`, closing those idle for longer than
  // kIdleMax. With none idle, a claim on the next connection being opened ahead, if one is not
  // yet claimed (await it). Neither: open one.
  std::pair<ConnectionPtr, std::shared_ptr<Claim>> take_idle(const std::string& key) {
    std::vector<ConnectionPtr> expired;  // closed after unlocking
    const std::lock_guard lock(pools_mutex);
    Pool& pool = pools[key];
    if (ConnectionPtr conn = pool.idle.take(Clock::now(), expired))
      return {std::move(conn), nullptr};
    std::shared_ptr<Claim> claim = pool.ahead.claim();
    if (claim) awaited.fetch_add(1, std::memory_order_relaxed);
    return {nullptr, std::move(claim)};
  }

  // Blocks until `claim` is handed its connection (nullptr: open one's own). An opening ends
  // within the connect timeout.
  ConnectionPtr await(const std::shared_ptr<Claim>& claim) {
    std::unique_lock lock(pools_mutex);
    handed.wait(lock, [&] { return claim->handed; });
    return std::move(claim->conn);
  }

  void ahead_started(const std::string& key) {
    const std::lock_guard lock(pools_mutex);
    pools[key].ahead.started();
  }

  // An opening ahead ended with `conn` (nullptr: failed, or the open rate left no room): handed
  // to the oldest claim, else pooled.
  void ahead_ended(const std::string& key, ConnectionPtr conn) {
    {
      const std::lock_guard lock(pools_mutex);
      Pool& pool = pools[key];
      const std::shared_ptr<Claim> claim = pool.ahead.ended();
      if (!claim) {
        if (conn) pool.idle.keep(std::move(conn), Clock::now());
        return;
      }
      claim->conn = std::move(conn);
      claim->handed = true;
    }
    handed.notify_all();
  }

  // The addresses to try for a new connection to target, resolving them when stale (a failed
  // re-resolution keeps the old ones). Empty with ec set when there are none.
  std::vector<tcp::endpoint> endpoints(const Target& target, const std::string& key,
                                       error_code& ec) {
    if (addresses.stale(key, Clock::now())) {
      tcp::resolver resolver(ioc);
      auto results = resolver.resolve(target.host, std::to_string(target.port), ec);
      if (!ec) {
        std::vector<tcp::endpoint> found;
        for (const auto& r : results) found.push_back(r.endpoint());
        addresses.update(key, std::move(found), Clock::now());
      } else {
        addresses.keep(key, Clock::now());
      }
    }
    auto order = addresses.order(key, Clock::now());
    if (!order.empty()) ec = {};
    return order;
  }
};

BlockingTransport::BlockingTransport(TlsSettings tls, Timeouts timeouts)
    : impl_(std::make_shared<Impl>()) {
  impl_->tls = std::move(tls);
  impl_->timeouts = timeouts;
  detail::configure_tls_context(impl_->tls_context, impl_->tls);
}

BlockingTransport::~BlockingTransport() = default;

std::uint64_t BlockingTransport::connections_opened() const { return impl_->opened.load(); }
std::uint64_t BlockingTransport::connections_peak_open() const {
  return static_cast<std::uint64_t>(impl_->live.peak());
}
std::uint64_t BlockingTransport::bytes_written() const {
  return impl_->stragglers.bytes_written();
}
std::uint64_t BlockingTransport::stragglers_resent() const {
  return impl_->stragglers.resent();
}
std::uint64_t BlockingTransport::connections_opened_ahead() const {
  return impl_->opened_ahead.load();
}
std::uint64_t BlockingTransport::connections_awaited() const { return impl_->awaited.load(); }
std::uint64_t BlockingTransport::connections_paced() const { return impl_->pacer.paced(); }
std::uint64_t BlockingTransport::tls_handshakes() const { return impl_->sessions.handshakes(); }
std::uint64_t BlockingTransport::tls_resumed() const { return impl_->sessions.resumed(); }
const Timeouts& BlockingTransport::timeouts() const { return impl_->timeouts; }
std::size_t BlockingTransport::connections_open_or_opening() const {
  std::int64_t n = impl_->live.now();
  const std::lock_guard lock(impl_->pools_mutex);
  for (const auto& [key, pool] : impl_->pools) n += static_cast<std::int64_t>(pool.ahead.opening());
  return static_cast<std::size_t>(std::max<std::int64_t>(0, n));
}

namespace {

// Resolves, connects and, for TLS, handshakes with SNI and host-name verification, all within
// the connect timeout. On failure returns nullptr and fills outcome.
std::unique_ptr<BlockingClient::Connection> open_connection(BlockingTransport::Impl& impl,
                                                            const Target& target,
                                                            const std::string& key,
                                                            Outcome& outcome,
                                                            bool ahead = false) {
  error_code ec;
  const auto endpoints = impl.endpoints(target, key, ec);
  if (ec) {
    outcome = detail::resolve_failure(ec, target);
    return nullptr;
  }
  // New connections are opened at a bounded rate (connection_policy.hpp); one opened ahead
  // only while the rate leaves room at once.
  if (ahead && !impl.pacer.try_reserve(Clock::now())) return nullptr;
  const Clock::duration wait = ahead ? Clock::duration::zero() : impl.pacer.reserve(Clock::now());
  if (wait > Clock::duration::zero()) std::this_thread::sleep_for(wait);
  auto conn = std::make_unique<BlockingClient::Connection>();
  if (target.tls)
    conn->secure.emplace(impl.ioc, impl.tls_context);
  else
    conn->plain.emplace(impl.ioc);
  TimedSocket& timed = conn->timed();
  const Clock::time_point began = Clock::now();
  // (The connect timeout covers every address tried; one that fails is set aside.)
  timed.limit(impl.timeouts.connect, Clock::now() + impl.timeouts.connect);
  error_code cec = asio::error::host_not_found;
  for (const tcp::endpoint& endpoint : endpoints) {
    cec = timed.connect(endpoint);
    if (!cec) break;
    impl.addresses.set_aside(key, endpoint, Clock::now());
    if (cec == beast::error::timeout) break;  // the time is spent
  }
  if (cec) {
    outcome = detail::connect_failure(cec, key);
    return nullptr;
  }
  impl.opened.fetch_add(1, std::memory_order_relaxed);
  if (conn->secure) {
    auto& stream = *conn->secure;
    detail::prepare_tls(stream, target, impl.tls);
    impl.sessions.offer(stream.native_handle(), key);
    error_code hec;
    stream.handshake(ssl::stream_base::client, hec);
    if (hec) {
      outcome = detail::handshake_failure(stream.native_handle(), hec, key);
      return nullptr;
    }
    impl.sessions.handshake_done(stream.native_handle());
  }
  impl.stragglers.opened(Clock::now() - began);
  conn->live = &impl.live;
  conn->live->opened();
  return conn;
}

}  // namespace

BlockingClient::BlockingClient(BlockingTransport& transport) : transport_(transport.impl_) {}

BlockingClient::~BlockingClient() = default;

Outcome BlockingClient::send(const Target& target, Request& request) {
  auto& impl = *transport_;
  const std::string key = target.to_string();
  detail::prepare_request(request, target);
  bool resending = false;  // a straggler, sent again on a new connection
  for (int attempt = 0;; ++attempt) {
    Outcome outcome;
    std::unique_ptr<Connection> conn;
    if (attempt == 0) {
      // An idle one, or one being opened ahead; one the server closed while idle, or sent
      // something on unasked, is dropped unused.
      while (!conn) {
        auto [idle, claim] = impl.take_idle(key);
        conn = claim ? impl.await(claim) : std::move(idle);
        if (!conn) break;
        if (!detail::idle_connection_is_clean(
                conn->timed().lowest_layer().native_handle(),
                conn->secure ? conn->secure->native_handle() : nullptr, conn->used))
          conn.reset();
      }
    }
    const bool reused = conn != nullptr;
    if (!conn) {
      conn = open_connection(impl, target, key, outcome);
      if (!conn) return outcome;
    }
    detail::StragglerWatch::Exchange watched(impl.stragglers, request.body().size(), !resending);
    const error_code ec =
        conn->secure ? exchange(*conn->secure, conn->timed(), conn->buffer, request,
                                outcome.response, impl.timeouts, watched)
                     : exchange(*conn->plain, conn->timed(), conn->buffer, request,
                                outcome.response, impl.timeouts, watched);
    if (!ec) {
      conn->used = true;
      if (conn->secure)
        impl.sessions.remember(conn->secure->native_handle(), key, conn->session_kept);
      // (A reply saying Connection: close, or HTTP/1.0 without keep-alive, ends it here.)
      // (Bytes the server sent beyond its reply, which a next request would take for its own,
      // end it too.)
      if (outcome.response.keep_alive() && conn->buffer.size() == 0)
        impl.keep(key, std::move(conn));
      return outcome;
    }
    if (watched.abandoned()) {
      resending = true;
      detail::discard_unsent_on_close(conn->timed().lowest_layer().native_handle());
    }
    if (detail::send_again_at_once(ec, reused, watched.abandoned())) continue;
    return detail::exchange_failure(ec, key);
  }
}

bool BlockingClient::open_ahead(const Target& target) {
  auto& impl = *transport_;
  const std::string key = target.to_string();
  Outcome outcome;
  impl.ahead_started(key);
  std::unique_ptr<Connection> conn;
  try {
    conn = open_connection(impl, target, key, outcome, /*ahead=*/true);
  } catch (...) {
    impl.ahead_ended(key, nullptr);  // (a claim waiting for it opens its own)
    throw;
  }
  const bool opened = conn != nullptr;
  if (opened) impl.opened_ahead.fetch_add(1, std::memory_order_relaxed);
  impl.ahead_ended(key, std::move(conn));
  return opened;
}

}  // namespace s3up::http
