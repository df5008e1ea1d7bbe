// Whether a run is stopping (interrupted by a signal, or stopped by a failure that concerns every
// file), and whom to wake when it starts to: the part of a run that waiting code needs to know.
#pragma once
#include <atomic>
#include <functional>

namespace s3up::engine {

struct StopState {
  std::atomic<bool> stopping{false};     // interrupted or fatal: start nothing new
  std::atomic<bool> interrupted{false};  // by SIGINT/SIGTERM (exit 130)
  std::function<void()> on_stop;         // wakes the dispatcher (and, threaded, the sleepers)

  // Stops starting work; calls on_stop once.
  void stop() {
    if (!stopping.exchange(true) && on_stop) on_stop();
  }
};

}  // namespace s3up::engine
