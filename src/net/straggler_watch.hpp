// Stragglers: a request body left among the last few in flight at the end of a run and sent far
// slower than a fresh connection would send it is abandoned and sent again at once on a new
// connection (not a failure, no backoff), as the coroutine and blocking clients already do for a
// pooled connection the server closed while idle.
//
// Why: on a congested path the bodies in flight share the link, and the losses of those seconds
// cut each connection's window; when the others end together, one large body can be left alone
// on a connection whose window grows back by a segment per round trip, for seconds, while a new
// connection's slow start would take the whole link within a few round trips (the benchmark's
// tree at 80 ms: its one 8 MiB body spent 1.7-4.8 s alone at the end of runs at 256 in flight
// and auto, against 1.22-1.24 s sent alone on a fresh connection; README, "Start order").
//
// The rule (worth_resending): a body is judged once per window (the larger of 0.25 s and four
// round trips) while few requests are in flight and none has started for a window (nothing
// waits); it is sent again when finishing it at the rate of its last window would take at
// least `gain` times as long as sending it whole on a new connection (the connection's opening,
// then slow start from ten segments up to its share of the run's peak rate, then that rate), and
// would save at least `min_saving`. Each request is sent again this way at most once.
//
// What it measures, without I/O of its own: the bytes written (each piece of a body as it goes
// out), the run's peak send rate (over intervals of at least kRateInterval), the round trip
// (the shortest wait from a request's last byte to its reply) and the opening of a connection
// (the shortest TCP connect plus TLS handshake). Thread-safe.
#pragma once
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>

namespace s3up::http::detail {

using WatchClock = std::chrono::steady_clock;

struct StragglerRule {
  std::size_t last_few = 4;                    // at most this many requests in flight
  std::chrono::milliseconds min_window{250};   // judged over windows of max(this, 4 RTT)
  double gain = 1.5;                           // finishing takes >= gain x a fresh send
  std::chrono::milliseconds min_saving{200};   // and a fresh send saves at least this
  std::uint64_t min_body = 256 * 1024;         // smaller bodies are never judged
};

// What a judgement looks at (seconds, bytes, bytes per second).
struct StragglerView {
  std::uint64_t size = 0;  // the body's bytes on the wire
  std::uint64_t left = 0;  // not yet written (the header, written first, counts as body)
  double rate = 0;         // its rate over the last window
  std::size_t in_flight = 1;
  double peak_rate = 0;    // the run's
  double rtt = 0;
  double opening = 0;      // a new connection's TCP connect and TLS handshake
};

// The initial congestion window: ten segments of a 1,448-byte MSS (RFC 6928).
inline constexpr double kInitialWindow = 10 * 1448.0;

// The time from a new connection's first body byte to the reply, for `bytes` at up to `rate`
// with round trips of `rtt`: slow start (windows of 10, 20, 40... segments, one per round trip)
// until a window carries rate x rtt, then `rate`; the last byte's and the reply's half round
// trips make one more.
double fresh_send_seconds(double bytes, double rate, double rtt);

// Whether the body `v` describes is worth abandoning and sending again on a new connection.
bool worth_resending(const StragglerView& v, const StragglerRule& rule);

class StragglerWatch {
 public:
  // Intervals at least this long measure the run's send rate.
  static constexpr std::chrono::milliseconds kRateInterval{100};

  explicit StragglerWatch(StragglerRule rule = {}) : rule_(rule) {}

  // One exchange, from its first byte written to its reply (or its failure): in flight while it
  // lives. `judged`: its body may be found a straggler (false for a body already sent again).
  class Exchange {
   public:
    Exchange(StragglerWatch& watch, std::uint64_t size, bool judged,
             WatchClock::time_point now = WatchClock::now());
    ~Exchange();
    Exchange(const Exchange&) = delete;
    Exchange& operator=(const Exchange&) = delete;

    // `n` more bytes written at `now`. False: a straggler, to abandon and send again on a new
    // connection (counted in resent()).
    bool wrote(std::uint64_t n, WatchClock::time_point now = WatchClock::now());
    // The whole request is written: the wait for its reply begins.
    void written(WatchClock::time_point now = WatchClock::now());
    // Its reply came.
    void answered(WatchClock::time_point now = WatchClock::now());
    // wrote() returned false.
    bool abandoned() const { return abandoned_; }

   private:
    StragglerWatch& watch_;
    std::uint64_t size_;
    bool judged_;
    bool abandoned_ = false;
    std::uint64_t done_ = 0;
    std::optional<WatchClock::time_point> written_at_;
    // The start of the window being measured (in the tail only): when and how much was written.
    std::optional<WatchClock::time_point> window_at_;
    std::uint64_t window_done_ = 0;
  };

  // A connection opened in `took` (TCP connect and TLS handshake).
  void opened(WatchClock::duration took);

  std::uint64_t bytes_written() const { return written_.load(std::memory_order_relaxed); }
  std::uint64_t resent() const { return resent_.load(std::memory_order_relaxed); }
  double peak_rate() const;
  // 0 until measured.
  double rtt() const;

 private:
  void add(std::uint64_t n, WatchClock::time_point now);
  WatchClock::duration window() const;
  // Few in flight and none started for a window.
  bool in_tail(WatchClock::time_point now) const;
  static std::int64_t ticks(WatchClock::time_point t) { return t.time_since_epoch().count(); }
  static void lower(std::atomic<std::int64_t>& v, std::int64_t x);

  const StragglerRule rule_;
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> resent_{0};
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<std::int64_t> last_start_{0};               // WatchClock ticks
  std::atomic<std::int64_t> rtt_{INT64_MAX};              // WatchClock ticks, shortest
  std::atomic<std::int64_t> opening_{INT64_MAX};          // WatchClock ticks, shortest
  std::atomic<std::int64_t> next_sample_{0};              // WatchClock ticks
  mutable std::mutex rate_mutex_;                         // the samples below
  std::optional<WatchClock::time_point> sample_at_;
  std::uint64_t sample_written_ = 0;
  double peak_rate_ = 0;
};

}  // namespace s3up::http::detail
