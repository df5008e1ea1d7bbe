// The order in which walked files start, shared by both engines. The walk comes in key order,
// which clusters files by directory, and so by size: a tree whose large files sit together (a
// directory of archives, seventy 2 MB copyright files of one library) would otherwise have all
// its requests in flight carry large bodies for a while (bound by the link) and then only small
// ones (bound by round trips), one after the other, where mixing them overlaps the two; and a
// large file walked last is the run's tail. So large bodies (kLargeBody or more) keep a quarter
// of the places in flight: while fewer are under way, the largest large file waiting starts
// (ahead of smaller files walked before it; among large files of one size, the oldest); once
// they take their share, the oldest smaller file starts instead, and when only large files wait
// the largest starts anyway: nothing is held back while a place is free. Largest first, as a
// scheduler spreading jobs over machines does to end soonest (longest processing time first):
// on a link shared by many requests a body's time grows with its size, and a large one started
// late can be what the whole run waits for (the benchmark's tree has one 8 MiB file walked
// after seventy of 2 MiB). Which files wait is the caller's look-ahead (what the walker already
// delivered, bounded), so memory does not grow with the tree.
// Not thread-safe: the caller owns the order (the async engine's dispatcher, or the threaded
// engine's queue under its lock).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <utility>

namespace s3up::engine {

// A single-request body at least this large is "large" (as for --concurrency auto, which judges
// requests from this size on by the bytes they send).
inline constexpr std::uint64_t kLargeBody = 1ull << 20;

inline bool is_large_body(std::uint64_t bytes) { return bytes >= kLargeBody; }

// How many large bodies may be in flight at a limit of `limit` requests while smaller files wait.
inline std::size_t large_share(std::size_t limit) {
  return std::max<std::size_t>(1, limit / 4);
}

template <class T>
class StartOrder {
 public:
  // Queues `item`: `large_bytes` is its body's size when that is a large body, else 0 (a size
  // below kLargeBody counts as not large).
  void push(T item, std::uint64_t large_bytes) {
    if (is_large_body(large_bytes))
      large_.emplace(Rank{large_bytes, pushed_++}, std::move(item));
    else
      small_.push_back(std::move(item));
  }

  // The next to start (the order must not be empty), with `large_in_flight` large bodies under
  // way at a limit of `limit`: the largest large file while fewer than large_share(limit) are
  // in flight, else the oldest smaller one; the largest large one when no smaller file waits.
  // `large` tells which it was.
  T pop(std::size_t large_in_flight, std::size_t limit, bool& large) {
    large = take_large(large_in_flight, limit);
    if (large) {
      auto node = large_.extract(large_.begin());
      return std::move(node.mapped());
    }
    T item = std::move(small_.front());
    small_.pop_front();
    return item;
  }

  std::size_t size() const { return small_.size() + large_.size(); }
  bool empty() const { return small_.empty() && large_.empty(); }
  void clear() {
    small_.clear();
    large_.clear();
  }

 private:
  // Large bodies, largest first; of one size, in walk order.
  struct Rank {
    std::uint64_t bytes;
    std::uint64_t pushed;
    bool operator<(const Rank& o) const {
      return bytes != o.bytes ? bytes > o.bytes : pushed < o.pushed;
    }
  };

  bool take_large(std::size_t large_in_flight, std::size_t limit) const {
    if (large_.empty()) return false;
    if (small_.empty()) return true;
    return large_in_flight < large_share(limit);
  }

  std::deque<T> small_;  // in walk order
  std::map<Rank, T> large_;
  std::uint64_t pushed_ = 0;
};

}  // namespace s3up::engine
