// --concurrency auto: the number of requests in flight adapts to what the endpoint gives.
//
// AdaptiveConcurrency is the policy, pure (no clock, no I/O): it is fed one Window of measures at
// a time and moves the limit. It starts as TCP does, in slow start: the limit doubles every window
// that holds work back while each doubling raises throughput by more than `slow_start_rise` (so
// that on a link with 80 ms of round trip it reaches hundreds of requests in flight within a
// second, where growing by a quarter would take many; on a WAN, where the first requests took
// `open_ahead_from` or more, the first growth is x8, three doublings, as many as TCP's slow start
// makes in the 3.5 round trips the first answers took); the first doubling that brings less, a
// SlowDown or a rising latency ends slow start. A doubling whose first window shows too little is
// judged (against the window before the doubling) only after one more window, and once the windows
// since it last as long as a new connection's first request took at the start (the first measure's
// median latency, at most `max_warm_up`): the connections it opens take a few round trips (TCP,
// TLS) before they carry requests, 600 ms at 150 ms of round trip, so on a WAN the windows right
// after it show only part of its gain. The first window's rate counts at most what its limit gives
// at the latency measured after (Little's law): the first requests, started together, complete
// together, so its rate is a burst. From then on, AIMD-like:
//  - a SlowDown (503) reply in the window: cut (x0.5, at least 1), then let a few windows pass
//    while the requests sent under the old limit drain;
//  - median latency up by more than `latency_rise` without such a throughput gain: after a
//    growth smaller than x2, back to where it started (its own requests were queueing); at a
//    limit that held and holds work back, past slow start, a drain (below), judged and undone
//    like any; otherwise (a doubling, no base latency yet) cut;
//  - requests queueing while the limit holds work back, past slow start (the window's median
//    latency more than `queue_max` above the base latency, the lowest window median, renewed
//    after `base_latency_life` seconds by the lowest of the windows since): no growth, and once
//    throughput is steady (not up by more than `rise`: a window of a ramp reads low) drain to
//    the knee, the requests in flight the delivery rate needs at the base latency (Little's
//    law: rate x base latency, the larger rate of this window and the last, times
//    `knee_headroom`; at most halving), as BBR sizes its window to the bandwidth-delay product:
//    above it requests only wait in a queue (a link's, a CPU's), each holding a connection and
//    its buffers, and the run goes no faster. The next window is let pass (it completes what
//    the old limit sent); if the one after shows the rate down by more than `drain_loss`, the
//    drain is undone and later drains stop a growth step above it;
//  - throughput (bytes/s or requests/s, whichever rose more) up by more than `rise` on the
//    previous window while the limit held requests back: grow (x1.25, at least +1, at most max);
//  - otherwise hold.
// Every growth is a probe: when the next window shows no gain (once its connections had the
// time to open, as above) it is undone, so the limit settles where throughput stopped rising
// instead of creeping up. The first window whose limit holds requests back (nothing to compare
// with yet) starts probing at once; after `probe_windows` windows of holding at a saturated
// limit, growth is tried again (the endpoint may have more to give).
//
// "Start moderate" is counted in bytes as well as requests: when the requests are large (parts
// of a multipart upload), the starting limit is lowered so that at most `start_bytes` are in
// flight before the first measure (request_size_hint), since with 32 parts of 16 MiB under way
// nothing completes for seconds and the policy has nothing to judge while memory fills.
//
// Large requests are judged by what is sent, not by what completes. Once requests of
// `large_request` bytes or more are announced (request_size_hint: multipart parts), a window
// with fewer than `min_requests` completions (or one after such a window) is judged by the rate
// of request bytes written to the connections (Window::written), which moves as the bodies go
// out, and the controllers keep windows of kLargeRequestWindow: on an 80 ms link a 16 MiB part
// takes seconds, so windows long enough to see parts complete (twice their latency) would allow
// a decision or two in a whole run, each on one or two completions.
//
// ConcurrencyController runs the policy in the async engine: a steady_timer loop on its own
// strand samples the run's Report every window (WindowSampler) and applies the limit with
// AsyncSemaphore::set_capacity. PoolController (elastic_pool.hpp) does the same for the
// threaded engine's pool.
#pragma once
#include "coro/semaphore.hpp"
#include "engine/latency_histogram.hpp"
#include "engine/limit_history.hpp"
#include "engine/report.hpp"
#include "util/cpu_load.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

namespace s3up::engine {

struct AdaptiveConfig {
  std::size_t initial = 32;
  std::size_t min = 1;
  std::size_t max = 1024;
  double growth = 1.25;        // limit x growth (at least +1) while throughput rises
  bool slow_start = true;      // double at first while throughput rises by slow_start_rise
  double slow_start_rise = 0.25;
  double cut = 0.5;            // limit x cut on SlowDown or rising latency
  double rise = 0.05;          // throughput "rises" when up by more than this fraction
  double latency_rise = 0.5;   // median latency up by more than this fraction: too many in flight
  std::uint64_t min_requests = 8;  // windows with fewer completions say nothing about latency
  int settle_windows = 2;      // windows left unjudged after a cut
  int probe_windows = 8;       // windows of holding at the limit before growth is tried again
  std::uint64_t start_bytes = 128ull << 20;  // bytes in flight at most before the first measure
  std::size_t start_min = 4;   // ... but at least this many requests
  std::uint64_t large_request = 1ull << 20;  // from this size on, judged by bytes written
  double max_warm_up = 2.0;    // seconds: the longest wait for a growth's connections to open
  // Seconds a new connection's first request takes from which, in slow start, connections are
  // opened a doubling ahead (0: never): 150 ms is 3.5 round trips of 43 ms. Below, a run is
  // bound by CPU more than by round trips, and connections opened for a doubling that does not
  // come cost handshakes and memory for nothing (at 20 ms, where the first requests take
  // 90-100 ms with 64 handshakes at once on two cores: 500 more, no faster).
  double open_ahead_from = 0.15;
  // Before the first answer: seconds without any, from which connections are opened ahead (the
  // first windows; at 20 ms some answers come within the first 100 ms, at 80 ms none).
  double open_ahead_unanswered = 0.1;
  // ... and from which those of the first growth are (eight times the limit, not twice): the
  // first answers will have taken longer than open_ahead_from, so that growth is x8, and its
  // requests would otherwise open their connections only once it is decided (0: never).
  double open_wide_unanswered = 0.2;
  // The machine's cores busy (all processes) from which the limit is not grown: more requests
  // in flight cannot go faster there, and each new one costs a TLS handshake on the same cores.
  // At 20 ms (s3up, the sink and the proxy on two cores) 128 in flight keep them 68% busy, 256
  // 86%, and a doubling to 512, undone two windows later, cost 0.1-0.3 s of a 1.3 s run.
  // 0: never (nor does the rule act where the cores' use is unknown).
  double cpu_busy_max = 0.85;
  // Queueing allowed on top of the base latency (a fraction of it) before the limit is drained
  // to the knee (0: never drained). 0.25: requests that wait a quarter of a round trip more
  // than they need keep at most 80% of them doing something (the in-flight / latency bound).
  double queue_max = 0.25;
  double knee_headroom = 1.1;      // the knee x this: the measures' noise, a bucket of latency
  double drain_loss = 0.15;        // a drain after which the rate falls by more is undone
  double base_latency_life = 10;   // seconds a base latency stands unless a lower one is seen
                                   // (then: the lowest median of the windows since)
};

// What happened during one sampling window.
struct Window {
  double seconds = 0;
  std::uint64_t bytes = 0;      // file bytes accepted by the endpoint
  std::uint64_t requests = 0;   // requests completed successfully
  std::uint64_t throttled = 0;  // replies asking to slow down (503 SlowDown)
  double p50_us = 0;            // median latency of the requests completed (0: none)
  std::uint64_t written = 0;    // request bytes written to connections (0: not measured)
  bool saturated = false;       // the limit held work back (requests or files waited in it)
  double cpu_busy = -1;         // the share of the machine's cores busy in it (-1: unknown)
};

enum class Decision { Hold, Grow, Cut, Undo, Drain };
const char* to_string(Decision d);

class AdaptiveConcurrency {
 public:
  explicit AdaptiveConcurrency(AdaptiveConfig config = {});

  // Judges one window and moves limit() accordingly.
  Decision observe(const Window& window);

  // Requests of about `bytes` each are coming. Before the first measure, lowers the limit to
  // start_bytes / bytes (at least start_min); later, the measures decide. From `large_request`
  // bytes on, windows with few completions are judged by bytes written from now on. Returns
  // whether the limit changed.
  bool request_size_hint(std::uint64_t bytes);
  // Whether large requests were announced (the controllers then keep kLargeRequestWindow).
  bool judges_by_written() const { return large_requests_; }

  std::size_t limit() const { return limit_; }
  std::size_t peak() const { return peak_; }
  // How many connections should be open now, ahead of the requests (0: no need): in slow start,
  // while the limit holds work back, where a new connection's first request takes
  // open_ahead_from or more (a WAN: TCP's and TLS's round trips before the request's own; before
  // the first answer, the time waited so far), twice the limit, so that the next doubling's
  // requests find connections ready instead of paying those round trips inside the windows that
  // judge it. Long without any answer (open_wide_unanswered), those of the first growth, x8;
  // none while that growth is still to be judged (it was a guess, not a measure). Never more
  // than `in_sight`, the requests in flight and the files waiting (a run of a few hundred files
  // does not open a thousand connections). Not for large requests (a part's handshake is small
  // beside its transfer).
  std::size_t connections_ahead(
      std::uint64_t in_sight = std::numeric_limits<std::uint64_t>::max()) const;
  bool in_slow_start() const { return slow_start_; }
  // Whether the start is over: the first growth (or a cut) was made.
  bool started() const { return started_; }
  // The lowest median latency of the recent windows (seconds; 0: none yet).
  double base_latency() const { return base_latency_; }
  const AdaptiveConfig& config() const { return config_; }

 private:
  void set(std::size_t limit);
  // Whether the first answers took open_ahead_from or more (a WAN: the first growth is x8 and
  // connections are opened ahead).
  bool answered_far() const;
  // Takes a window's median latency into the base latency.
  void update_base_latency(const Window& w);
  // The requests in flight `per_second` requests/s need at latency `base`, with the headroom; at
  // least half the limit and drain_floor_.
  std::size_t knee(double per_second, double base) const;
  // Requests/s completed: the larger of `w`'s rate and `p`'s (the window before).
  double delivery_rate(const Window& w, const Window& p) const;

  AdaptiveConfig config_;
  std::size_t limit_;
  std::size_t peak_;
  std::optional<Window> previous_;  // the last window judged (or settling)
  int settle_ = 0;                  // windows still to let pass after a cut
  int holds_ = 0;                   // windows held at a saturated limit since the last change
  std::optional<std::size_t> probe_from_;  // the limit before a probe, until it is judged
  bool slow_start_ = true;                 // doubling, until a doubling brings too little
  bool waited_ = false;  // the current slow-start doubling was given one more window already
  bool started_ = false;       // the first growth (or a cut) is done: the start is over
  bool first_growth_ = false;  // the first growth is still to be judged
  double warm_up_ = 0;        // seconds a new connection's first request takes (first answers)
  bool answered_ = false;     // warm_up_ was measured
  double since_growth_ = 0;   // seconds of windows measured since the last growth
  double unmeasured_ = 0;     // seconds of windows before the first measure (nothing completed)
  bool held_back_ = false;    // the last window's limit held work back (Window::saturated)
  bool large_requests_ = false;  // requests of large_request bytes or more were announced
  double base_latency_ = 0;      // seconds: the lowest window median lately (0: none yet)
  double base_age_ = 0;          // seconds of windows since base_latency_ was set
  double since_base_ = 0;        // the lowest window median since then (0: none)
  std::optional<std::size_t> drain_from_;  // the limit before a drain, until it is judged
  double drain_rate_ = 0;                  // the delivery rate the drain was sized from
  std::size_t drain_floor_ = 0;  // above a drain that cost throughput: later drains stop here
};

// The request bytes a transport has written so far (http::Client::bytes_written and
// BlockingTransport's); empty: not measured.
using WrittenSource = std::function<std::uint64_t()>;

// The measures of one window from a run's Report and its transport's bytes written (shared by
// both engines' sampling loops).
class WindowSampler {
 public:
  explicit WindowSampler(const Report& report, WrittenSource written = {})
      : report_(report), written_source_(std::move(written)) {
    mark();
  }
  // Starts a window now.
  void mark();
  // The window since mark(); `saturated` is whether the limit held requests back.
  Window take(bool saturated) const;

 private:
  std::uint64_t written_now() const { return written_source_ ? written_source_() : 0; }

  const Report& report_;
  WrittenSource written_source_;
  std::chrono::steady_clock::time_point since_;
  std::uint64_t bytes_ = 0, requests_ = 0, throttled_ = 0, written_ = 0;
  LatencyHistogram::Counts latencies_{};
  std::optional<util::CpuTimes> cpu_;
};

// The next window's length: twice the median latency (so that a window sees requests
// complete), at least `floor`, at most twice `current` and 5 s; `current` when nothing
// completed.
std::chrono::milliseconds next_window(const Window& w, std::chrono::milliseconds current,
                                      std::chrono::milliseconds floor);

// The shortest window: kSlowStartWindow while the policy doubles (its +25% test is coarse enough
// for a window of a few round trips, and at 20 ms each doubling then costs 100 ms instead of
// 250), kWindow after (the 5% tests need more requests per window).
inline constexpr std::chrono::milliseconds kSlowStartWindow{100};
inline constexpr std::chrono::milliseconds kWindow{250};
std::chrono::milliseconds window_floor(const AdaptiveConcurrency& policy);
// Windows once large requests were announced and the first growth made: several round trips of
// a WAN, so that the bytes written show what a change of the limit did, whatever the parts'
// latency. Before it, kSlowStartWindow: the first growth compares nothing, it only needs a window
// with bytes written while the limit held parts back (at 80 ms a 500 ms window made it wait
// until 0.6 s, where the parts were under way by 0.3 s).
inline constexpr std::chrono::milliseconds kLargeRequestWindow{500};
// The window after `w`: when the policy judges by bytes written, kLargeRequestWindow once
// started, kSlowStartWindow before; else next_window(w, current, window_floor(policy)).
std::chrono::milliseconds following_window(const AdaptiveConcurrency& policy, const Window& w,
                                           std::chrono::milliseconds current);

// With S3UP_DEBUG_CONCURRENCY set: one window's measures and decision, or the start lowered by
// a request size hint, on stderr.
bool debug_concurrency();
void print_window(const Window& w, Decision d, std::size_t limit);
void print_start(std::uint64_t request_bytes, std::size_t limit);

// The async engine's sampling loop around the policy.
class ConcurrencyController {
 public:
  // `requests` is the semaphore whose capacity is the limit; `report` gives the counters and
  // `written` the transport's bytes written. Both must outlive the controller. With
  // S3UP_DEBUG_CONCURRENCY set, every window's measures and decision are printed on stderr.
  ConcurrencyController(boost::asio::any_io_executor executor, coro::AsyncSemaphore& requests,
                        const Report& report, WrittenSource written, AdaptiveConfig config,
                        std::chrono::milliseconds window = kSlowStartWindow);
  ~ConcurrencyController();
  ConcurrencyController(const ConcurrencyController&) = delete;
  ConcurrencyController& operator=(const ConcurrencyController&) = delete;

  // Gives `other` the same capacity as the requests semaphore from start() on (the async engine's
  // uploads in progress, so that no more files are read ahead than requests may be sent).
  // Call before start(); `other` must outlive the controller.
  void also_limit(coro::AsyncSemaphore& other);
  // Called (on the loop's strand) with AdaptiveConcurrency::connections_ahead(in_sight()) after
  // every window that asks for connections ahead; `in_sight` counts the requests in flight and
  // the files waiting (thread-safe). Call before start().
  using OpenAhead = std::function<void(std::size_t connections)>;
  using InSight = std::function<std::uint64_t()>;
  void open_ahead_with(OpenAhead open_ahead, InSight in_sight);

  // Sets the semaphore to the initial limit and starts the loop (on a strand of `executor`).
  void start();
  // Ends the loop at once (thread-safe, idempotent). The io_context keeps running until it has.
  void stop();

  // Thread-safe: passes AdaptiveConcurrency::request_size_hint to the loop.
  void request_size_hint(std::uint64_t bytes);

  std::size_t limit() const;  // the limit now (the final one after stop)
  std::size_t peak() const;
  // The limit's course from start() to stop() (LimitHistory); read it once the loop has ended.
  std::vector<LimitPoint> history() const;

  struct State;  // shared with the loop

 private:
  std::shared_ptr<State> state_;
};

}  // namespace s3up::engine
