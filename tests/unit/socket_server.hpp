// A blocking server on 127.0.0.1 for the HTTP clients' tests: one thread accepts, and each
// connection gets a thread of its own running `serve(socket, number)`, numbered from 1 in the
// order they were accepted.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace s3up::test {

class SocketServer {
 public:
  using tcp = boost::asio::ip::tcp;
  using Serve = std::function<void(tcp::socket&, int number)>;

  // `configure` is applied to the acceptor before listen() (accepted sockets inherit it).
  explicit SocketServer(Serve serve, const std::function<void(tcp::acceptor&)>& configure = {})
      : serve_(std::move(serve)), acceptor_(ioc_) {
    const tcp::endpoint at(boost::asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(at.protocol());
    if (configure) configure(acceptor_);
    acceptor_.bind(at);
    acceptor_.listen();
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~SocketServer() {
    stopping_ = true;
    boost::system::error_code ec;
    // Wake the blocking accept with one last connection.
    tcp::socket poke(ioc_);
    poke.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
    for (auto& s : sockets_) s->shutdown(tcp::socket::shutdown_both, ec);
    for (auto& t : connections_) t.join();
  }
  SocketServer(const SocketServer&) = delete;
  SocketServer& operator=(const SocketServer&) = delete;

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int accepted() const { return accepted_.load(); }

 private:
  void accept_loop() {
    for (;;) {
      auto socket = std::make_shared<tcp::socket>(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(*socket, ec);
      if (ec || stopping_) return;
      const int number = ++accepted_;
      sockets_.push_back(socket);
      connections_.emplace_back([this, socket, number] { serve_(*socket, number); });
    }
  }

  const Serve serve_;
  boost::asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
  // Touched by the accept thread, then by the destructor once that thread has ended.
  std::vector<std::shared_ptr<tcp::socket>> sockets_;
  std::vector<std::thread> connections_;
};

}  // namespace s3up::test
