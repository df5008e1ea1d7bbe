#include "server/server.hpp"

#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <thread>

#include "server/service.hpp"
#include "server/xml.hpp"
#include "util/text.hpp"

namespace s3up::testserver {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
using asio::as_tuple;

namespace {

constexpr std::size_t kBodyBuffer = 256 * 1024;
constexpr auto kIdleTimeout = std::chrono::minutes(5);
constexpr std::uint64_t kTruncateExtra = 1024;

struct State {
  explicit State(const Options& o)
      : options(o),
        store(o.discard ? std::string() : o.root, o.min_part_size, o.no_etag_md5),
        faults(o.seed, o.fault_rate, o.faults, o.fail_keys),
        auth(o.access_key, o.secret_key, o.region),
        log(o.log_file),
        service(options, store, stats, faults, auth, log) {}

  Options options;
  Store store;
  Stats stats;
  FaultInjector faults;
  Authenticator auth;
  RequestLog log;
  Service service;
  std::optional<ssl::context> tls;
};

tcp::socket& socket_of(beast::tcp_stream& s) { return s.socket(); }
tcp::socket& socket_of(beast::ssl_stream<beast::tcp_stream>& s) {
  return beast::get_lowest_layer(s).socket();
}
beast::tcp_stream& tcp_of(beast::tcp_stream& s) { return s; }
beast::tcp_stream& tcp_of(beast::ssl_stream<beast::tcp_stream>& s) {
  return beast::get_lowest_layer(s);
}

// Closes with a TCP reset: the peer sees ECONNRESET, not an orderly end.
template <class Stream>
void reset_connection(Stream& stream) {
  auto& sock = socket_of(stream);
  beast::error_code ec;
  sock.set_option(asio::socket_base::linger(true, 0), ec);
  sock.close(ec);
}

// An orderly close: FIN after everything written.
asio::awaitable<void> close_connection(beast::tcp_stream& stream) {
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.socket().close(ec);
  co_return;
}

asio::awaitable<void> close_connection(beast::ssl_stream<beast::tcp_stream>& stream) {
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
  co_await stream.async_shutdown(as_tuple(use_awaitable));
  beast::error_code ec;
  beast::get_lowest_layer(stream).socket().close(ec);
}

void log_line(State& st, const Exchange& x, const char* status, std::uint64_t bytes) {
  if (st.log.on()) st.log.write(x, status, bytes);
}

// The header of `reply`, announcing `announce` bytes of body. The Date comes from the server's
// clock, --clock-skew included.
http::response<http::empty_body> reply_header(const Reply& reply, const Exchange& x,
                                              std::uint64_t announce, bool keep_alive,
                                              int clock_skew) {
  http::response<http::empty_body> res{static_cast<http::status>(reply.status), 11};
  res.set(http::field::server, "s3-testserver");
  res.set(http::field::date, xml::http_date(std::time(nullptr) + clock_skew));
  if (!x.request_id.empty()) res.set("x-amz-request-id", x.request_id);
  for (const auto& [name, value] : reply.headers) res.insert(name, value);
  if (reply.status != 204 && reply.status != 304 && reply.status >= 200) res.content_length(announce);
  res.keep_alive(keep_alive && !reply.close);
  return res;
}

// A whole reply as bytes: header, then the body (read from its file when it has one).
std::string reply_bytes(const http::response<http::empty_body>& res, const Reply& reply) {
  std::ostringstream head;
  head << res.base();
  std::string out = head.str();
  if (reply.head) return out;
  if (reply.fd >= 0) {
    std::string body(static_cast<std::size_t>(reply.length), '\0');
    const ssize_t got = ::pread(reply.fd, body.data(), body.size(), static_cast<off_t>(reply.offset));
    body.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
    out += body;
  } else {
    out += reply.body;
  }
  return out;
}

// What a hostile server sends after a reply, for a request the client has not sent yet: a
// plausible success with an ETag that is no MD5.
constexpr std::string_view kForgedReply =
    "HTTP/1.1 200 OK\r\nServer: s3-testserver\r\nx-amz-request-id: FORGED\r\n"
    "ETag: \"forged-unsolicited-reply\"\r\nContent-Length: 0\r\n\r\n";

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

template <class Stream>
asio::awaitable<bool> write_text(Stream& stream, std::string_view text) {
  tcp_of(stream).expires_after(kIdleTimeout);
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(text.data(), text.size()),
                                            as_tuple(use_awaitable));
  co_return !ec;
}

// Holds the connection for `seconds` (reading and writing nothing), then resets it.
template <class Stream>
asio::awaitable<void> hold_then_reset(Stream& stream, int seconds) {
  tcp_of(stream).expires_never();
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(std::chrono::seconds(seconds));
  co_await timer.async_wait(as_tuple(use_awaitable));
  reset_connection(stream);
}

// "endless-header": a status line, then one header line that never ends, 1 KiB every 20 ms for
// at most `seconds` (or until the client goes), then a reset.
template <class Stream>
asio::awaitable<void> endless_header(Stream& stream, int seconds) {
  constexpr std::string_view start = "HTTP/1.1 200 OK\r\nServer: s3-testserver\r\nX-Endless: ";
  const bool started = co_await write_text(stream, start);
  const std::string chunk(1024, 'a');
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (bool open = started; open && std::chrono::steady_clock::now() < until;) {
    open = co_await write_text(stream, chunk);
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(as_tuple(use_awaitable));
  }
  reset_connection(stream);
}

// Writes `reply`. With `truncate`, announces more than it sends and returns false (the caller
// closes); with `length_long`, announces more than it sends and keeps the connection. Returns
// false when the connection is to be closed.
template <class Stream>
asio::awaitable<bool> write_reply(Stream& stream, Reply& reply, const Exchange& x,
                                  bool keep_alive, bool truncate,
                                  std::vector<unsigned char>& buf, int clock_skew,
                                  bool length_long = false) {
  std::uint64_t send = reply.head ? 0 : reply.length;
  std::uint64_t announce = reply.length;
  if (truncate) {
    announce = reply.length + kTruncateExtra;
    send = reply.head ? 0 : reply.length / 2;
  } else if (length_long && !reply.head) {  // (a HEAD reply has no body to wait for)
    announce = reply.length + kTruncateExtra;
  }
  auto res = reply_header(reply, x, announce, keep_alive && !truncate, clock_skew);

  tcp_of(stream).expires_after(kIdleTimeout);
  auto [ec, n] = co_await http::async_write(stream, res, as_tuple(use_awaitable));
  if (ec) co_return false;
  if (reply.fd >= 0) {
    std::uint64_t offset = reply.offset;
    while (send > 0) {
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(send, buf.size()));
      const ssize_t got = ::pread(reply.fd, buf.data(), want, static_cast<off_t>(offset));
      if (got <= 0) co_return false;  // the file shrank under us: nothing sensible to send
      tcp_of(stream).expires_after(kIdleTimeout);
      auto [wec, wn] = co_await asio::async_write(
          stream, asio::buffer(buf.data(), static_cast<std::size_t>(got)), as_tuple(use_awaitable));
      if (wec) co_return false;
      offset += static_cast<std::uint64_t>(got);
      send -= static_cast<std::uint64_t>(got);
    }
  } else if (send > 0) {
    auto [wec, wn] = co_await asio::async_write(
        stream, asio::buffer(reply.body.data(), static_cast<std::size_t>(send)),
        as_tuple(use_awaitable));
    if (wec) co_return false;
  }
  co_return !truncate && res.keep_alive();
}

std::string status_text(unsigned status) { return std::to_string(status); }

// One connection: requests until the client closes, asks to close, or a fault ends it.
template <class Stream>
asio::awaitable<void> serve(Stream& stream, std::shared_ptr<State> st) {
  beast::flat_buffer fbuf;
  fbuf.reserve(64 * 1024);  // Beast reads at most the free capacity (and at least 512 bytes)
  std::vector<unsigned char> buf(kBodyBuffer);
  BodyReader body;
  Exchange x;
  const int skew = st->options.clock_skew;
  for (;;) {
    http::request_parser<http::buffer_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(boost::none);
    tcp_of(stream).expires_after(kIdleTimeout);
    auto [ec, n] = co_await http::async_read_header(stream, fbuf, parser, as_tuple(use_awaitable));
    if (ec) co_return;
    auto& req = parser.get();
    st->service.begin(req, x, body);
    const bool keep_alive = req.keep_alive();
    const FaultKind fault = x.fault.kind;

    if (fault == FaultKind::ResetBefore) {
      log_line(*st, x, "reset", 0);
      reset_connection(stream);
      co_return;
    }
    if (fault == FaultKind::Stall) {
      log_line(*st, x, "stall", 0);
      co_await hold_then_reset(stream, st->options.stall_seconds);
      co_return;
    }
    if (fault == FaultKind::ContinueStall) {
      log_line(*st, x, "continue-stall", 0);
      const bool sent = co_await write_text(stream, kContinue);
      if (sent) co_await hold_then_reset(stream, st->options.stall_seconds);
      co_return;
    }

    const bool expect_continue = util::iequals_ascii(req[http::field::expect], "100-continue");
    if (x.error && expect_continue && !parser.is_done()) {
      // Answer at once: the client has not sent its body and will not (a new request on this
      // connection could not be told from the body), so the connection ends here.
      Reply reply = st->service.finish(req, x, body);
      reply.close = true;
      co_await write_reply(stream, reply, x, false, false, buf, skew);
      log_line(*st, x, status_text(reply.status).c_str(), 0);
      co_await close_connection(stream);
      co_return;
    }
    if (expect_continue && !parser.is_done()) {
      http::response<http::empty_body> cont{http::status::continue_, 11};
      auto [cec, cn] = co_await http::async_write(stream, cont, as_tuple(use_awaitable));
      if (cec) co_return;
    }

    std::uint64_t received = 0;
    std::uint64_t reset_at = std::numeric_limits<std::uint64_t>::max();
    if (fault == FaultKind::ResetMid || fault == FaultKind::StallBody) {
      const auto length = parser.content_length();
      reset_at = length ? std::max<std::uint64_t>(1, *length / 2) : 1;
      if (parser.is_done()) reset_at = 0;
    }
    auto take = [&](std::size_t got) {
      received += got;
      st->stats.count_bytes(got);
      if (x.process_body && got > 0) {
        try {
          body.feed(std::span<const unsigned char>(buf.data(), got));
        } catch (const S3Error& e) {
          x.error = e;
          x.process_body = false;
        } catch (const std::exception& e) {
          x.error = S3Error(500, "InternalError", e.what());
          x.process_body = false;
        }
      }
    };
    if (!parser.is_done() && !parser.chunked() && parser.content_length()) {
      // Fast path for a Content-Length body: straight from the socket into `buf`, no parser
      // copy in between. What the header read already buffered comes first.
      const std::uint64_t length = *parser.content_length();
      const std::uint64_t limit = std::min(length, reset_at);
      while (received < limit) {
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), limit - received));
        std::size_t got = 0;
        if (fbuf.size() > 0) {
          got = asio::buffer_copy(asio::buffer(buf.data(), want), fbuf.data());
          fbuf.consume(got);
        } else {
          tcp_of(stream).expires_after(kIdleTimeout);
          auto [rec, rn] = co_await stream.async_read_some(asio::buffer(buf.data(), want),
                                                          as_tuple(use_awaitable));
          if (rec) {
            log_line(*st, x, "client-gone", received);
            co_return;
          }
          got = rn;
        }
        take(got);
      }
    }
    while (received < reset_at && !parser.is_done() &&
           !(!parser.chunked() && parser.content_length())) {
      auto& b = req.body();
      b.data = buf.data();
      b.size = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), reset_at - received));
      const std::size_t offered = b.size;
      tcp_of(stream).expires_after(kIdleTimeout);
      auto [rec, rn] = co_await http::async_read(stream, fbuf, parser, as_tuple(use_awaitable));
      if (rec == http::error::need_buffer) rec = {};
      const std::size_t got = offered - req.body().size;
      if (rec) {
        log_line(*st, x, "client-gone", received + got);
        co_return;
      }
      take(got);
    }
    if (received >= reset_at) {
      if (fault == FaultKind::StallBody) {
        log_line(*st, x, "stall-body", received);
        co_await hold_then_reset(stream, st->options.stall_seconds);
        co_return;
      }
      log_line(*st, x, "reset", received);
      reset_connection(stream);
      co_return;
    }
    if (fault == FaultKind::EndlessHeader) {
      log_line(*st, x, "endless-header", received);
      co_await endless_header(stream, st->options.stall_seconds);
      co_return;
    }

    Reply reply = st->service.finish(req, x, body);
    const bool truncate = fault == FaultKind::Truncate;
    if (truncate && reply.head) {  // nothing to cut short in a reply without a body
      log_line(*st, x, "reset", received);
      reset_connection(stream);
      co_return;
    }
    if (fault == FaultKind::ContinueEarly) {
      // Never asked for (or asked for and sent already): a client must skip any 1xx.
      const bool sent = co_await write_text(stream, kContinue);
      if (!sent) co_return;
    }
    if (fault == FaultKind::StallReply || fault == FaultKind::LengthShort ||
        fault == FaultKind::Unsolicited) {
      // Written as one piece, so that what follows the reply travels with it.
      const bool length_short = fault == FaultKind::LengthShort;
      // (A HEAD reply has no body to cut short: its Content-Length stays true.)
      const std::uint64_t announce = length_short && !reply.head ? reply.length / 2 : reply.length;
      const auto res = reply_header(reply, x, announce, keep_alive, skew);
      std::string bytes = reply_bytes(res, reply);
      if (fault == FaultKind::StallReply) {
        log_line(*st, x, "stall-reply", received);
        const std::string_view half = std::string_view(bytes).substr(0, bytes.size() / 2);
        const bool sent = co_await write_text(stream, half);
        if (sent) co_await hold_then_reset(stream, st->options.stall_seconds);
        co_return;
      }
      bytes += kForgedReply;
      log_line(*st, x, fault_name(fault).data(), received);
      const bool sent = co_await write_text(stream, bytes);
      if (!sent) co_return;
      if (!res.keep_alive()) {
        co_await close_connection(stream);
        co_return;
      }
      continue;
    }
    const bool length_long = fault == FaultKind::LengthLong;
    const bool again =
        co_await write_reply(stream, reply, x, keep_alive, truncate, buf, skew, length_long);
    log_line(*st, x,
             truncate ? "truncated" : length_long ? "length-long" : status_text(reply.status).c_str(),
             received);
    if (!again) {
      co_await close_connection(stream);
      co_return;
    }
    if (fault == FaultKind::IdleClose) {
      // Kept alive, the reply said: closed anyway, as the client puts it back in its pool (or
      // already sends its next request on it).
      co_await close_connection(stream);
      co_return;
    }
  }
}

asio::awaitable<void> plain_session(tcp::socket socket, std::shared_ptr<State> st) {
  beast::tcp_stream stream(std::move(socket));
  co_await serve(stream, st);
}

asio::awaitable<void> tls_session(tcp::socket socket, std::shared_ptr<State> st) {
  beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *st->tls);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, as_tuple(use_awaitable));
  if (ec) co_return;
  co_await serve(stream, st);
}

void report_exception(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    std::cerr << "s3-testserver: session error: " << ex.what() << "\n";
  }
}

asio::awaitable<void> accept_loop(tcp::acceptor* acceptor, std::shared_ptr<State> st) {
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(
        asio::make_strand(acceptor->get_executor()), as_tuple(use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      continue;  // e.g. too many open files: try again
    }
    beast::error_code opt_ec;
    socket.set_option(tcp::no_delay(true), opt_ec);
    auto executor = socket.get_executor();
    if (st->tls)
      asio::co_spawn(executor, tls_session(std::move(socket), st), report_exception);
    else
      asio::co_spawn(executor, plain_session(std::move(socket), st), report_exception);
  }
}

}  // namespace

int run_server(const Options& options) {
  std::signal(SIGPIPE, SIG_IGN);
  auto st = std::make_shared<State>(options);
  for (const auto& b : options.buckets) {
    try {
      st->store.create_bucket(b);
    } catch (const S3Error& e) {
      throw std::runtime_error("--bucket " + b + ": " + e.what());
    }
  }
  if (!options.tls_cert.empty()) {
    st->tls.emplace(ssl::context::tls_server);
    st->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
    st->tls->use_certificate_chain_file(options.tls_cert);
    st->tls->use_private_key_file(options.tls_key, ssl::context::pem);
  }

  asio::io_context ioc(options.threads);
  tcp::acceptor acceptor(ioc);
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), options.port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  std::printf("listening on 127.0.0.1:%u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
  std::fflush(stdout);

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code&, int) { ioc.stop(); });
  asio::co_spawn(ioc, accept_loop(&acceptor, st), report_exception);

  std::vector<std::thread> threads;
  for (int i = 1; i < options.threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  return 0;
}

}  // namespace s3up::testserver
