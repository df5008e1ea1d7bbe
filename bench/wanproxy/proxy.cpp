#include "proxy.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <string>

namespace wanproxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

// The sender's unsent data: reading stops when more than a window's worth waits for the window
// (at least kReadMin), and starts again below half of that. A real sender's kernel holds about
// that much unsent (Linux sizes the send buffer to twice the cwnd: one window in flight, one
// waiting), so a client sees its writes complete at the modelled rate plus about one window,
// not a fixed megabyte ahead per connection.
constexpr std::int64_t kReadMin = 64 << 10;
constexpr std::size_t kWriteHigh = 4 << 20;     // bytes queued towards the receiver
constexpr std::int64_t kChunkMax = 65536;       // largest piece sent at once (a TSO burst)
// The kernel buffer the proxy's accepted sockets receive into. Loopback would let both ends
// autotune theirs to several MiB per connection (4-5 MiB a connection measured with `ss -tm`
// while the parts of 2 x 100 MiB were sent), so a client's writes would complete megabytes ahead of what the
// modelled path carries. With a small receive window on the loopback leg, and a real path's MSS,
// the client's own send buffer stays small too (Linux sizes it from the loopback leg's cwnd).
constexpr int kAcceptedReceiveBuffer = 64 << 10;
// Asio's timers are timerfd's (sub-microsecond), but every wake-up costs a context switch. Timers
// are armed on a grid of kGrid: every chunk due within one cell, on any connection, is released
// in the same wake-up at the start of the cell (up to kGrid early, kGrid/2 on average).
constexpr double kGrid = 250e-6;
constexpr double kInf = std::numeric_limits<double>::infinity();

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

double round_to(double v, double unit) { return std::round(v / unit) * unit; }

}  // namespace

// One direction of one connection: the sender's window, the bytes on their way, the delivery
// queue and its timer. The bytes live in one buffer, as a stream: [base, head) is gone,
// [head, sent) was sent and waits for its delivery time, [sent, end) waits for the window.
class Pipe {
public:
    Pipe(Conn& conn, Proxy& proxy, int direction, double start_at);
    void feed(const char* data, std::size_t n);
    void feed_eof();
    void pump();
    void start_reading();
    void close();
    void set_src(tcp::socket* s) { src_ = s; }
    void set_dst(tcp::socket* s) { dst_ = s; }
    bool done() const { return done_; }
    void set_done() { done_ = true; }
    bool writing() const { return writing_; }
    void close_after_write() { close_after_write_ = true; }
    void shutdown_dst();

private:
    struct Delivery {
        double due;
        std::uint64_t end;   // stream offset delivered up to
        bool eof;
    };
    struct Ack {
        double first;        // the first segment's ack arrives
        double last;         // the last one's
        std::int64_t bytes;
        std::int64_t credited;
    };

    std::int64_t pending() const { return static_cast<std::int64_t>(base_ + buf_.size() - sent_); }
    // Unsent bytes above which the sender is no longer read (see kReadMin).
    std::int64_t read_high() const {
        return std::max(kReadMin, static_cast<std::int64_t>(cwnd_));
    }
    bool dst_paused() const { return writing_ && out_.size() + queued_.size() > kWriteHigh; }
    void on_readable(error_code ec);
    void release(double now, double hz);
    void write(const char* data, std::size_t n);
    void on_written(error_code ec);
    void arm(double t);
    void compact();

    Conn& conn_;
    Proxy& p_;
    int dir_;
    Link& link_;
    tcp::socket* src_ = nullptr;    // read from (not before the target is connected, for dir 1)
    tcp::socket* dst_ = nullptr;    // written to
    std::string buf_;
    std::uint64_t base_ = 0;
    std::uint64_t head_ = 0;
    std::uint64_t sent_ = 0;
    bool eof_ = false;              // the sender closed: deliver EOF after the data
    bool eof_queued_ = false;
    bool done_ = false;             // EOF delivered (or nothing can be any more)
    bool closed_ = false;
    std::deque<Delivery> deliver_;
    std::deque<Ack> acks_;
    std::int64_t inflight_ = 0;
    std::int64_t peak_ = 0;
    double cwnd_;
    double ssthresh_;
    double recover_until_ = 0;
    double last_tx_;
    double last_due_ = 0;
    double start_at_;
    asio::steady_timer timer_;
    double timer_at_ = kInf;
    std::uint64_t timer_generation_ = 0;
    bool reading_ = false;
    bool src_paused_ = false;
    bool src_ended_ = false;
    bool writing_ = false;
    std::string out_;        // being written
    std::string queued_;     // released while out_ is being written
    bool eof_after_write_ = false;
    bool close_after_write_ = false;
};

class Conn : public std::enable_shared_from_this<Conn> {
public:
    Conn(Proxy& proxy, tcp::socket client);
    void start(tcp::endpoint target);
    void eof_delivered(Pipe& pipe);
    // A socket failed (reset, or a write error). Its peer sees an EOF after the delay.
    void lost(tcp::socket* side, bool error);
    void shutdown();
    void abort();
    bool closed() const { return closed_; }
    std::uint64_t active_epoch = 0;

private:
    friend class Pipe;
    Proxy& p_;
    tcp::socket client_;
    tcp::socket up_;
    Pipe c2s_;
    Pipe s2c_;
    bool closed_ = false;
};

// ---------------------------------------------------------------------------------------------
Pipe::Pipe(Conn& conn, Proxy& proxy, int direction, double start_at)
    : conn_(conn), p_(proxy), dir_(direction), link_(proxy.link(direction)),
      cwnd_(static_cast<double>(proxy.profile().iw)),
      ssthresh_(static_cast<double>(proxy.profile().rwnd)), last_tx_(start_at),
      start_at_(start_at), timer_(proxy.io()) {}

void Pipe::start_reading() {
    if (reading_ || src_paused_ || src_ended_ || closed_ || src_ == nullptr)
        return;
    reading_ = true;
    src_->async_wait(tcp::socket::wait_read,
                     [self = conn_.shared_from_this(), this](error_code ec) {
                         reading_ = false;
                         on_readable(ec);
                     });
}

void Pipe::on_readable(error_code ec) {
    if (closed_ || ec == asio::error::operation_aborted)
        return;
    std::size_t n = 0;
    if (!ec)
        n = src_->read_some(asio::buffer(p_.read_buffer()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
        start_reading();
        return;
    }
    if (ec == asio::error::eof) {
        src_ended_ = true;
        feed_eof();
        return;
    }
    if (ec) {
        src_ended_ = true;
        conn_.lost(src_, true);
        return;
    }
    feed(p_.read_buffer().data(), n);
    start_reading();
}

void Pipe::feed(const char* data, std::size_t n) {
    buf_.append(data, n);
    if (pending() > read_high())
        src_paused_ = true;      // start_reading() waits until the window drains it
    pump();
}

void Pipe::feed_eof() {
    eof_ = true;
    pump();
}

void Pipe::pump() {
    if (closed_)
        return;
    const Profile& prof = p_.profile();
    const double now = p_.now();
    const double hz = now + kGrid;    // what is due before this is done now (see kGrid)
    // Acks of a chunk arrive spread over its serialisation time (one per segment in reality),
    // so a window larger than the bandwidth-delay product keeps the link busy.
    while (!acks_.empty()) {
        Ack& a = acks_.front();
        std::int64_t n = 0;
        bool whole = false;
        if (hz >= a.last) {
            n = a.bytes - a.credited;
            whole = true;
        } else if (hz > a.first) {
            n = static_cast<std::int64_t>(static_cast<double>(a.bytes) * (hz - a.first) /
                                          (a.last - a.first)) - a.credited;
            a.credited += n;
        } else {
            break;
        }
        if (whole)
            acks_.pop_front();
        if (n > 0) {
            if (static_cast<double>(peak_) * 2 >= cwnd_) {   // grow only while the window is used
                if (cwnd_ < ssthresh_)
                    cwnd_ += static_cast<double>(n);
                else
                    cwnd_ += static_cast<double>(kMss) * static_cast<double>(n) / cwnd_;
                cwnd_ = std::min(cwnd_, static_cast<double>(prof.rwnd));
            }
            inflight_ -= n;
            if (inflight_ <= 0) {
                inflight_ = 0;
                peak_ = 0;
            }
        }
        if (!whole)
            break;
    }
    if (!deliver_.empty() && deliver_.front().due <= hz) {
        release(now, hz);
        if (closed_)
            return;
    }
    if (hz < start_at_) {   // SYN, SYN-ACK: nothing is sent before the handshake's RTT
        arm(start_at_);
        return;
    }
    if (pending() > 0 && inflight_ == 0 && prof.idle_restart) {
        const double idle = now - last_tx_;
        if (idle > prof.rto()) {
            const int halve = static_cast<int>(std::min(idle / prof.rto(), 30.0));
            cwnd_ = std::max(static_cast<double>(prof.iw), std::ldexp(cwnd_, -halve));
        }
    }
    bool sent = false;
    while (pending() > 0 && static_cast<double>(inflight_) < cwnd_ && !dst_paused()) {
        std::int64_t room = static_cast<std::int64_t>(cwnd_ - static_cast<double>(inflight_));
        if (room < kMss && pending() > room)
            room = std::min(kMss, pending());   // whole segments: a window is never < 1 MSS
        room = std::min(room, kChunkMax);
        const std::int64_t n = std::min(room, pending());
        sent_ += static_cast<std::uint64_t>(n);
        const Link::Slot slot = link_.send(now, n);
        double due = slot.end + prof.half();
        bool lost = slot.overflow;
        if (slot.overflow) {
            ++p_.stats().loss_queue;
        } else if (p_.loss().lost((n + kMss - 1) / kMss)) {
            lost = true;
            ++p_.stats().loss_random;
        }
        if (lost) {
            // The retransmission: this chunk (and, in order, all behind it) reaches the receiver
            // one RTT later; the acks of the rest are not held up (SACK).
            due += prof.rtt;
            if (now >= recover_until_) {   // several losses in one window: one congestion event
                ++p_.stats().congestion_events;
                ssthresh_ = std::max(cwnd_ / 2, 2.0 * kMss);
                cwnd_ = ssthresh_;
                recover_until_ = now + prof.rtt;
            }
        }
        due = std::max(due, last_due_);    // in order
        last_due_ = due;
        deliver_.push_back({due, sent_, false});
        acks_.push_back({slot.start + prof.rtt, slot.end + prof.rtt, n, 0});
        inflight_ += n;
        peak_ = std::max(peak_, inflight_);
        sent = true;
    }
    if (sent) {
        last_tx_ = now;
        if (dir_ == 0)
            p_.mark_active(conn_);
        p_.stats().max_cwnd = std::max(p_.stats().max_cwnd, static_cast<std::int64_t>(cwnd_));
    }
    if (eof_ && pending() == 0 && !eof_queued_) {
        eof_queued_ = true;
        const double due = std::max(last_due_, now + prof.half());
        last_due_ = due;
        deliver_.push_back({due, sent_, true});
    }
    if (src_paused_ && pending() < read_high() / 2) {
        src_paused_ = false;
        start_reading();
    }
    if (!deliver_.empty() && deliver_.front().due <= hz) {
        release(now, hz);
        if (closed_)
            return;
    }
    // Next wake-up: the next delivery, or the next ack while data waits for the window.
    double t = (!deliver_.empty() && dst_ != nullptr) ? deliver_.front().due : kInf;
    if (pending() > 0 && !acks_.empty()) {
        const Ack& a = acks_.front();
        double ta = a.first;
        if (hz >= a.first) {   // when a useful amount more is acked: 8 segments or cwnd/8
            const double q = std::max(8.0 * kMss, cwnd_ / 8);
            ta = a.first + (a.last - a.first) *
                               std::min(1.0, (static_cast<double>(a.credited) + q) /
                                                 static_cast<double>(a.bytes));
        }
        t = std::min(t, ta);
    }
    if (t < kInf)
        arm(t);
}

void Pipe::arm(double due) {
    const double t = std::floor(due / kGrid) * kGrid;
    if (timer_at_ <= t)   // armed already, as early or earlier
        return;
    timer_at_ = t;
    const std::uint64_t generation = ++timer_generation_;
    timer_.expires_at(p_.at(t));   // cancels the wait armed before, if any
    timer_.async_wait([self = conn_.shared_from_this(), this, generation](error_code) {
        if (generation != timer_generation_)
            return;
        timer_at_ = kInf;
        pump();
    });
}

void Pipe::release(double now, double hz) {
    if (dst_ == nullptr)   // the target is not connected yet
        return;
    std::uint64_t end = head_;
    bool eof = false;
    while (!deliver_.empty() && deliver_.front().due <= hz) {
        const Delivery d = deliver_.front();
        deliver_.pop_front();
        p_.stats().late.add(now - d.due);
        if (d.eof) {
            eof = true;
            break;
        }
        end = d.end;
    }
    if (end > head_) {
        const std::size_t n = end - head_;
        p_.stats().bytes[static_cast<std::size_t>(dir_)] += n;
        write(buf_.data() + (head_ - base_), n);
        head_ = end;
        compact();
    }
    if (eof) {
        done_ = true;
        conn_.eof_delivered(*this);
    }
}

void Pipe::compact() {
    const std::size_t gone = head_ - base_;
    if (gone == buf_.size()) {
        buf_.clear();
    } else if (gone > (256u << 10) && gone * 2 > buf_.size()) {
        buf_.erase(0, gone);
    } else {
        return;
    }
    base_ = head_;
}

void Pipe::write(const char* data, std::size_t n) {
    if (writing_) {
        queued_.append(data, n);
        return;
    }
    writing_ = true;
    out_.assign(data, n);
    asio::async_write(*dst_, asio::buffer(out_),
                      [self = conn_.shared_from_this(), this](error_code ec, std::size_t) {
                          on_written(ec);
                      });
}

void Pipe::on_written(error_code ec) {
    const bool was_paused = dst_paused();
    if (ec) {
        writing_ = false;
        out_.clear();
        queued_.clear();
        if (ec != asio::error::operation_aborted && !conn_.closed())
            conn_.lost(dst_, true);
        return;
    }
    if (!queued_.empty()) {
        out_.swap(queued_);
        queued_.clear();
        asio::async_write(*dst_, asio::buffer(out_),
                          [self = conn_.shared_from_this(), this](error_code e, std::size_t) {
                              on_written(e);
                          });
    } else {
        writing_ = false;
        out_.clear();
        if (close_after_write_) {
            error_code ignored;
            dst_->close(ignored);
            return;
        }
        if (eof_after_write_) {
            eof_after_write_ = false;
            shutdown_dst();
        }
    }
    if (was_paused && !dst_paused())
        pump();
}

void Pipe::shutdown_dst() {
    if (writing_) {
        eof_after_write_ = true;
        return;
    }
    error_code ignored;
    dst_->shutdown(tcp::socket::shutdown_send, ignored);
}

void Pipe::close() {
    closed_ = true;
    ++timer_generation_;
    timer_at_ = kInf;
    timer_.cancel();
}

// ---------------------------------------------------------------------------------------------
Conn::Conn(Proxy& proxy, tcp::socket client)
    : p_(proxy), client_(std::move(client)), up_(proxy.io()),
      c2s_(*this, proxy, 0, proxy.now() + proxy.profile().rtt),   // SYN, SYN-ACK first
      s2c_(*this, proxy, 1, proxy.now()) {
    c2s_.set_src(&client_);
    s2c_.set_dst(&client_);
    p_.opened();
}

void Conn::start(tcp::endpoint target) {
    c2s_.start_reading();
    up_.async_connect(target, [self = shared_from_this(), this](error_code ec) {
        if (closed_) {
            error_code ignored;
            up_.close(ignored);
            return;
        }
        if (ec) {
            ++p_.stats().conns_failed;
            abort();
            return;
        }
        error_code ignored;
        up_.set_option(tcp::no_delay(true), ignored);
        up_.non_blocking(true, ignored);
        c2s_.set_dst(&up_);
        s2c_.set_src(&up_);
        s2c_.start_reading();
        c2s_.pump();
    });
}

void Conn::eof_delivered(Pipe& pipe) {
    pipe.shutdown_dst();
    if (c2s_.done() && s2c_.done())
        shutdown();
}

void Conn::lost(tcp::socket* side, bool error) {
    if (side == &client_) {
        c2s_.feed_eof();
        if (error)   // the client is gone: nothing more can reach it
            s2c_.set_done();
    } else {
        s2c_.feed_eof();
        if (error)
            c2s_.set_done();
    }
    if (c2s_.done() && s2c_.done())
        shutdown();
}

void Conn::shutdown() {
    if (closed_)
        return;
    closed_ = true;
    p_.closed();
    c2s_.close();
    s2c_.close();
    // Bytes already released still reach the peer: a socket closes once its writes are done.
    error_code ignored;
    if (s2c_.writing())
        s2c_.close_after_write();
    else
        client_.close(ignored);
    if (c2s_.writing())
        c2s_.close_after_write();
    else
        up_.close(ignored);
}

void Conn::abort() {
    if (closed_)
        return;
    closed_ = true;
    p_.closed();
    c2s_.close();
    s2c_.close();
    error_code ignored;
    client_.close(ignored);
    up_.close(ignored);
}

// ---------------------------------------------------------------------------------------------
Proxy::Proxy(asio::io_context& io, Profile profile, std::uint64_t seed)
    : io_(io), profile_(profile),
      links_{Link(profile.rate_bits / 8, profile.queue), Link(profile.rate_bits / 8, profile.queue)},
      loss_(profile.loss, seed), epoch_(std::chrono::steady_clock::now()),
      read_buffer_(256 << 10), interval_(std::max(0.1, profile.rtt)), sampler_(io) {
    reset();
    sample();
}

double Proxy::now() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_).count();
}

std::chrono::steady_clock::time_point Proxy::at(double t) const {
    return epoch_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                        std::chrono::duration<double>(t));
}

void Proxy::opened() {
    ++open_;
    ++stats_.conns;
    stats_.max_open = std::max(stats_.max_open, open_);
}

void Proxy::mark_active(Conn& conn) {
    if (conn.active_epoch != epoch_number_) {
        conn.active_epoch = epoch_number_;
        ++active_;
    }
}

void Proxy::sample() {
    if (timeline_.size() < 20000 && now() > stats_.t0)
        timeline_.push_back({round_to(now() - stats_.t0, 1e-3), static_cast<double>(active_),
                             static_cast<double>(open_)});
    ++epoch_number_;
    active_ = 0;
    sampler_.expires_at(at(now() + interval_));
    sampler_.async_wait([this](error_code ec) {
        if (!ec)
            sample();
    });
}

std::uint16_t Proxy::listen(std::uint16_t lport, tcp::endpoint target) {
    auto acceptor = std::make_shared<tcp::acceptor>(io_);
    const tcp::endpoint at(asio::ip::make_address_v4("127.0.0.1"), lport);
    acceptor->open(at.protocol());
    acceptor->set_option(tcp::acceptor::reuse_address(true));
    // Before listen(): accepted sockets inherit it, and the window scale is chosen from it.
    acceptor->set_option(asio::socket_base::receive_buffer_size(kAcceptedReceiveBuffer));
    // ... and a real path's MSS, advertised to the client: on loopback (MSS 64 KiB) its initial
    // window of 10 segments alone would be 640 KiB, and its send buffer twice that.
    const int mss = static_cast<int>(kMss);
    ::setsockopt(acceptor->native_handle(), IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof mss);
    acceptor->bind(at);
    acceptor->listen(4096);
    const std::uint16_t port = acceptor->local_endpoint().port();
    targets_[port] = target;
    acceptors_.push_back(acceptor);
    accept(acceptor, port);
    return port;
}

bool Proxy::retarget(std::uint16_t lport, tcp::endpoint target) {
    auto it = targets_.find(lport);
    if (it == targets_.end())
        return false;
    it->second = target;
    return true;
}

void Proxy::accept(std::shared_ptr<tcp::acceptor> acceptor, std::uint16_t port) {
    acceptor->async_accept([this, acceptor, port](error_code ec, tcp::socket s) {
        if (ec == asio::error::operation_aborted || !acceptor->is_open())
            return;
        if (!ec) {
            error_code ignored;
            s.set_option(tcp::no_delay(true), ignored);
            s.non_blocking(true, ignored);
            auto conn = std::make_shared<Conn>(*this, std::move(s));
            conn->start(targets_[port]);
        }
        accept(acceptor, port);
    });
}

void Proxy::close_listeners() {
    for (auto& a : acceptors_) {
        error_code ignored;
        a->close(ignored);
    }
    sampler_.cancel();
}

void Proxy::reset() {
    stats_ = Stats{};
    stats_.t0 = now();
    stats_.cpu0 = cpu_seconds();
    for (auto& l : links_)
        l.reset_max_queue();
    timeline_.clear();
}

boost::json::object Proxy::report(bool timeline) const {
    namespace json = boost::json;
    const double wall = now() - stats_.t0;
    const double cpu = cpu_seconds() - stats_.cpu0;
    const Lateness& late = stats_.late;
    json::object lateness{
        {"chunks", late.count()},
        {"p50_ms", round_to(late.quantile(0.5) * 1e3, 1e-3)},
        {"p99_ms", round_to(late.quantile(0.99) * 1e3, 1e-3)},
        {"p999_ms", round_to(late.quantile(0.999) * 1e3, 1e-3)},
        {"max_ms", round_to(late.max() * 1e3, 1e-3)},
        {"mean_signed_ms", round_to(late.mean_signed() * 1e3, 1e-3)},
        {"over_1ms", late.over_1ms()}};
    json::object profile{{"rtt_ms", profile_.rtt * 1e3},
                         {"rate_bits", profile_.rate_bits},
                         {"loss", profile_.loss},
                         {"rwnd", profile_.rwnd},
                         {"iw", profile_.iw},
                         {"queue_ms", round_to(profile_.queue * 1e3, 1e-3)},
                         {"idle_restart", profile_.idle_restart},
                         {"loop", "asio (C++, bench/wanproxy)"}};
    json::object out{{"profile", std::move(profile)},
                     {"wall_s", round_to(wall, 1e-3)},
                     {"cpu_s", round_to(cpu, 1e-3)},
                     {"cpu_fraction", wall > 0 ? round_to(cpu / wall, 1e-3) : 0.0},
                     {"connections", stats_.conns},
                     {"connections_failed", stats_.conns_failed},
                     {"open_connections", open_},
                     {"max_open_connections", stats_.max_open},
                     {"bytes_up", stats_.bytes[0]},
                     {"bytes_down", stats_.bytes[1]},
                     {"lateness", std::move(lateness)},
                     {"losses_random", stats_.loss_random},
                     {"losses_queue", stats_.loss_queue},
                     {"congestion_events", stats_.congestion_events},
                     {"max_cwnd", stats_.max_cwnd},
                     {"max_queue_ms_up", round_to(links_[0].max_queue() * 1e3, 1e-3)},
                     {"max_queue_ms_down", round_to(links_[1].max_queue() * 1e3, 1e-3)}};
    if (timeline) {
        json::array t;
        for (const auto& row : timeline_)
            t.push_back(json::array{row[0], static_cast<std::int64_t>(row[1]),
                                    static_cast<std::int64_t>(row[2])});
        out["timeline"] = std::move(t);
    }
    return out;
}

}  // namespace wanproxy
