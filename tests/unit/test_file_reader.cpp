// FileReader: positional reads, re-stat after a change, errors naming the path.
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <string>
#include <system_error>
#include <vector>

#include "temp_tree.hpp"
#include "walker/file_reader.hpp"

namespace {

using s3up::test::TempTree;
using s3up::walker::FileReader;

// Whether `f` throws std::system_error whose what() contains `needle`.
template <typename F>
bool throws_naming(F&& f, const std::string& needle) {
  try {
    f();
  } catch (const std::system_error& e) {
    BOOST_TEST_MESSAGE("thrown: " << e.what());
    return std::string(e.what()).find(needle) != std::string::npos;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(file_reader)

BOOST_AUTO_TEST_CASE(reads_at_offsets_up_to_end_of_file) {
  TempTree tree;
  tree.file("data", 10000);
  FileReader reader = FileReader::open(tree.path("data"));
  BOOST_TEST(reader.size() == 10000u);
  BOOST_TEST(reader.path() == tree.path("data"));

  std::vector<char> buffer(4096, '\0');
  BOOST_TEST(reader.pread(buffer.data(), buffer.size(), 0) == 4096u);
  BOOST_TEST(std::string(buffer.data(), 4096) == std::string(4096, 'x'));
  BOOST_TEST(reader.pread(buffer.data(), buffer.size(), 8192) == 10000u - 8192u);  // short: EOF
  BOOST_TEST(reader.pread(buffer.data(), buffer.size(), 10000) == 0u);
  BOOST_TEST(reader.pread(buffer.data(), 0, 0) == 0u);
}

BOOST_AUTO_TEST_CASE(restat_sees_a_file_that_changed) {
  TempTree tree;
  tree.file("grows", 5);
  FileReader reader = FileReader::open(tree.path("grows"));
  const std::int64_t before = reader.mtime_ns();
  BOOST_TEST(reader.size() == 5u);

  tree.file("grows", 8);  // truncates and rewrites the same inode
  const struct timespec times[2] = {{0, UTIME_OMIT}, {before / 1'000'000'000 + 10, 0}};
  BOOST_REQUIRE(::utimensat(AT_FDCWD, tree.path("grows").c_str(), times, 0) == 0);
  BOOST_TEST(reader.size() == 8u);
  BOOST_TEST(reader.mtime_ns() != before);
  BOOST_TEST(reader.stat().st_size == 8);
  BOOST_TEST(reader.opened().st_size == 5);  // what it was when opened
}

BOOST_AUTO_TEST_CASE(moved_reader_keeps_the_file) {
  TempTree tree;
  tree.file("f", 3);
  FileReader first = FileReader::open(tree.path("f"));
  FileReader second = std::move(first);
  char buffer[3];
  BOOST_TEST(second.pread(buffer, 3, 0) == 3u);
  BOOST_TEST(first.fd() == -1);
}

BOOST_AUTO_TEST_CASE(missing_file_error_names_the_path) {
  TempTree tree;
  const std::string missing = tree.path("nope.txt");
  BOOST_TEST(throws_naming([&] { FileReader::open(missing); }, "'" + missing + "'"));
}

BOOST_AUTO_TEST_CASE(fifo_is_refused_without_blocking) {
  TempTree tree;
  tree.fifo("pipe");
  BOOST_TEST(throws_naming([&] { FileReader::open(tree.path("pipe")); }, "not a regular file"));
}

BOOST_AUTO_TEST_CASE(directory_is_refused) {
  TempTree tree;
  tree.dir("d");
  BOOST_TEST(throws_naming([&] { FileReader::open(tree.path("d")); }, tree.path("d")));
}

BOOST_AUTO_TEST_SUITE_END()
