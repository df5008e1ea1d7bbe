// The delaying TCP proxy: listeners on 127.0.0.1, and for every accepted connection one to its
// target, both directions relayed through a model of a TCP path (path_model.hpp): RTT/2 of
// propagation each way, one RTT of handshake before the first byte, a congestion window with
// slow start, a rate-limited bottleneck shared by all connections, loss. One thread: the model
// needs no lock, and the proxy's CPU time is one number. The model, its checks
// (bench/wanproxy_check.py) and its ceiling: bench/README.md, "WAN".
#pragma once

#include "path_model.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

namespace wanproxy {

class Conn;

struct Stats {
    double t0 = 0;
    double cpu0 = 0;
    Lateness late;
    std::uint64_t conns = 0;
    std::uint64_t conns_failed = 0;
    std::int64_t max_open = 0;
    std::uint64_t loss_random = 0;
    std::uint64_t loss_queue = 0;
    std::uint64_t congestion_events = 0;
    std::array<std::uint64_t, 2> bytes{};   // delivered client->server, server->client
    std::int64_t max_cwnd = 0;
};

class Proxy {
public:
    Proxy(boost::asio::io_context& io, Profile profile, std::uint64_t seed);

    // Listens on 127.0.0.1:lport (0: any free port) and relays to target; returns the port.
    std::uint16_t listen(std::uint16_t lport, boost::asio::ip::tcp::endpoint target);
    // Re-points a listener (e.g. at a restarted server); false if there is no such listener.
    bool retarget(std::uint16_t lport, boost::asio::ip::tcp::endpoint target);
    // The report: the profile, CPU and wall time since the last reset, connections, bytes,
    // lateness, losses; with the timeline when asked. reset() zeroes what the report counts.
    boost::json::object report(bool timeline) const;
    void reset();
    void close_listeners();

    // For the connections.
    boost::asio::io_context& io() { return io_; }
    const Profile& profile() const { return profile_; }
    Link& link(int direction) { return links_[direction]; }
    LossModel& loss() { return loss_; }
    Stats& stats() { return stats_; }
    double now() const;
    std::chrono::steady_clock::time_point at(double t) const;
    std::vector<char>& read_buffer() { return read_buffer_; }
    void opened();
    void closed() { --open_; }
    void mark_active(Conn& conn);

private:
    void accept(std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor, std::uint16_t port);
    void sample();

    boost::asio::io_context& io_;
    Profile profile_;
    std::array<Link, 2> links_;
    LossModel loss_;
    Stats stats_;
    std::chrono::steady_clock::time_point epoch_;
    std::vector<char> read_buffer_;
    std::map<std::uint16_t, boost::asio::ip::tcp::endpoint> targets_;
    std::vector<std::shared_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
    std::int64_t open_ = 0;
    // Timeline: every max(100 ms, RTT), how many connections sent request bytes in that interval
    // (about the requests in flight, whatever the client) and how many were open.
    std::uint64_t epoch_number_ = 1;
    std::int64_t active_ = 0;
    double interval_;
    boost::asio::steady_timer sampler_;
    std::vector<std::array<double, 3>> timeline_;
};

}  // namespace wanproxy
