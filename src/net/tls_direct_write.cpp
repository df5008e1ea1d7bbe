#include "net/tls_direct_write.hpp"
#include "net/http_common.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <openssl/bio.h>
#include <openssl/err.h>

#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <new>
#include <span>

namespace s3up::http::detail {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// The socket a send BIO writes to, and the errno of its last failed send().
struct SendTarget {
  int fd = -1;
  int error = 0;
};

// A write-only BIO on a socket: send() with MSG_NOSIGNAL (a peer gone is an error, never
// SIGPIPE), a retryable write when the socket is full.
int send_write(BIO* bio, const char* data, int length) {
  BIO_clear_retry_flags(bio);
  auto* target = static_cast<SendTarget*>(BIO_get_data(bio));
  for (;;) {
    const ssize_t n = ::send(target->fd, data, static_cast<std::size_t>(length), MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      BIO_set_retry_write(bio);
    else
      target->error = errno;
    return -1;
  }
}

long send_ctrl(BIO*, int command, long, void*) { return command == BIO_CTRL_FLUSH ? 1 : 0; }

int send_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* send_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "s3up send");
    if (m == nullptr || BIO_meth_set_write(m, send_write) != 1 ||
        BIO_meth_set_ctrl(m, send_ctrl) != 1 || BIO_meth_set_create(m, send_create) != 1)
      throw std::bad_alloc();
    return m;
  }();
  return method;
}

// While alive, the SSL object writes to `target`'s socket instead of Asio's BIO pair, which it
// holds a reference to and puts back when destroyed.
class WriteToSocket {
 public:
  WriteToSocket(SSL* ssl, SendTarget* target) : ssl_(ssl), stream_bio_(SSL_get_wbio(ssl)) {
    BIO* bio = BIO_new(send_method());
    if (bio == nullptr || BIO_up_ref(stream_bio_) != 1) {
      BIO_free(bio);
      throw std::bad_alloc();
    }
    BIO_set_data(bio, target);
    SSL_set0_wbio(ssl_, bio);  // drops the SSL's own reference to the stream's BIO (ours stays)
  }
  ~WriteToSocket() { SSL_set0_wbio(ssl_, stream_bio_); }  // frees the send BIO, gives ours back
  WriteToSocket(const WriteToSocket&) = delete;
  WriteToSocket& operator=(const WriteToSocket&) = delete;

 private:
  SSL* ssl_;
  BIO* stream_bio_;
};

// Waits until the socket takes more bytes, at most until `when`: beast::error::timeout then.
asio::awaitable<error_code> wait_writable(tcp::socket& socket, Clock::time_point when) {
  struct State {
    bool waiting = true;
    bool fired = false;
  };
  auto state = std::make_shared<State>();
  asio::steady_timer timer(socket.get_executor(), when);
  // The handler runs on this connection's lane, as this coroutine does: it touches the socket
  // only while the wait is still pending.
  timer.async_wait([state, &socket](const error_code& e) {
    if (e || !state->waiting) return;
    state->fired = true;
    error_code ignored;
    socket.cancel(ignored);
  });
  auto [ec] = co_await socket.async_wait(tcp::socket::wait_write,
                                         asio::as_tuple(asio::use_awaitable));
  state->waiting = false;
  timer.cancel();
  if (state->fired) co_return boost::beast::error::timeout;
  co_return ec;
}

// Writes `data` as records through `ssl` (whose write side is `target`'s socket), waiting for
// room as write_body_tls_direct says.
asio::awaitable<error_code> write_records(SSL* ssl, tcp::socket& socket, const SendTarget* target,
                                          std::span<const char> data, Clock::duration idle,
                                          std::optional<Clock::time_point> deadline,
                                          StragglerWatch::Exchange* exchange) {
  for (std::size_t done = 0; done < data.size();) {
    ERR_clear_error();
    std::size_t n = 0;
    const int r = SSL_write_ex(ssl, data.data() + done, data.size() - done, &n);
    if (r == 1) {
      done += n;
      if (!exchange->wrote(n)) co_return asio::error::operation_aborted;  // sent again
      continue;
    }
    switch (SSL_get_error(ssl, r)) {
      case SSL_ERROR_WANT_WRITE: {
        // Sent again with the same bytes once the socket has room (OpenSSL keeps the record).
        const error_code wec = co_await wait_writable(socket, wait_until(idle, deadline));
        if (wec) co_return wec;
        break;
      }
      case SSL_ERROR_SYSCALL:
        co_return target->error != 0 ? error_code(target->error, boost::system::system_category())
                                     : error_code(asio::error::connection_reset);
      case SSL_ERROR_SSL:
        co_return error_code(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category());
      default:
        // WANT_READ: the server started a renegotiation, which a body being sent cannot serve.
        co_return error_code(asio::error::operation_not_supported);
    }
  }
  co_return error_code{};
}

}  // namespace

asio::awaitable<error_code> write_body_tls_direct(SSL* ssl, tcp::socket& socket,
                                                  const Request& request, Clock::duration idle,
                                                  std::optional<Clock::time_point> deadline,
                                                  StragglerWatch::Exchange* exchange) {
  error_code ec;
  socket.non_blocking(true, ec);
  if (ec) co_return ec;
  SendTarget target{socket.native_handle(), 0};
  const WriteToSocket direct(ssl, &target);
  PayloadBody::writer body(request, request.body());
  body.init(ec);
  if (ec) co_return ec;
  for (bool more = true; more;) {
    const auto piece = body.get(ec);
    if (ec) co_return ec;
    if (!piece) break;
    more = piece->second;
    // A framed chunk from a mapping is three buffers (size line, bytes, CRLF): each its records.
    for (const asio::const_buffer& buffer : piece->first) {
      if (buffer.size() == 0) continue;
      const std::span<const char> bytes(static_cast<const char*>(buffer.data()), buffer.size());
      ec = co_await write_records(ssl, socket, &target, bytes, idle, deadline, exchange);
      if (ec) co_return ec;
    }
  }
  co_return error_code{};
}

}  // namespace s3up::http::detail
