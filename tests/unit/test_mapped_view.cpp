// visit_mapped and MappedRange: a file's bytes seen in place, window by window; a file cut short
// under a mapping reported (not a SIGBUS); a SIGBUS outside any MappedRange still fatal.
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "temp_tree.hpp"
#include "varied_bytes.hpp"
#include "walker/mapped_view.hpp"

namespace {

using s3up::test::TempTree;
using s3up::walker::FileReader;
using s3up::walker::MappedVisit;
using s3up::walker::visit_mapped;

constexpr std::size_t kMiB = std::size_t{1} << 20;

// `size` varied bytes, written to `path`.
std::vector<char> write_varied(const std::string& path, std::size_t size) {
  std::vector<char> bytes = s3up::test::varied_bytes(size);
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(size));
  return bytes;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mapped_view)

BOOST_AUTO_TEST_CASE(visits_every_byte_in_order_from_any_offset) {
  TempTree tree;
  const auto bytes = write_varied(tree.path("f"), 3 * kMiB + 123);
  const FileReader file = FileReader::open(tree.path("f"));

  std::vector<char> seen;
  std::size_t windows = 0;
  const auto collect = [&](std::span<const char> w) {
    seen.insert(seen.end(), w.begin(), w.end());
    ++windows;
  };
  MappedVisit v = visit_mapped(file, 0, bytes.size(), kMiB, collect);
  BOOST_TEST(v.visited == bytes.size());
  BOOST_TEST(!v.cut_short);
  BOOST_TEST(windows == 4u);
  BOOST_TEST((seen == bytes));

  // An offset off any page boundary, windows of an odd size, a range ending before the file.
  seen.clear();
  windows = 0;
  const std::size_t offset = 5000, len = bytes.size() - offset - 7, window = 64 * 1024 + 3;
  v = visit_mapped(file, offset, len, window, collect);
  BOOST_TEST(v.visited == len);
  BOOST_TEST(!v.cut_short);
  BOOST_TEST(windows == (len + window - 1) / window);
  BOOST_TEST((seen == std::vector<char>(bytes.begin() + offset, bytes.begin() + offset + len)));

  v = visit_mapped(file, 0, 0, kMiB, collect);  // nothing asked, nothing visited
  BOOST_TEST(v.visited == 0u);
  BOOST_TEST(windows == (len + window - 1) / window);
}

BOOST_AUTO_TEST_CASE(a_file_cut_short_under_a_mapping_is_reported_not_fatal) {
  TempTree tree;
  // Cut on a page boundary and inside a page: the bytes past the new end read as zeros either
  // way (the end's own page from the kernel, the pages after it from the handler).
  for (const std::size_t cut : {kMiB + kMiB / 2, kMiB + kMiB / 2 + 100}) {
    const auto bytes = write_varied(tree.path("f"), 4 * kMiB);
    const FileReader file = FileReader::open(tree.path("f"));
    std::vector<std::vector<char>> windows;
    const MappedVisit v = visit_mapped(file, 0, bytes.size(), kMiB, [&](std::span<const char> w) {
      windows.emplace_back(w.begin(), w.end());  // reads every byte of the window
      if (windows.size() == 1) BOOST_REQUIRE(::truncate(tree.path("f").c_str(), static_cast<off_t>(cut)) == 0);
    });
    BOOST_TEST(v.cut_short);
    BOOST_TEST(v.visited == kMiB);  // the first window only: the second is the one cut
    BOOST_REQUIRE(windows.size() == 2u);
    const std::vector<char>& second = windows[1];
    BOOST_REQUIRE(second.size() == kMiB);
    const std::size_t kept = cut - kMiB;
    BOOST_TEST(std::equal(second.begin(), second.begin() + static_cast<std::ptrdiff_t>(kept),
                          bytes.begin() + static_cast<std::ptrdiff_t>(kMiB)));
    BOOST_TEST(std::all_of(second.begin() + static_cast<std::ptrdiff_t>(kept), second.end(),
                           [](char c) { return c == 0; }));
  }

  // A file already shorter than the range asked: cut short at once, and the process goes on.
  write_varied(tree.path("g"), 10);
  const FileReader g = FileReader::open(tree.path("g"));
  std::size_t calls = 0;
  const MappedVisit v = visit_mapped(g, 0, 3 * kMiB, kMiB, [&](std::span<const char> w) {
    ++calls;
    volatile char sum = 0;
    for (char c : w) sum = static_cast<char>(sum + c);
  });
  BOOST_TEST(v.cut_short);
  BOOST_TEST(v.visited == 0u);
  BOOST_TEST(calls == 1u);
}

BOOST_AUTO_TEST_CASE(a_bus_error_outside_any_mapped_range_is_still_fatal) {
  TempTree tree;
  write_varied(tree.path("f"), 2 * kMiB);
  const FileReader file = FileReader::open(tree.path("f"));
  const pid_t child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    const struct rlimit no_core {0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    // SIGBUS's disposition before s3up's handler: the default (the test framework's otherwise).
    ::signal(SIGBUS, SIG_DFL);
    visit_mapped(file, 0, 4096, 4096, [](std::span<const char>) {});  // installs the handler
    void* p = ::mmap(nullptr, 2 * kMiB, PROT_READ, MAP_PRIVATE, file.fd(), 0);
    if (p == MAP_FAILED || ::truncate(tree.path("f").c_str(), 4096) != 0) ::_exit(2);
    volatile char c = static_cast<const char*>(p)[kMiB];  // past the end, in no MappedRange
    (void)c;
    ::_exit(0);  // survived: the handler swallowed a fault that was not its own
  }
  int status = 0;
  BOOST_REQUIRE(::waitpid(child, &status, 0) == child);
  BOOST_TEST_MESSAGE("child status " << status);
  // Killed by SIGBUS (or, under a sanitizer, its report and exit code): anything but exit 0 or 2.
  BOOST_TEST(!(WIFEXITED(status) && WEXITSTATUS(status) == 0));
  BOOST_TEST(!(WIFEXITED(status) && WEXITSTATUS(status) == 2));
  if (WIFSIGNALED(status)) BOOST_TEST(WTERMSIG(status) == SIGBUS);
}

BOOST_AUTO_TEST_SUITE_END()
