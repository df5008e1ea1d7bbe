#include "walker/mapped_view.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <mutex>

namespace s3up::walker {

namespace {

// The window the current thread is visiting: its mapped pages, and whether it faulted.
struct Guard {
  std::uintptr_t begin = 0;
  std::uintptr_t end = 0;  // page-aligned
  bool faulted = false;
};

constinit thread_local Guard* t_guard = nullptr;
std::uintptr_t g_page = 4096;
struct sigaction g_previous;

// A SIGBUS inside the visited window: zero pages over the rest of it, so the faulting read goes
// on (reading zeros) and the visit ends reported cut short. Any other SIGBUS: the previous
// disposition back, and the fault repeats under it. Only async-signal-safe calls (mmap and
// sigaction are system calls).
void on_sigbus(int, siginfo_t* info, void*) {
  Guard* guard = t_guard;
  const auto at = reinterpret_cast<std::uintptr_t>(info->si_addr);
  if (guard != nullptr && at >= guard->begin && at < guard->end) {
    const std::uintptr_t page = at & ~(g_page - 1);
    void* zeros = ::mmap(reinterpret_cast<void*>(page), guard->end - page, PROT_READ,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (zeros != MAP_FAILED) {
      guard->faulted = true;
      return;
    }
  }
  ::sigaction(SIGBUS, &g_previous, nullptr);
}

// Installs on_sigbus unless it is SIGBUS's handler already: checked on every visit, since
// whatever came before it (a test framework's monitor, a library) may have replaced it since.
void install_handler() {
  static std::mutex mutex;
  const std::lock_guard lock(mutex);
  struct sigaction current {};
  ::sigaction(SIGBUS, nullptr, &current);
  if ((current.sa_flags & SA_SIGINFO) != 0 && current.sa_sigaction == on_sigbus) return;
  g_page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  struct sigaction action {};
  action.sa_sigaction = on_sigbus;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGBUS, &action, &g_previous);
}

// The thread's guard for the duration of one window's visit.
class Guarded {
 public:
  Guarded(std::uintptr_t begin, std::uintptr_t end) : guard_{begin, end, false} {
    t_guard = &guard_;
  }
  ~Guarded() { t_guard = nullptr; }
  Guarded(const Guarded&) = delete;
  Guarded& operator=(const Guarded&) = delete;
  bool faulted() const { return guard_.faulted; }

 private:
  Guard guard_;
};

}  // namespace

MappedVisit visit_mapped(const FileReader& file, std::uint64_t offset, std::uint64_t len,
                         std::size_t window, const std::function<void(std::span<const char>)>& visit) {
  install_handler();
  MappedVisit out;
  while (out.visited < len) {
    const std::uint64_t at = offset + out.visited;
    const std::uint64_t start = at & ~static_cast<std::uint64_t>(g_page - 1);
    const auto skip = static_cast<std::size_t>(at - start);
    const auto piece = static_cast<std::size_t>(std::min<std::uint64_t>(window, len - out.visited));
    const std::size_t mapped_len = skip + piece;
    void* base = ::mmap(nullptr, mapped_len, PROT_READ, MAP_PRIVATE, file.fd(),
                        static_cast<off_t>(start));
    if (base == MAP_FAILED) return out;  // not mappable here: the caller reads the rest
    const auto first = reinterpret_cast<std::uintptr_t>(base);
    bool faulted = false;
    {
      Guarded guard(first, (first + mapped_len + g_page - 1) & ~(g_page - 1));
      try {
        visit({static_cast<const char*>(base) + skip, piece});
      } catch (...) {
        ::munmap(base, mapped_len);
        throw;
      }
      faulted = guard.faulted();
    }
    ::munmap(base, mapped_len);
    if (faulted) {
      out.cut_short = true;
      return out;
    }
    out.visited += piece;
  }
  return out;
}

}  // namespace s3up::walker
