// The network a wanproxy connection crosses, without any I/O: the profile (RTT, shared link,
// loss), the shared bottleneck of each direction, and the release-lateness histogram the proxy
// reports about itself. The per-connection TCP model (window, delivery queue) is in proxy.cpp.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace wanproxy {

inline constexpr std::int64_t kMss = 1448;
inline constexpr std::int64_t kInitialSegments = 10;

struct Profile {
    double rtt = 0.0;            // seconds added to every round trip
    double rate_bits = 0.0;      // shared link rate each way, bits/s; 0: unlimited
    double loss = 0.0;           // loss probability per segment
    std::int64_t rwnd = 4 << 20; // receive window: the cwnd cap
    double queue = 0.0;          // bottleneck queue, seconds of data
    bool idle_restart = true;    // Linux's tcp_slow_start_after_idle
    std::int64_t iw = kInitialSegments * kMss;

    double half() const { return rtt / 2; }
    double rto() const { return rtt + 0.2; }
};

// One direction of the shared bottleneck: a FIFO serialising bytes at the link rate.
class Link {
public:
    struct Slot {
        double start;    // when the chunk starts leaving the bottleneck
        double end;      // when its last byte has left
        bool overflow;   // it found the queue fuller than the queue limit: a loss
    };

    Link(double rate_bytes, double queue_limit) : rate_(rate_bytes), qmax_(queue_limit) {}
    Slot send(double now, std::int64_t n);
    double max_queue() const { return max_queue_; }
    void reset_max_queue() { max_queue_ = 0.0; }

private:
    double rate_;
    double qmax_;
    double free_ = 0.0;
    double max_queue_ = 0.0;
};

// Release lateness against the due time: 20 us bins up to 200 ms, then a list.
class Lateness {
public:
    void add(double late);
    double quantile(double q) const;
    std::uint64_t count() const { return n_; }
    double max() const { return max_; }
    double mean_signed() const { return n_ ? sum_ / static_cast<double>(n_) : 0.0; }
    std::uint64_t over_1ms() const { return over_1ms_; }

private:
    static constexpr double kBin = 20e-6;
    static constexpr std::size_t kBins = 10000;
    std::vector<std::uint64_t> bins_ = std::vector<std::uint64_t>(kBins, 0);
    std::vector<double> over_;
    std::uint64_t n_ = 0;
    double max_ = 0.0;
    double sum_ = 0.0;
    std::uint64_t over_1ms_ = 0;
};

// Whether a chunk of `segments` segments loses one, at the profile's loss rate.
class LossModel {
public:
    explicit LossModel(double loss, std::uint64_t seed);
    bool lost(std::int64_t segments);

private:
    double log_keep_;   // log(1 - p)
    std::mt19937_64 rng_;
    std::uniform_real_distribution<double> uniform_{0.0, 1.0};
};

// "20ms", "0.5s", "150" (milliseconds) -> seconds; "1gbit", "200mbit", "100m", "0" -> bits/s;
// "4MiB", "256KiB" -> bytes. Each throws std::invalid_argument on text it cannot read.
double parse_duration(std::string s);
double parse_rate(std::string s);
std::int64_t parse_size(std::string s);

}  // namespace wanproxy
