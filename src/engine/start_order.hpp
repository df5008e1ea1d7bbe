// The order in which walked files start, shared by both engines. The walk comes in key order,
// which clusters files by directory, and so by size: a tree whose large files sit together (a
// directory of archives, seventy 2 MB copyright files of one library) would otherwise have all
// its requests in flight carry large bodies for a while (bound by the link) and then only small
// ones (bound by round trips), one after the other, where mixing them overlaps the two; and a
// large file walked last is the run's tail. So large bodies (kLargeBody or more) keep a quarter
// of the places in flight: while fewer are under way, the oldest large file waiting starts
// (ahead of smaller files walked before it); once they take their share, the oldest smaller file
// starts instead, and when only large files wait the oldest starts anyway: nothing is held back
// while a place is free. Which files wait is the caller's look-ahead (what the walker already
// delivered, bounded), so memory does not grow with the tree.
// Not thread-safe: the caller owns the order (the async engine's dispatcher, or the threaded
// engine's queue under its lock).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
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
  void push(T item, bool large) { (large ? large_ : small_).push_back(std::move(item)); }

  // The next to start (the order must not be empty), with `large_in_flight` large bodies under
  // way at a limit of `limit`: the oldest large file while fewer than large_share(limit) are in
  // flight, else the oldest smaller one; the oldest large one when no smaller file waits.
  // `large` tells which it was.
  T pop(std::size_t large_in_flight, std::size_t limit, bool& large) {
    large = take_large(large_in_flight, limit);
    auto& from = large ? large_ : small_;
    T item = std::move(from.front());
    from.pop_front();
    return item;
  }

  std::size_t size() const { return small_.size() + large_.size(); }
  bool empty() const { return small_.empty() && large_.empty(); }
  void clear() {
    small_.clear();
    large_.clear();
  }

 private:
  bool take_large(std::size_t large_in_flight, std::size_t limit) const {
    if (large_.empty()) return false;
    if (small_.empty()) return true;
    return large_in_flight < large_share(limit);
  }

  std::deque<T> small_, large_;  // each in walk order
};

}  // namespace s3up::engine
