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

#include <atomic>
#include <cerrno>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "net/http_common.hpp"

namespace s3up::http {

namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxIdlePerTarget = 64;

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

  // Connects to the first endpoint that accepts, within the current limits.
  error_code connect(const tcp::resolver::results_type& endpoints) {
    error_code ec = asio::error::host_not_found;
    for (const auto& entry : endpoints) {
      error_code ignored;
      socket_.close(ignored);
      const tcp::endpoint endpoint = entry.endpoint();
      socket_.open(endpoint.protocol(), ec);
      if (!ec) socket_.non_blocking(true, ec);
      if (ec) continue;
      // Asio's synchronous connect would wait without a time limit: connect natively.
      if (::connect(socket_.native_handle(), endpoint.data(), endpoint.size()) == 0) return {};
      if (errno != EINPROGRESS && errno != EINTR) {
        ec = error_code(errno, boost::system::system_category());
        continue;
      }
      if (!wait(POLLOUT, ec)) {
        if (ec == beast::error::timeout) return ec;  // the time is spent for every endpoint
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      if (::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      if (err == 0) {
        socket_.set_option(tcp::no_delay(true), ignored);
        return {};
      }
      ec = error_code(err, boost::system::system_category());
    }
    return ec;
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
    auto until = Clock::now() + idle_;
    if (deadline_ && *deadline_ < until) until = *deadline_;
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
                    Request& request, Response& response, const Timeouts& timeouts) {
  std::optional<Clock::time_point> deadline;
  if (timeouts.request.count() > 0) deadline = Clock::now() + timeouts.request;
  timed.limit(timeouts.idle, deadline);
  error_code ec;
  bhttp::serializer<true, bhttp::span_body<const char>> serializer(request);
  serializer.limit(detail::kWriteChunk);
  bhttp::write(stream, serializer, ec);
  if (ec) return ec;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(detail::kResponseBodyLimit);
  if (request.method() == bhttp::verb::head) parser.skip(true);
  bhttp::read(stream, buffer, parser, ec);
  if (ec) return ec;
  response = parser.release();
  return {};
}

}  // namespace

struct BlockingTransport::Impl {
  // The sockets' io_context. Never run: every operation on these sockets is synchronous.
  asio::io_context ioc{1};
  ssl::context tls_context{ssl::context::tls_client};
  TlsSettings tls;
  Timeouts timeouts;
  std::atomic<std::uint64_t> opened{0};
  std::mutex mutex;
  std::unordered_map<std::string, tcp::resolver::results_type> resolved;

  // Cached addresses of target, resolving them on first use. Empty with ec set on failure.
  tcp::resolver::results_type resolve(const Target& target, const std::string& key,
                                      error_code& ec) {
    {
      std::lock_guard lock(mutex);
      if (auto it = resolved.find(key); it != resolved.end()) return it->second;
    }
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(target.host, std::to_string(target.port), ec);
    if (ec) return {};
    std::lock_guard lock(mutex);
    resolved[key] = results;
    return results;
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
const Timeouts& BlockingTransport::timeouts() const { return impl_->timeouts; }

struct BlockingClient::Connection {
  std::optional<TimedSocket> plain;
  std::optional<ssl::stream<TimedSocket>> secure;
  beast::flat_buffer buffer;

  TimedSocket& timed() { return secure ? secure->next_layer() : *plain; }
};

struct BlockingClient::Pool {
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
};

namespace {

// Resolves, connects and, for TLS, handshakes with SNI and host-name verification, all within
// the connect timeout. On failure returns nullptr and fills outcome.
std::unique_ptr<BlockingClient::Connection> open_connection(BlockingTransport::Impl& impl,
                                                            const Target& target,
                                                            const std::string& key,
                                                            Outcome& outcome) {
  error_code ec;
  const auto endpoints = impl.resolve(target, key, ec);
  if (ec) {
    outcome = detail::resolve_failure(ec, target);
    return nullptr;
  }
  auto conn = std::make_unique<BlockingClient::Connection>();
  if (target.tls)
    conn->secure.emplace(impl.ioc, impl.tls_context);
  else
    conn->plain.emplace(impl.ioc);
  TimedSocket& timed = conn->timed();
  timed.limit(impl.timeouts.connect, Clock::now() + impl.timeouts.connect);
  if (auto cec = timed.connect(endpoints)) {
    outcome = detail::connect_failure(cec, key);
    return nullptr;
  }
  impl.opened.fetch_add(1, std::memory_order_relaxed);
  if (conn->secure) {
    auto& stream = *conn->secure;
    detail::prepare_tls(stream, target, impl.tls);
    error_code hec;
    stream.handshake(ssl::stream_base::client, hec);
    if (hec) {
      outcome = detail::handshake_failure(stream.native_handle(), hec, key);
      return nullptr;
    }
  }
  return conn;
}

}  // namespace

BlockingClient::BlockingClient(BlockingTransport& transport)
    : transport_(transport.impl_), pool_(std::make_unique<Pool>()) {}

BlockingClient::~BlockingClient() = default;

Outcome BlockingClient::send(const Target& target, Request& request) {
  auto& impl = *transport_;
  const std::string key = target.to_string();
  detail::prepare_request(request, target);
  for (int attempt = 0;; ++attempt) {
    Outcome outcome;
    std::unique_ptr<Connection> conn;
    if (attempt == 0) {
      auto& list = pool_->idle[key];
      if (!list.empty()) {
        conn = std::move(list.back());
        list.pop_back();
      }
    }
    const bool reused = conn != nullptr;
    if (!conn) {
      conn = open_connection(impl, target, key, outcome);
      if (!conn) return outcome;
    }
    const error_code ec =
        conn->secure ? exchange(*conn->secure, conn->timed(), conn->buffer, request,
                                outcome.response, impl.timeouts)
                     : exchange(*conn->plain, conn->timed(), conn->buffer, request,
                                outcome.response, impl.timeouts);
    if (!ec) {
      if (outcome.response.keep_alive()) {
        auto& list = pool_->idle[key];
        if (list.size() < kMaxIdlePerTarget) list.push_back(std::move(conn));
      }
      return outcome;
    }
    // A pooled connection the server closed while it sat idle: try once on a fresh one.
    if (reused && detail::is_reset(ec)) continue;
    return detail::exchange_failure(ec, key);
  }
}

void BlockingClient::close_idle() { pool_->idle.clear(); }

}  // namespace s3up::http
