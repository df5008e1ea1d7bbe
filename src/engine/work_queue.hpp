// The threaded engine's work queue: files from the walker, and batches of numbered items (the
// parts of open multipart uploads) that workers add while they work. Batches are served before
// files, in the order they came, so open uploads finish first; then files to upload in parts, in
// the order they came (their uploads start at once, as in the async engine: a file in parts
// waiting behind thousands of small ones would be the run's tail); then files in the start order
// (start_order.hpp: large bodies keep a quarter of the limit, largest first, smaller files take
// the rest in walk order); files are bounded (the producer waits while `file_capacity` are queued)
// so memory does not grow with the tree, while batches never make a worker wait (a worker that
// waited for room could deadlock the pool). Thread-safe.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "engine/start_order.hpp"

namespace s3up::engine {

template <class File, class Batch>
class WorkQueue {
 public:
  // One unit of work: a file (`large`: a large body, see start_order.hpp), or item `index` of
  // a batch.
  struct Item {
    std::optional<File> file;
    std::shared_ptr<Batch> batch;
    std::uint64_t index = 0;
    bool large = false;
  };

  explicit WorkQueue(std::size_t file_capacity) : capacity_(file_capacity ? file_capacity : 1) {}

  // Queues a file (`large_bytes`: its body's size when it is a large body, else 0; see
  // StartOrder::push), waiting while the queue holds `file_capacity` of them. Returns false (the
  // file is dropped) once the queue is closed or stopped.
  bool push_file(File file, std::uint64_t large_bytes) {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return closed_ || files_.size() < capacity_; });
    if (closed_) return false;
    files_.push(std::move(file), large_bytes);
    ready_.notify_one();
    return true;
  }

  // Queues a file to upload in parts, served before the files in the start order. Never waits
  // (the caller bounds how many are open). Returns false once the queue is closed or stopped.
  bool push_first(File file) {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    first_.push_back(std::move(file));
    ready_.notify_one();
    return true;
  }

  // Queues items 0..count-1 of `batch`. Never waits; allowed after close() and stop() (the
  // items are still handed out, for the workers to wind them up).
  void push_batch(std::shared_ptr<Batch> batch, std::uint64_t count) {
    if (count == 0) return;
    std::lock_guard lock(mutex_);
    batches_.push_back({std::move(batch), 0, count});
    ready_.notify_all();
  }

  // Waits for an item; files in the start order at a limit of `limit` requests in flight.
  // Returns nullopt when the queue is closed, nothing is queued and no item handed out is still
  // being worked on (it might add a batch): the worker can end. Call done(item.large) after
  // working on each item returned.
  std::optional<Item> pop(std::size_t limit) {
    return pop(limit, [] { return true; });
  }

  // The same for a worker that may take an item only while `admitted()` (a pool whose limit can
  // fall below it): called under the queue's lock, so whoever makes it false calls wake() after.
  // Once it is false, returns an empty Item (neither file nor batch; nothing handed out, no
  // done()) instead of waiting or taking one.
  template <class Admitted>
  std::optional<Item> pop(std::size_t limit, Admitted admitted) {
    std::unique_lock lock(mutex_);
    bool refused = false;
    ready_.wait(lock, [&] {
      refused = !admitted();
      return refused || !batches_.empty() || !first_.empty() || !files_.empty() ||
             (closed_ && active_ == 0);
    });
    if (refused) return Item{};
    if (!batches_.empty()) {
      auto& head = batches_.front();
      Item item{std::nullopt, head.batch, head.next++, false};
      if (head.next == head.count) batches_.pop_front();
      ++active_;
      return item;
    }
    if (!first_.empty()) {
      Item item{std::move(first_.front()), nullptr, 0, false};
      first_.pop_front();
      ++active_;
      return item;
    }
    if (!files_.empty()) {
      bool large = false;
      Item item{files_.pop(large_active_, limit, large), nullptr, 0, false};
      item.large = large;
      if (large) ++large_active_;
      ++active_;
      room_.notify_one();
      return item;
    }
    ready_.notify_all();  // closed and idle: let every worker see it
    return std::nullopt;
  }

  // The item returned by pop() has been worked on (`large`: its Item::large).
  void done(bool large) {
    std::lock_guard lock(mutex_);
    if (large) --large_active_;
    if (--active_ == 0 && closed_) ready_.notify_all();
  }

  // Wakes the workers waiting in pop() to check their admission again.
  void wake() {
    std::lock_guard lock(mutex_);
    ready_.notify_all();
  }

  // Waits until the queue is closed and everything queued has been worked on.
  void wait_idle() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] {
      return closed_ && files_.empty() && first_.empty() && batches_.empty() && active_ == 0;
    });
  }

  // No more files will come: workers end once everything queued is done.
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    ready_.notify_all();
    room_.notify_all();
  }

  // Closes, and drops the files not handed out yet (batches are kept).
  void stop() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    files_.clear();
    first_.clear();
    ready_.notify_all();
    room_.notify_all();
  }

  std::size_t files_queued() const {
    std::lock_guard lock(mutex_);
    return files_.size() + first_.size();
  }

  // Items handed out and not done yet.
  std::size_t items_active() const {
    std::lock_guard lock(mutex_);
    return active_;
  }

  // Files and batch items waiting for a worker.
  std::size_t items_queued() const {
    std::lock_guard lock(mutex_);
    std::size_t n = files_.size() + first_.size();
    for (const auto& b : batches_) n += b.count - b.next;
    return n;
  }

 private:
  struct Pending {
    std::shared_ptr<Batch> batch;
    std::uint64_t next;
    std::uint64_t count;
  };

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;  // items to pop, or the end
  std::condition_variable room_;   // room for a file
  StartOrder<File> files_;
  std::deque<File> first_;  // files to upload in parts (push_first)
  std::deque<Pending> batches_;
  std::size_t active_ = 0;
  std::size_t large_active_ = 0;  // files of large bodies handed out and not done
  bool closed_ = false;
};

}  // namespace s3up::engine
