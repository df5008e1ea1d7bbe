#include "walker/mapped_view.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <mutex>
#include <utility>

namespace s3up::walker {

namespace {

// The guard's table: one slot per live MappedRange, its pages packed in one word so that the
// handler reads a range whole (0: a free slot). Bits 63..28: the first page's address / 4 KiB;
// bits 27..0: the range's length in 4 KiB units (up to 1 TiB).
constexpr std::size_t kSlots = 4096;
constexpr unsigned kUnitShift = 12;
constexpr unsigned kLengthBits = 28;

struct Slot {
  std::atomic<std::uint64_t> pages{0};
  std::atomic<bool> faulted{false};
};

std::array<Slot, kSlots> g_slots;
std::atomic<std::size_t> g_next_slot{0};
// Set before any handler is installed, read-only after.
const std::uintptr_t g_page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
struct sigaction g_previous;

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<bool>::is_always_lock_free);

std::optional<std::uint64_t> pack(std::uintptr_t begin, std::size_t length) {
  const std::uint64_t first = begin >> kUnitShift;
  const std::uint64_t units = (length + (std::size_t{1} << kUnitShift) - 1) >> kUnitShift;
  if (first >= (std::uint64_t{1} << (64 - kLengthBits)) || units == 0 ||
      units >= (std::uint64_t{1} << kLengthBits))
    return std::nullopt;
  return (first << kLengthBits) | units;
}

bool contains(std::uint64_t pages, std::uintptr_t at) {
  const std::uint64_t first = pages >> kLengthBits;
  const std::uint64_t units = pages & ((std::uint64_t{1} << kLengthBits) - 1);
  const std::uint64_t unit = at >> kUnitShift;
  return pages != 0 && unit >= first && unit < first + units;
}

// A SIGBUS on a page of a live MappedRange: a page of zeros over it, the range marked faulted,
// and the read goes on. Any other SIGBUS: the previous disposition back, and the fault repeats
// under it. Async-signal-safe: atomics, and mmap and sigaction (system calls).
//
// A slot that contains the address is the faulting range's own: the read was of a mapped page
// (of a range alive until its reader is done with it), two live mappings never share an
// address, and a slot is cleared before its range is unmapped.
void on_sigbus(int, siginfo_t* info, void*) {
  const auto at = reinterpret_cast<std::uintptr_t>(info->si_addr);
  for (Slot& slot : g_slots) {
    if (!contains(slot.pages.load(std::memory_order_acquire), at)) continue;
    void* zeros = ::mmap(reinterpret_cast<void*>(at & ~(g_page - 1)), g_page, PROT_READ,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (zeros == MAP_FAILED) break;
    slot.faulted.store(true, std::memory_order_release);
    return;
  }
  ::sigaction(SIGBUS, &g_previous, nullptr);
}

// Installs on_sigbus unless it is SIGBUS's handler already: checked on every mapping, since
// whatever came before it (a test framework's monitor, a library) may have replaced it since.
void install_handler() {
  static std::mutex mutex;
  const std::lock_guard lock(mutex);
  struct sigaction current {};
  ::sigaction(SIGBUS, nullptr, &current);
  if ((current.sa_flags & SA_SIGINFO) != 0 && current.sa_sigaction == on_sigbus) return;
  struct sigaction action {};
  action.sa_sigaction = on_sigbus;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGBUS, &action, &g_previous);
}

// A free slot now guarding `pages`, or -1 when every slot is taken.
int claim_slot(std::uint64_t pages) {
  const std::size_t start = g_next_slot.fetch_add(1, std::memory_order_relaxed);
  for (std::size_t i = 0; i < kSlots; ++i) {
    const std::size_t index = (start + i) % kSlots;
    std::uint64_t expected = 0;
    if (g_slots[index].pages.compare_exchange_strong(expected, pages, std::memory_order_acq_rel)) {
      // Nothing has read the range yet: no fault can have marked it.
      g_slots[index].faulted.store(false, std::memory_order_release);
      return static_cast<int>(index);
    }
  }
  return -1;
}

}  // namespace

std::optional<MappedRange> MappedRange::map(int fd, std::uint64_t offset, std::size_t length) {
  if (length == 0) return std::nullopt;
  install_handler();
  const std::uint64_t start = offset & ~static_cast<std::uint64_t>(g_page - 1);
  const auto skip = static_cast<std::size_t>(offset - start);
  const std::size_t mapped = skip + length;
  void* base = ::mmap(nullptr, mapped, PROT_READ, MAP_PRIVATE, fd, static_cast<off_t>(start));
  if (base == MAP_FAILED) return std::nullopt;
  const auto packed = pack(reinterpret_cast<std::uintptr_t>(base), mapped);
  const int slot = packed ? claim_slot(*packed) : -1;
  if (slot < 0) {
    ::munmap(base, mapped);
    return std::nullopt;
  }
  return MappedRange(static_cast<char*>(base), mapped, skip, length, slot);
}

MappedRange::MappedRange(MappedRange&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)),
      mapped_(other.mapped_),
      skip_(other.skip_),
      length_(other.length_),
      slot_(std::exchange(other.slot_, -1)) {}

MappedRange& MappedRange::operator=(MappedRange&& other) noexcept {
  if (this != &other) {
    release();
    base_ = std::exchange(other.base_, nullptr);
    mapped_ = other.mapped_;
    skip_ = other.skip_;
    length_ = other.length_;
    slot_ = std::exchange(other.slot_, -1);
  }
  return *this;
}

MappedRange::~MappedRange() { release(); }

void MappedRange::release() noexcept {
  if (base_ == nullptr) return;
  g_slots[static_cast<std::size_t>(slot_)].pages.store(0, std::memory_order_release);
  ::munmap(base_, mapped_);
  base_ = nullptr;
  slot_ = -1;
}

bool MappedRange::faulted() const {
  return g_slots[static_cast<std::size_t>(slot_)].faulted.load(std::memory_order_acquire);
}

MappedVisit visit_mapped(const FileReader& file, std::uint64_t offset, std::uint64_t len,
                         std::size_t window, const std::function<void(std::span<const char>)>& visit) {
  MappedVisit out;
  while (out.visited < len) {
    const auto piece = static_cast<std::size_t>(std::min<std::uint64_t>(window, len - out.visited));
    const auto range = MappedRange::map(file.fd(), offset + out.visited, piece);
    if (!range) return out;  // not mappable here: the caller reads the rest
    visit(range->bytes());
    if (range->faulted()) {
      out.cut_short = true;
      return out;
    }
    out.visited += piece;
  }
  return out;
}

}  // namespace s3up::walker
