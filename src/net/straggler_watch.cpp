#include "net/straggler_watch.hpp"

#include <algorithm>
#include <limits>

namespace s3up::http::detail {

namespace {

double seconds(WatchClock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

double fresh_send_seconds(double bytes, double rate, double rtt) {
  if (rate <= 0) return std::numeric_limits<double>::infinity();
  if (rtt <= 0) return bytes / rate;
  const double full = rate * rtt;  // a window that keeps the link busy
  double t = 0, sent = 0;
  for (double window = kInitialWindow; window < full; window *= 2) {
    if (bytes - sent <= window) return t + rtt;
    sent += window;
    t += rtt;
  }
  return t + (bytes - sent) / rate + rtt;
}

bool worth_resending(const StragglerView& v, const StragglerRule& rule) {
  if (v.rtt <= 0 || v.peak_rate <= 0 || v.left == 0) return false;
  const double share = v.peak_rate / static_cast<double>(std::max<std::size_t>(1, v.in_flight));
  const double fresh = std::max(v.opening, v.rtt) +
                       fresh_send_seconds(static_cast<double>(v.size), share, v.rtt);
  const double finish = v.rate > 0 ? static_cast<double>(v.left) / v.rate + v.rtt
                                   : std::numeric_limits<double>::infinity();
  return finish >= rule.gain * fresh && finish - fresh >= seconds(rule.min_saving);
}

StragglerWatch::Exchange::Exchange(StragglerWatch& watch, std::uint64_t size, bool judged,
                                   WatchClock::time_point now)
    : watch_(watch), size_(size), judged_(judged && size >= watch.rule_.min_body) {
  watch_.in_flight_.fetch_add(1, std::memory_order_relaxed);
  watch_.last_start_.store(ticks(now), std::memory_order_relaxed);
}

StragglerWatch::Exchange::~Exchange() {
  watch_.in_flight_.fetch_sub(1, std::memory_order_relaxed);
}

bool StragglerWatch::Exchange::wrote(std::uint64_t n, WatchClock::time_point now) {
  watch_.add(n, now);
  done_ += n;
  if (!judged_) return true;
  if (!watch_.in_tail(now)) {
    window_at_.reset();
    return true;
  }
  if (!window_at_) {
    window_at_ = now;
    window_done_ = done_;
    return true;
  }
  const WatchClock::duration span = now - *window_at_;
  if (span < watch_.window()) return true;
  StragglerView v;
  v.size = size_;
  v.left = size_ > done_ ? size_ - done_ : 0;
  v.rate = static_cast<double>(done_ - window_done_) / seconds(span);
  v.in_flight = watch_.in_flight_.load(std::memory_order_relaxed);
  v.peak_rate = watch_.peak_rate();
  v.rtt = watch_.rtt();
  const std::int64_t opening = watch_.opening_.load(std::memory_order_relaxed);
  v.opening = opening == INT64_MAX ? 2 * v.rtt : seconds(WatchClock::duration(opening));
  if (worth_resending(v, watch_.rule_)) {
    judged_ = false;
    abandoned_ = true;
    watch_.resent_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  window_at_ = now;
  window_done_ = done_;
  return true;
}

void StragglerWatch::Exchange::written(WatchClock::time_point now) { written_at_ = now; }

void StragglerWatch::Exchange::answered(WatchClock::time_point now) {
  if (written_at_) lower(watch_.rtt_, (now - *written_at_).count());
}

void StragglerWatch::opened(WatchClock::duration took) { lower(opening_, took.count()); }

double StragglerWatch::peak_rate() const {
  std::lock_guard lock(rate_mutex_);
  return peak_rate_;
}

double StragglerWatch::rtt() const {
  const std::int64_t t = rtt_.load(std::memory_order_relaxed);
  return t == INT64_MAX ? 0 : seconds(WatchClock::duration(t));
}

void StragglerWatch::add(std::uint64_t n, WatchClock::time_point now) {
  const std::uint64_t total = written_.fetch_add(n, std::memory_order_relaxed) + n;
  if (ticks(now) < next_sample_.load(std::memory_order_relaxed)) return;
  std::unique_lock lock(rate_mutex_, std::try_to_lock);
  if (!lock) return;
  if (sample_at_) {
    const WatchClock::duration span = now - *sample_at_;
    if (span < kRateInterval) return;
    peak_rate_ = std::max(peak_rate_, static_cast<double>(total - sample_written_) / seconds(span));
  }
  sample_at_ = now;
  sample_written_ = total;
  next_sample_.store(ticks(now + kRateInterval), std::memory_order_relaxed);
}

WatchClock::duration StragglerWatch::window() const {
  const std::int64_t rtt = rtt_.load(std::memory_order_relaxed);
  const WatchClock::duration four = rtt == INT64_MAX ? WatchClock::duration::zero()
                                                     : 4 * WatchClock::duration(rtt);
  return std::max<WatchClock::duration>(rule_.min_window, four);
}

bool StragglerWatch::in_tail(WatchClock::time_point now) const {
  if (in_flight_.load(std::memory_order_relaxed) > rule_.last_few) return false;
  const WatchClock::time_point last{WatchClock::duration(last_start_.load(std::memory_order_relaxed))};
  return now - last >= window();
}

void StragglerWatch::lower(std::atomic<std::int64_t>& v, std::int64_t x) {
  std::int64_t cur = v.load(std::memory_order_relaxed);
  while (x < cur && !v.compare_exchange_weak(cur, x, std::memory_order_relaxed)) {
  }
}

}  // namespace s3up::http::detail
