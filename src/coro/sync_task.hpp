// A coroutine that runs to completion on the calling thread, eagerly, and never suspends: for
// code written once as coroutines (co_await, co_return) that a blocking caller drives. Every
// co_await inside such a coroutine must await something already complete (another SyncTask, or
// a blocking call's result), so the whole chain runs as plain nested calls. Knows nothing of
// S3.
#pragma once
#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

namespace s3up::coro {

template <class T>
class SyncTask;

namespace detail {

template <class T>
struct SyncPromiseBase {
  std::exception_ptr error;
  std::suspend_never initial_suspend() noexcept { return {}; }
  std::suspend_always final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
};

}  // namespace detail

template <class T>
class [[nodiscard]] SyncTask {
 public:
  struct promise_type : detail::SyncPromiseBase<T> {
    std::optional<T> value;
    SyncTask get_return_object() {
      return SyncTask(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    template <class U>
    void return_value(U&& v) {
      value.emplace(std::forward<U>(v));
    }
  };

  SyncTask(SyncTask&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  SyncTask& operator=(SyncTask&&) = delete;
  ~SyncTask() {
    if (handle_) handle_.destroy();
  }

  // The result (rethrows what the coroutine threw). The coroutine has finished already.
  T get() {
    auto& p = handle_.promise();
    if (p.error) std::rethrow_exception(p.error);
    return std::move(*p.value);
  }

  bool await_ready() const noexcept { return true; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  T await_resume() { return get(); }

 private:
  explicit SyncTask(std::coroutine_handle<promise_type> h) : handle_(h) {}
  std::coroutine_handle<promise_type> handle_;
};

template <>
class [[nodiscard]] SyncTask<void> {
 public:
  struct promise_type : detail::SyncPromiseBase<void> {
    SyncTask get_return_object() {
      return SyncTask(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    void return_void() noexcept {}
  };

  SyncTask(SyncTask&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  SyncTask& operator=(SyncTask&&) = delete;
  ~SyncTask() {
    if (handle_) handle_.destroy();
  }

  void get() {
    auto& p = handle_.promise();
    if (p.error) std::rethrow_exception(p.error);
  }

  bool await_ready() const noexcept { return true; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  void await_resume() { get(); }

 private:
  explicit SyncTask(std::coroutine_handle<promise_type> h) : handle_(h) {}
  std::coroutine_handle<promise_type> handle_;
};

}  // namespace s3up::coro
