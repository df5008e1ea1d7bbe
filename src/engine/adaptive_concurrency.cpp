#include "engine/adaptive_concurrency.hpp"

#include "coro/spawn.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>
#include <mutex>

namespace s3up::engine {

namespace asio = boost::asio;

const char* to_string(Decision d) {
  switch (d) {
    case Decision::Hold: return "hold";
    case Decision::Grow: return "grow";
    case Decision::Cut: return "cut";
    case Decision::Undo: return "undo";
    case Decision::Drain: return "drain";
  }
  return "?";
}

namespace {

double rate(std::uint64_t count, double seconds) {
  return seconds > 0 ? static_cast<double>(count) / seconds : 0;
}

// The first growth where the first answers took open_ahead_from or more (a WAN): three
// doublings, as many as TCP's slow start makes in the 3.5 round trips those answers took.
constexpr double kFirstWanGrowth = 8.0;

// How much `now` rose over `before`, as a fraction (0.1 = +10%).
double gain(double now, double before) {
  if (before <= 0) return now > 0 ? std::numeric_limits<double>::infinity() : 0;
  return now / before - 1;
}

}  // namespace

// ---- the policy ---------------------------------------------------------------------------

AdaptiveConcurrency::AdaptiveConcurrency(AdaptiveConfig config) : config_(config) {
  config_.min = std::max<std::size_t>(1, config_.min);
  config_.max = std::max(config_.min, config_.max);
  limit_ = std::clamp(config_.initial, config_.min, config_.max);
  peak_ = limit_;
  slow_start_ = config_.slow_start;
}

void AdaptiveConcurrency::set(std::size_t limit) {
  limit_ = std::clamp(limit, config_.min, config_.max);
  peak_ = std::max(peak_, limit_);
}

Decision AdaptiveConcurrency::observe(const Window& w) {
  const std::size_t before = limit_;
  const auto halved = [&] {
    return static_cast<std::size_t>(std::floor(static_cast<double>(limit_) * config_.cut));
  };
  const auto cut = [&] {
    set(halved());
    started_ = true;
    settle_ = config_.settle_windows;
    holds_ = 0;
    probe_from_.reset();
    drain_from_.reset();
    first_growth_ = false;
    slow_start_ = false;
  };
  const auto grow = [&](double slow_start_factor = 2.0) {
    const double factor = slow_start_ ? slow_start_factor : config_.growth;
    const auto grown = static_cast<std::size_t>(std::ceil(static_cast<double>(limit_) * factor));
    set(std::max(grown, limit_ + 1));
    holds_ = 0;
    waited_ = false;
    since_growth_ = 0;
    // Every growth is on probation: the next window must show the gain or it is undone.
    probe_from_ = before;
  };

  // Asked to slow down: cut at once, then let the requests sent under the old limit drain
  // (their SlowDowns are not counted twice).
  if (settle_ > 0) {
    --settle_;
    previous_ = w;
    return Decision::Hold;
  }
  if (w.throttled > 0) {
    cut();
    previous_ = w;
    return limit_ != before ? Decision::Cut : Decision::Hold;
  }
  // Nothing completed (a pause in the walk, or requests longer than the window; large requests:
  // nothing written either): no judgement.
  const auto measured = [&](const Window& x) {
    return x.seconds > 0 &&
           (x.requests > 0 || x.bytes > 0 || (large_requests_ && x.written > 0));
  };
  held_back_ = w.saturated;
  if (!measured(w)) {
    if (!previous_) unmeasured_ += w.seconds;
    return Decision::Hold;
  }
  since_growth_ += w.seconds;
  // The machine's cores were all but full: more in flight cannot go faster (config_.cpu_busy_max).
  const bool cores_full = config_.cpu_busy_max > 0 && w.cpu_busy >= config_.cpu_busy_max;
  if (!previous_ || !measured(*previous_) || !started_) {
    // The first measure: nothing to compare with yet. Its requests all opened connections, so
    // their latency is what a new connection's first request takes (warm_up_, from the first
    // completions only: later requests find connections open; for large requests a window with
    // only bytes written may come before them, at 80 ms a CreateMultipartUpload's request in
    // the window before its reply). Start probing at once, from the
    // first window in which the limit holds requests back (throughput at a steady limit is
    // flat, so waiting for a rise would never grow); that may be a later window than the first
    // measure, sampled the moment its first requests completed, before others took their place.
    if (!answered_ && w.requests > 0) {
      answered_ = true;
      warm_up_ = std::min(w.p50_us / 1e6, config_.max_warm_up);
    }
    previous_ = w;
    // On a WAN (as for connections ahead) the first growth is three doublings: the first
    // answers came after a new connection's first request (TCP, TLS, the request: 3.5 round
    // trips or more), in which TCP's slow start doubles three times, and 64 in flight is far
    // below any WAN's bound (80 ms at 200 Mbit/s: about 450 requests of 4 KiB). x4 (two
    // doublings, as in a window of two round trips) was 2-3% slower at 80 and 150 ms.
    const bool wan = answered_far();
    // Nothing held back, or the cores full: not yet (the next window is judged as this one).
    // Except on a WAN, where the cores are busy at the start with the handshakes of the
    // connections opened ahead for this very growth, not with requests (at 80 ms the first
    // windows with answers were 92-98% busy, and waiting for them to calm down delayed the x8 by
    // 0.2-0.4 s in 3 of 6 runs).
    if (!w.saturated || (cores_full && !wan)) return Decision::Hold;
    started_ = true;
    grow(wan ? kFirstWanGrowth : 2.0);
    first_growth_ = true;
    return limit_ != before ? Decision::Grow : Decision::Hold;
  }

  const Window& p = *previous_;
  // Large requests with too few completions to tell a rate: judged by the bytes sent.
  const bool by_written = large_requests_ && w.written > 0 && p.written > 0 &&
                          (w.requests < config_.min_requests || p.requests < config_.min_requests);
  // Requests queueing beyond what the base latency allows (judged on enough completions, by
  // latency, not for large requests, whose latency is their transfer).
  const bool judged_by_latency = !large_requests_ && w.requests >= config_.min_requests &&
                                 w.p50_us > 0;
  const double base = base_latency_;
  if (judged_by_latency) update_base_latency(w);
  const bool queueing = judged_by_latency && config_.queue_max > 0 && base > 0 &&
                        w.p50_us / 1e6 > base * (1 + config_.queue_max);
  // A drain is judged on the first window after the one it let pass: a rate down by more than
  // drain_loss means the knee was read too low (a window of the ramp, whose rate was not yet the
  // endpoint's): back to where it was, and later drains stop a growth step above it.
  if (drain_from_) {
    const std::size_t from = *drain_from_;
    drain_from_.reset();
    if (rate(w.requests, w.seconds) < drain_rate_ * (1 - config_.drain_loss)) {
      drain_floor_ = std::max(drain_floor_, static_cast<std::size_t>(std::ceil(
                                                static_cast<double>(limit_) * config_.growth)));
      set(from);
      holds_ = 0;
      previous_ = w;
      return limit_ != before ? Decision::Undo : Decision::Hold;
    }
  }
  // The first growth is judged against the first window, whose requests, started together,
  // completed together: its rate is a burst (at 150 ms, 1.5 times what its limit gives after).
  // It counts at most what its limit gives at the lower of the two windows' latencies (Little's
  // law: requests in flight / latency), which is its rate whenever it was steady.
  double burst = 1;
  if (first_growth_ && probe_from_ && p.requests > 0 && p.p50_us > 0 && w.p50_us > 0) {
    const double steady_rate =
        static_cast<double>(*probe_from_) / (std::min(p.p50_us, w.p50_us) / 1e6);
    burst = std::max(1.0, rate(p.requests, p.seconds) / steady_rate);
  }
  const double g =
      by_written
          ? gain(rate(w.written, w.seconds), rate(p.written, p.seconds))
          : std::max(gain(rate(w.bytes, w.seconds), rate(p.bytes, p.seconds) / burst),
                     gain(rate(w.requests, w.seconds), rate(p.requests, p.seconds) / burst));
  const bool rising = g > config_.rise;
  const bool slower = w.requests >= config_.min_requests && p.requests >= config_.min_requests &&
                      p.p50_us > 0 && w.p50_us > p.p50_us * (1 + config_.latency_rise);
  // Whether the growth's new connections have had time to carry a request (judged by bytes
  // written, they show as soon as they open).
  const bool warm = by_written || since_growth_ >= warm_up_;

  // Slow start ends with the first doubling that brought less than slow_start_rise: the limit
  // is near where throughput stops rising (kept when it still rose a little, undone below).
  // Unless the windows since the doubling are too short for its new connections to have
  // carried requests (one window at least, and warm_up_): until then, the next windows are
  // compared with the one before the doubling (previous_ kept).
  if (slow_start_ && probe_from_ && g <= config_.slow_start_rise) {
    if (!waited_ || !warm) {
      waited_ = true;
      return Decision::Hold;
    }
    slow_start_ = false;
  }

  Decision d = Decision::Hold;
  const auto undo = [&] {
    set(*probe_from_);
    probe_from_.reset();
    holds_ = 0;
    d = Decision::Undo;
  };
  // Down to the knee, the requests in flight the delivery rate needs at the base latency (a
  // probe that brought its gain is kept); nothing when the limit is at or below it already.
  const auto drain = [&] {
    probe_from_.reset();
    const double r = delivery_rate(w, p);
    const std::size_t to = knee(r, base);
    if (to >= limit_) return;
    drain_from_ = limit_;
    drain_rate_ = r;
    set(to);
    holds_ = 0;
    settle_ = 1;  // the next window still completes what the old limit sent
    d = Decision::Drain;
  };
  // Requests queueing at a limit that holds work back, past slow start: a drain's case.
  const bool drains = queueing && w.saturated && !slow_start_;
  if (slower && !rising) {
    // A probe smaller than x2 (past slow start) that made the latency rise: its own requests
    // queueing where throughput had stopped rising. Back to where it started, not below it:
    // halving would give up what the window before it showed the endpoint takes. (A growth
    // that found the limit at its maximum raised nothing: the rise is the endpoint's.)
    // At a limit that held (no growth being judged) with a base latency to size it from, a
    // drain to the knee: judged on the windows after it and undone if the rate falls (one
    // window's median can jump by half on a busy machine, at 20 ms on two cores 24 -> 37 ms,
    // and halving 256 there cost a 60,000-file run a quarter of its rate for the rest of it);
    // at a drain floor, which says lower costs throughput, hold. Otherwise (a doubling, slow
    // start, no base latency yet) halve.
    if (probe_from_ && *probe_from_ < limit_ && *probe_from_ > halved()) {
      undo();
    } else if (drains && !probe_from_) {
      drain();
    } else {
      cut();
      d = Decision::Cut;
    }
  } else if (probe_from_ && !rising && !warm) {
    // A growth too recent for its connections to show anything: not judged yet.
    return Decision::Hold;
  } else if (probe_from_ && !rising) {
    // The last growth brought nothing: back to where throughput stopped rising, and hold.
    undo();
  } else if (drains) {
    // Requests wait beyond the base latency at a limit that holds work back: more in flight
    // than the rate needs. No growth; once the rate is steady (not rising: a window of a ramp,
    // when the connections of the last doubling were still opening, reads low and would size
    // the knee too small), down to the knee. A probe that brought its gain is kept.
    if (rising) {
      probe_from_.reset();
    } else {
      drain();
    }
  } else if (rising && w.saturated && !cores_full) {
    grow();
    d = Decision::Grow;
  } else {
    probe_from_.reset();
    if (cores_full) {
      // The cores are full: the limit is where they are. Slow start is over (as after a
      // doubling that brought too little), and no probe is tried while they stay full.
      slow_start_ = false;
    } else if (w.saturated && (slow_start_ || ++holds_ >= config_.probe_windows)) {
      // In slow start every doubling so far brought its gain (the first that did not ended
      // it): the next window that holds work back doubles again, even when the window that
      // showed the gain held nothing back (a pause in the walk) and this one, at the new limit,
      // is flat. Past it, growth waits for probe_windows of holding: the endpoint may have more
      // to give.
      grow();
      d = Decision::Grow;
    }
  }
  first_growth_ = false;
  previous_ = w;
  return limit_ != before ? d : Decision::Hold;
}

void AdaptiveConcurrency::update_base_latency(const Window& w) {
  const double p50 = w.p50_us / 1e6;
  base_age_ += w.seconds;
  since_base_ = since_base_ > 0 ? std::min(since_base_, p50) : p50;
  if (base_latency_ <= 0 || p50 <= base_latency_) {
    base_latency_ = p50;
  } else if (base_age_ > config_.base_latency_life) {
    // The base grown stale (the path may have changed: a new address): the lowest median seen
    // since it was set, not this window's, which may be a queue's.
    base_latency_ = since_base_;
  } else {
    return;
  }
  base_age_ = 0;
  since_base_ = 0;
}

std::size_t AdaptiveConcurrency::knee(double per_second, double base) const {
  const double in_flight = std::ceil(per_second * base * config_.knee_headroom);
  // At most halving at once, never below a drain that cost throughput (drain_floor_).
  const double floor = std::floor(static_cast<double>(limit_) / 2);
  return std::clamp(std::max(static_cast<std::size_t>(std::max(in_flight, floor)), drain_floor_),
                    config_.min, config_.max);
}

double AdaptiveConcurrency::delivery_rate(const Window& w, const Window& p) const {
  // The larger of this window's and the last's: one window of 100-250 ms reads 10-15% low or
  // high, and the larger errs towards more in flight.
  double r = rate(w.requests, w.seconds);
  if (p.requests >= config_.min_requests) r = std::max(r, rate(p.requests, p.seconds));
  return r;
}

bool AdaptiveConcurrency::answered_far() const {
  return config_.open_ahead_from > 0 && warm_up_ >= config_.open_ahead_from;
}

std::size_t AdaptiveConcurrency::connections_ahead(std::uint64_t in_sight) const {
  // Only while the limit holds work back: a doubling needs it, and a run of a few files against
  // a silent endpoint gets no connections beyond its requests'.
  if (!slow_start_ || large_requests_ || !held_back_ || config_.open_ahead_from <= 0) return 0;
  // The first growth (x8 on a WAN) is a guess, not a measure: the next doubling's connections
  // wait until it has shown its gain (at 80 ms on two cores, where the limit settles at 512-800,
  // those asked for with the x8 to 512 made 10 runs in 12 open 664-1,024 connections).
  if (first_growth_) return 0;
  // Before the first answer, the time waited so far is a lower bound of that latency.
  const bool far = previous_ ? answered_far() : unmeasured_ >= config_.open_ahead_unanswered;
  if (!far) return 0;
  // Long without any answer: the first growth will be x8 (a first answer this late took longer
  // than open_ahead_from); its connections are opened now, while the first requests are still
  // under way, rather than once the first answers decide it (3.5 more round trips: at 80 ms the
  // run's 0.4-0.7 s).
  const bool wide = !previous_ && config_.open_wide_unanswered > 0 &&
                    unmeasured_ >= config_.open_wide_unanswered;
  const double factor = wide ? kFirstWanGrowth : 2.0;
  const auto wanted = std::min(config_.max,
                               static_cast<std::size_t>(factor * static_cast<double>(limit_)));
  return static_cast<std::size_t>(std::min<std::uint64_t>(wanted, in_sight));
}

bool AdaptiveConcurrency::request_size_hint(std::uint64_t bytes) {
  if (bytes >= config_.large_request) large_requests_ = true;
  if (previous_ || bytes == 0) return false;
  const std::uint64_t fits = config_.start_bytes / bytes;
  const auto start = static_cast<std::size_t>(std::max<std::uint64_t>(fits, config_.start_min));
  if (start >= limit_) return false;
  set(start);
  return true;
}

// ---- sampling ---------------------------------------------------------------------------

void WindowSampler::mark() {
  since_ = std::chrono::steady_clock::now();
  bytes_ = report_.bytes_sent();
  requests_ = report_.requests_ok();
  throttled_ = report_.throttled();
  latencies_ = report_.latencies().snapshot();
  written_ = written_now();
  cpu_ = util::read_cpu_times();
}

Window WindowSampler::take(bool saturated) const {
  Window w;
  const auto now = std::chrono::steady_clock::now();
  const auto lat = report_.latencies().snapshot();
  w.seconds = std::chrono::duration<double>(now - since_).count();
  w.bytes = report_.bytes_sent() - bytes_;
  w.requests = report_.requests_ok() - requests_;
  w.throttled = report_.throttled() - throttled_;
  w.p50_us = LatencyHistogram::quantile(lat, latencies_, 0.5);
  w.written = written_now() - written_;
  w.saturated = saturated;
  if (cpu_) {
    const auto now_cpu = util::read_cpu_times();
    const auto busy = now_cpu ? util::busy_share(*cpu_, *now_cpu) : std::nullopt;
    if (busy) w.cpu_busy = *busy;
  }
  return w;
}

std::chrono::milliseconds next_window(const Window& w, std::chrono::milliseconds current,
                                      std::chrono::milliseconds floor) {
  if (w.requests == 0) return current;
  const auto p50 = std::chrono::microseconds(static_cast<std::int64_t>(w.p50_us));
  // At most twice the current window: the first requests' latency includes their connections'
  // handshakes (3.5 round trips with TLS), which would otherwise stretch the next window to
  // seconds on a WAN while the limit is still at its start.
  const auto ceiling = std::max(floor, std::min(2 * current, std::chrono::milliseconds(5000)));
  return std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(2 * p50), floor,
                    ceiling);
}

std::chrono::milliseconds window_floor(const AdaptiveConcurrency& policy) {
  return policy.in_slow_start() ? kSlowStartWindow : kWindow;
}

std::chrono::milliseconds following_window(const AdaptiveConcurrency& policy, const Window& w,
                                           std::chrono::milliseconds current) {
  if (policy.judges_by_written()) return policy.started() ? kLargeRequestWindow : kSlowStartWindow;
  return next_window(w, current, window_floor(policy));
}

bool debug_concurrency() { return std::getenv("S3UP_DEBUG_CONCURRENCY") != nullptr; }

void print_window(const Window& w, Decision d, std::size_t limit) {
  char cores[32] = "cores ? busy";
  if (w.cpu_busy >= 0) std::snprintf(cores, sizeof cores, "cores %.0f%% busy", w.cpu_busy * 100);
  std::fprintf(stderr,
               "s3up: concurrency: %.3f s, %.1f MB/s (%.1f MB/s written), %.0f req/s, p50 %.1f ms,"
               " %llu slowdowns, %s, %s -> %s %zu\n",
               w.seconds, rate(w.bytes, w.seconds) / 1e6, rate(w.written, w.seconds) / 1e6,
               rate(w.requests, w.seconds),
               w.p50_us / 1000, static_cast<unsigned long long>(w.throttled),
               w.saturated ? "saturated" : "not saturated", cores, to_string(d), limit);
}

void print_start(std::uint64_t request_bytes, std::size_t limit) {
  std::fprintf(stderr, "s3up: concurrency: requests of %llu bytes -> start at %zu\n",
               static_cast<unsigned long long>(request_bytes), limit);
}

// ---- the controller -----------------------------------------------------------------------

struct ConcurrencyController::State {
  State(asio::any_io_executor executor, coro::AsyncSemaphore& requests, const Report& report,
        WrittenSource written, AdaptiveConfig config, std::chrono::milliseconds window)
      : strand(asio::make_strand(executor)),
        timer(strand),
        requests(requests),
        sampler(report, std::move(written)),
        policy(config),
        window(window),
        limit(policy.limit()),
        peak(policy.peak()),
        debug(debug_concurrency()) {}

  asio::strand<asio::any_io_executor> strand;
  asio::steady_timer timer;  // touched on the strand only
  coro::AsyncSemaphore& requests;
  coro::AsyncSemaphore* follower = nullptr;  // limited like `requests` (also_limit)
  ConcurrencyController::OpenAhead open_ahead;
  ConcurrencyController::InSight in_sight;
  WindowSampler sampler;       // touched by the loop only
  AdaptiveConcurrency policy;  // touched by the loop only
  std::chrono::milliseconds window;
  bool stopped = false;        // on the strand only
  std::uint64_t queued_at_mark = 0;  // queued_total() when the window started (start(), loop)
  std::atomic<std::size_t> limit;
  std::atomic<std::size_t> peak;
  LimitHistory history;
  bool debug;
};

namespace {

// Applies `limit` to the requests semaphore and its follower.
void apply_limit(ConcurrencyController::State& s, std::size_t limit) {
  if (limit != s.requests.capacity()) s.requests.set_capacity(limit);
  if (s.follower && limit != s.follower->capacity()) s.follower->set_capacity(limit);
}

// Acquisitions of the requests semaphore and its follower that have had to queue so far.
std::uint64_t queued_total(const ConcurrencyController::State& s) {
  return s.requests.queued_total() + (s.follower != nullptr ? s.follower->queued_total() : 0);
}

// Whether the limit held work back during the window that ends now: requests or files had to
// wait for a permit at some point in it (as TCP asks whether a round trip was cwnd-limited), or
// now requests wait, every permit is taken, or files wait to start (the follower: the async
// engine's uploads in progress, as many as the limit, each of which reads and signs before it
// asks for a request permit, so that with the CPU busy the requests in flight stay below the
// limit while hundreds of files wait their turn). Not only now: the dispatcher that starts files
// runs on the controller's thread, so at the moment the window is sampled it is often between
// two files (reading the walk, planning an upload) with permits just released and nobody
// queued, while in the rest of the window every file waited for its slot; sampled alone, 4 runs
// of 12 at 20 ms stayed at 128 for 1.5 s or more (bench/results/auto-cpu-full). Called once per
// window: it starts the next window's count.
bool held_back(ConcurrencyController::State& s) {
  const std::uint64_t queued = queued_total(s);
  const bool waited = queued != s.queued_at_mark;
  s.queued_at_mark = queued;
  return waited || s.requests.waiting() > 0 || s.requests.in_use() >= s.requests.capacity() ||
         (s.follower != nullptr && s.follower->waiting() > 0);
}

// Samples every window (at least twice the median latency, so that a window sees requests
// complete) and applies the policy's limit, until stopped.
asio::awaitable<void> control_loop(std::shared_ptr<ConcurrencyController::State> s) {
  s->sampler.mark();
  while (!s->stopped) {
    s->timer.expires_after(s->window);
    co_await s->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (s->stopped) co_return;
    const Window w = s->sampler.take(held_back(*s));
    s->sampler.mark();
    const Decision d = s->policy.observe(w);
    const std::size_t limit = s->policy.limit();
    apply_limit(*s, limit);
    s->limit = limit;
    s->peak = s->policy.peak();
    s->history.record(limit);
    if (s->debug) print_window(w, d, limit);
    if (s->open_ahead) {
      if (const std::size_t ahead = s->policy.connections_ahead(s->in_sight()); ahead > 0)
        s->open_ahead(ahead);
    }
    s->window = following_window(s->policy, w, s->window);
  }
}

}  // namespace

ConcurrencyController::ConcurrencyController(asio::any_io_executor executor,
                                             coro::AsyncSemaphore& requests, const Report& report,
                                             WrittenSource written, AdaptiveConfig config,
                                             std::chrono::milliseconds window)
    : state_(std::make_shared<State>(std::move(executor), requests, report, std::move(written),
                                     config, window)) {}

ConcurrencyController::~ConcurrencyController() = default;

void ConcurrencyController::also_limit(coro::AsyncSemaphore& other) { state_->follower = &other; }
void ConcurrencyController::open_ahead_with(OpenAhead open_ahead, InSight in_sight) {
  state_->open_ahead = std::move(open_ahead);
  state_->in_sight = std::move(in_sight);
}

void ConcurrencyController::start() {
  apply_limit(*state_, state_->policy.limit());
  state_->history.start(state_->policy.limit());
  state_->queued_at_mark = queued_total(*state_);  // a wait from now on counts in the first window
  coro::spawn(state_->strand, control_loop(state_), [](std::exception_ptr e) {
    std::fprintf(stderr, "s3up: concurrency controller stopped: %s\n",
                 coro::exception_message(e).c_str());
  });
}

void ConcurrencyController::stop() {
  asio::post(state_->strand, [s = state_] {
    s->stopped = true;
    s->timer.cancel();
    s->history.finish(s->policy.limit());
  });
}

void ConcurrencyController::request_size_hint(std::uint64_t bytes) {
  asio::post(state_->strand, [s = state_, bytes] {
    if (s->stopped || !s->policy.request_size_hint(bytes)) return;
    const std::size_t limit = s->policy.limit();
    apply_limit(*s, limit);
    s->limit = limit;
    s->history.record(limit);
    if (s->debug) print_start(bytes, limit);
  });
}

std::size_t ConcurrencyController::limit() const { return state_->limit.load(); }
std::size_t ConcurrencyController::peak() const { return state_->peak.load(); }
std::vector<LimitPoint> ConcurrencyController::history() const { return state_->history.points(); }

}  // namespace s3up::engine
