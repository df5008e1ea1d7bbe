// A straggler sent again on a new connection, end to end over sockets, with both clients: a
// server on 127.0.0.1 reads the first PUT of /slow at 1.6 MB/s (a connection whose window a
// congested path cut) and everything else at once. The client, having measured a fast link,
// abandons the slow connection a second or two into the body and sends the body again, whole, on
// a new one: the reply comes from there, the server received every byte, nothing failed.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/test/unit_test.hpp>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "net/blocking_http_client.hpp"
#include "net/http_client.hpp"
#include "socket_server.hpp"

namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

// Answers each request with 200 and "<connection number> <body bytes received>". The first
// request for /slow has its body read 16 KiB every 10 ms through a 64 KiB receive buffer until
// the client drops the connection.
class SlowFirstServer {
 public:
  SlowFirstServer()
      : server_([this](tcp::socket& socket, int number) { serve(socket, number); },
                [](tcp::acceptor& acceptor) {
                  acceptor.set_option(net::socket_base::receive_buffer_size(64 << 10));
                  // A real path's MSS (as bench/wanproxy does), or loopback's 64 KiB segments let
                  // the client's send buffer grow to megabytes: its writes would then complete a
                  // megabyte at a time.
                  const int mss = 1448;
                  ::setsockopt(acceptor.native_handle(), IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof mss);
                }) {}

  std::uint16_t port() const { return server_.port(); }
  // The connection that carried the slow read, 0 before.
  int slow_connection() const { return slow_connection_.load(); }

 private:
  void serve(tcp::socket& socket, int number) {
    boost::beast::flat_buffer buffer;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(64 << 20);
      boost::system::error_code ec;
      bhttp::read_header(socket, buffer, parser, ec);
      if (ec) return;
      int expected = 0;
      const bool slow = parser.get().target() == "/slow" &&
                        slow_connection_.compare_exchange_strong(expected, number);
      if (slow) {
        // Read slowly until the client gives up on this connection.
        char piece[16384];
        for (;;) {
          socket.read_some(net::buffer(piece), ec);
          if (ec) return;
          std::this_thread::sleep_for(10ms);
        }
      }
      bhttp::read(socket, buffer, parser, ec);
      if (ec) return;
      bhttp::response<bhttp::string_body> res(bhttp::status::ok, 11);
      res.body() = std::to_string(number) + " " + std::to_string(parser.get().body().size());
      res.keep_alive(true);
      res.prepare_payload();
      bhttp::write(socket, res, ec);
      if (ec) return;
    }
  }

  std::atomic<int> slow_connection_{0};
  s3up::test::SocketServer server_;  // last: its threads call serve()
};

s3up::http::Request put(const std::string& path, const std::string& body) {
  s3up::http::Request request(bhttp::verb::put, path, 11);
  request.body() = s3up::http::PayloadBody::value_type(body.data(), body.size());
  request.prepare_payload();
  return request;
}

// What the client sends: a small PUT (a round trip measured), 32 MiB at loopback speed (the
// link's peak rate), then 8 MiB to /slow.
struct Bodies {
  std::string small = std::string(100, 's');
  std::string fast = std::string(32 << 20, 'f');
  std::string slow = std::string(8 << 20, 'w');

  std::vector<std::pair<std::string, const std::string*>> in_order() const {
    return {{"/small", &small}, {"/fast", &fast}, {"/slow", &slow}};
  }
};

// A request's reply body (or "failed: ...") and how long its send() took.
struct Sent {
  std::string reply;
  std::chrono::steady_clock::duration took{};
};

Sent sent(const s3up::http::Outcome& outcome, std::chrono::steady_clock::time_point started) {
  return {outcome.ok() ? outcome.response.body() : "failed: " + outcome.detail,
          std::chrono::steady_clock::now() - started};
}

net::awaitable<std::vector<Sent>> send_all(s3up::http::Client& client, std::uint16_t port,
                                           const Bodies* bodies) {
  std::vector<Sent> all;
  const s3up::http::Target target{"127.0.0.1", port, false};
  for (const auto& [path, body] : bodies->in_order()) {
    s3up::http::Request request = put(path, *body);
    const auto started = std::chrono::steady_clock::now();
    const s3up::http::Outcome outcome = co_await client.send(target, request);
    all.push_back(sent(outcome, started));
  }
  co_return all;
}

// The replies: the small and fast PUTs on connection 1, the slow one sent again whole on
// connection 2 (its first try went on connection 1, dropped), sooner than the slow read.
void check(const std::vector<Sent>& all, const SlowFirstServer& server) {
  BOOST_TEST_REQUIRE(all.size() == 3u);
  BOOST_TEST(all[0].reply == "1 100");
  BOOST_TEST(all[1].reply == "1 33554432");
  BOOST_TEST(server.slow_connection() == 1);
  BOOST_TEST(all[2].reply == "2 8388608");
  // A window (0.25 s) to enter the tail and one to judge it, each ended by a write that
  // completes, then 8 MiB at loopback speed (about 1 s here); the slow read alone would take
  // 5.2 s.
  BOOST_TEST(all[2].took < 4s);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(straggler_resend)

BOOST_AUTO_TEST_CASE(the_coroutine_client_sends_a_straggler_again_on_a_new_connection) {
  SlowFirstServer server;
  const Bodies bodies;
  net::io_context ioc(1);
  s3up::http::Client client(ioc.get_executor(), {}, {});
  auto all = net::co_spawn(ioc, send_all(client, server.port(), &bodies), net::use_future);
  ioc.run();
  check(all.get(), server);
  BOOST_TEST(client.stragglers_resent() == 1u);
  BOOST_TEST(client.connections_opened() == 2u);
  client.close_idle();
}

BOOST_AUTO_TEST_CASE(the_blocking_client_sends_a_straggler_again_on_a_new_connection) {
  SlowFirstServer server;
  const Bodies bodies;
  s3up::http::BlockingTransport transport({}, {});
  s3up::http::BlockingClient client(transport);
  const s3up::http::Target target{"127.0.0.1", server.port(), false};
  std::vector<Sent> all;
  for (const auto& [path, body] : bodies.in_order()) {
    s3up::http::Request request = put(path, *body);
    const auto started = std::chrono::steady_clock::now();
    const s3up::http::Outcome outcome = client.send(target, request);
    all.push_back(sent(outcome, started));
  }
  check(all, server);
  BOOST_TEST(transport.stragglers_resent() == 1u);
  BOOST_TEST(transport.connections_opened() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
