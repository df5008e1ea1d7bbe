// Walker over real trees: order, kinds, sizes, symlinks (skipped / followed / loops / broken),
// special files, unreadable directories, file and missing roots.
#include <grp.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <optional>
#include <string>
#include <vector>

#include "temp_tree.hpp"
#include "walker/path_filter.hpp"
#include "walker/walker.hpp"

namespace {

using s3up::test::TempTree;
using s3up::walker::Entry;
using s3up::walker::EntryKind;
using s3up::walker::Options;
using s3up::walker::Walker;
using s3up::walker::WalkError;
namespace tt = boost::test_tools;

// "file a/b.txt 3", "empty dir e", "skipped l (symlink skipped ...)", "error d (permission ...)".
std::string describe(const Entry& entry) {
  std::string text = std::string(s3up::walker::to_string(entry.kind)) + " " + entry.rel;
  if (entry.kind == EntryKind::File) text += " " + std::to_string(entry.size);
  if (!entry.reason.empty()) text += " (" + entry.reason + ")";
  return text;
}

// Every entry of a walk, in order (stops at 10,000 entries: a walk that loops fails the test).
std::vector<Entry> walk(const std::string& root, Options options = {}) {
  Walker walker(root, options);
  std::vector<Entry> entries;
  while (auto entry = walker.next()) {
    entries.push_back(std::move(*entry));
    if (entries.size() >= 10000) break;
  }
  return entries;
}

std::vector<std::string> descriptions(const std::vector<Entry>& entries) {
  std::vector<std::string> out;
  for (const Entry& entry : entries) out.push_back(describe(entry));
  return out;
}

std::vector<std::string> walk_descriptions(const std::string& root, Options options = {}) {
  return descriptions(walk(root, options));
}

std::vector<std::string> sorted(std::vector<std::string> lines) {
  std::sort(lines.begin(), lines.end());
  return lines;
}

const std::string kUnicodeName = "caf\xc3\xa9 \xe2\x98\x95.txt";  // "café ☕.txt"
const std::string kInvalidUtf8Name = "bad\xff\xfe.bin";

// A tree exercising ordering, hidden names, empty files and folders, odd names.
void build_plain_tree(const TempTree& tree) {
  tree.file("a.txt", 3);
  tree.dir("b");
  tree.file("b/c.txt", 0);
  tree.dir("b/d");
  tree.file("b/d/e.bin", 100);
  tree.file(".hidden", 1);
  tree.dir(".hdir");
  tree.file(".hdir/x", 2);
  tree.dir("empty");
  tree.dir("outer");
  tree.dir("outer/inner");
  tree.file("with space.txt", 4);
  tree.file(kUnicodeName, 5);
  tree.file(kInvalidUtf8Name, 6);
  tree.file("z-last", 7);
}

const std::vector<std::string> kPlainTree = {
    "file .hdir/x 2",
    "file .hidden 1",
    "file a.txt 3",
    "file b/c.txt 0",
    "file b/d/e.bin 100",
    "file " + kInvalidUtf8Name + " 6",
    "file " + kUnicodeName + " 5",
    "empty dir empty",
    "empty dir outer/inner",
    "file with space.txt 4",
    "file z-last 7",
};

// A tree of symlinks: to a file, to a directory, dangling.
void build_link_tree(const TempTree& tree) {
  tree.dir("real");
  tree.file("real/f", 3);
  tree.file("file", 5);
  tree.symlink("file", "link-file");
  tree.symlink("real", "link-dir");
  tree.symlink("nowhere", "dangling");
}

// What a walk run without privileges produced.
struct ChildWalk {
  bool dropped = false;            // false: privileges could not be dropped, nothing was run
  std::vector<std::string> lines;  // the descriptions
  std::string exception;           // what() of an exception, if the walk threw
};

// Walks `target` (relative to `dir`) in a child process running as uid/gid 65534: root bypasses
// permission checks, so this is how permission cases are tested when the tests run as root.
ChildWalk walk_unprivileged(const std::string& dir, const std::string& target) {
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    if (::chdir(dir.c_str()) != 0 || ::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 ||
        ::setuid(65534) != 0 || ::geteuid() == 0) {
      out = "NOPRIV";
    } else {
      try {
        out = "OK\n";
        for (const std::string& line : walk_descriptions(target)) out += line + "\n";
      } catch (const std::exception& e) {
        out = std::string("EXCEPTION ") + e.what();
      }
    }
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0) {
    out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  BOOST_REQUIRE(WIFEXITED(status));

  ChildWalk result;
  if (out == "NOPRIV") return result;
  result.dropped = true;
  if (out.rfind("EXCEPTION ", 0) == 0) {
    result.exception = out.substr(10);
    return result;
  }
  std::size_t start = out.find('\n') + 1;  // after "OK"
  for (std::size_t end; (end = out.find('\n', start)) != std::string::npos; start = end + 1) {
    result.lines.push_back(out.substr(start, end - start));
  }
  return result;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(walker)

BOOST_AUTO_TEST_CASE(walks_a_tree_depth_first_in_bytewise_order) {
  TempTree tree;
  build_plain_tree(tree);
  Walker walker(tree.root(), {});
  std::vector<Entry> entries;
  while (auto entry = walker.next()) entries.push_back(std::move(*entry));
  BOOST_TEST(descriptions(entries) == kPlainTree, tt::per_element());
  BOOST_TEST(walker.files_seen() == 9u);
  BOOST_TEST(walker.bytes_seen() == 128u);
  BOOST_TEST(!walker.next());

  for (const Entry& entry : entries) {
    BOOST_TEST(entry.path == tree.path(entry.rel));
    BOOST_TEST(entry.reason.empty());
    if (entry.kind != EntryKind::File) continue;
    struct stat st;
    BOOST_REQUIRE(::stat(entry.path.c_str(), &st) == 0);
    BOOST_TEST(entry.mtime_ns == st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec);
  }
}

BOOST_AUTO_TEST_CASE(walks_are_repeatable) {
  TempTree tree;
  build_plain_tree(tree);
  BOOST_TEST(walk_descriptions(tree.root()) == walk_descriptions(tree.root()), tt::per_element());
}

BOOST_AUTO_TEST_CASE(empty_dirs_can_be_left_out) {
  TempTree tree;
  build_plain_tree(tree);
  std::vector<std::string> expected;
  for (const std::string& line : kPlainTree) {
    if (line.rfind("empty dir", 0) != 0) expected.push_back(line);
  }
  BOOST_TEST(walk_descriptions(tree.root(), {.report_empty_dirs = false}) == expected,
             tt::per_element());
}

BOOST_AUTO_TEST_CASE(trailing_slash_on_root_is_accepted) {
  TempTree tree;
  build_plain_tree(tree);
  const std::vector<Entry> entries = walk(tree.root() + "/");
  BOOST_TEST(descriptions(entries) == kPlainTree, tt::per_element());
  for (const Entry& entry : entries) BOOST_TEST(entry.path == tree.path(entry.rel));
}

BOOST_AUTO_TEST_CASE(empty_root_yields_nothing) {
  TempTree tree;
  BOOST_TEST(walk(tree.root()).empty());
}

BOOST_AUTO_TEST_CASE(symlinks_are_skipped_by_default) {
  TempTree tree;
  build_link_tree(tree);
  const std::vector<std::string> expected = {
      "skipped dangling (symlink skipped (use --follow-symlinks))",
      "file file 5",
      "skipped link-dir (symlink skipped (use --follow-symlinks))",
      "skipped link-file (symlink skipped (use --follow-symlinks))",
      "file real/f 3",
  };
  BOOST_TEST(walk_descriptions(tree.root()) == expected, tt::per_element());
}

BOOST_AUTO_TEST_CASE(symlinks_are_followed_with_the_option) {
  TempTree tree;
  build_link_tree(tree);
  const std::vector<Entry> entries = walk(tree.root(), {.follow_symlinks = true});
  const std::vector<std::string> expected = {
      "error dangling (broken symlink)",
      "file file 5",
      "file link-dir/f 3",
      "file link-file 5",
      "file real/f 3",
  };
  BOOST_TEST(descriptions(entries) == expected, tt::per_element());
  for (const Entry& entry : entries) BOOST_TEST(entry.path == tree.path(entry.rel));
}

BOOST_AUTO_TEST_CASE(symlink_loops_are_errors_and_the_walk_ends) {
  TempTree tree;
  tree.dir("a");
  tree.file("a/f", 1);
  tree.dir("a/b");
  tree.symlink("../..", "a/b/up");   // the root: an ancestor
  tree.symlink(".", "a/self");       // its own folder
  tree.symlink("chain2", "chain1");  // a chain that never resolves
  tree.symlink("chain1", "chain2");
  const std::vector<std::string> followed = {
      "error a/b/up (symlink loop)", "file a/f 1",
      "error a/self (symlink loop)", "error chain1 (symlink loop)",
      "error chain2 (symlink loop)",
  };
  BOOST_TEST(walk_descriptions(tree.root(), {.follow_symlinks = true}) == followed,
             tt::per_element());
  const std::vector<std::string> skipped = {
      "skipped a/b/up (symlink skipped (use --follow-symlinks))",
      "file a/f 1",
      "skipped a/self (symlink skipped (use --follow-symlinks))",
      "skipped chain1 (symlink skipped (use --follow-symlinks))",
      "skipped chain2 (symlink skipped (use --follow-symlinks))",
  };
  BOOST_TEST(walk_descriptions(tree.root()) == skipped, tt::per_element());
}

BOOST_AUTO_TEST_CASE(a_directory_reached_twice_by_links_is_walked_twice_without_loop) {
  TempTree tree;
  tree.dir("shared");
  tree.file("shared/f", 2);
  tree.dir("x");
  tree.symlink("../shared", "x/one");
  tree.symlink("../shared", "x/two");
  const std::vector<std::string> expected = {
      "file shared/f 2",
      "file x/one/f 2",
      "file x/two/f 2",
  };
  BOOST_TEST(walk_descriptions(tree.root(), {.follow_symlinks = true}) == expected,
             tt::per_element());
}

BOOST_AUTO_TEST_CASE(special_files_are_skipped_without_being_opened) {
  TempTree tree;
  tree.fifo("pipe");  // opening it for reading would block: the walk must not
  tree.socket("sock");
  tree.file("plain", 1);
  tree.symlink("pipe", "to-pipe");
  std::vector<std::string> expected = {
      "skipped pipe (fifo skipped)",
      "file plain 1",
      "skipped sock (socket skipped)",
  };
  const bool have_device = ::mknod(tree.path("null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0;
  if (have_device) {
    expected.push_back("skipped null (device skipped)");
  } else {
    BOOST_TEST_MESSAGE("mknod not permitted here: device case not checked");
  }
  std::vector<std::string> followed = expected;
  expected.push_back("skipped to-pipe (symlink skipped (use --follow-symlinks))");
  followed.push_back("skipped to-pipe (fifo skipped)");
  BOOST_TEST(sorted(walk_descriptions(tree.root())) == sorted(expected), tt::per_element());
  BOOST_TEST(sorted(walk_descriptions(tree.root(), {.follow_symlinks = true})) == sorted(followed),
             tt::per_element());
}

BOOST_AUTO_TEST_CASE(unreadable_directory_is_an_error_and_the_walk_goes_on) {
  TempTree tree;
  tree.file("a", 1);
  tree.dir("locked");
  tree.file("locked/hidden-by-mode", 1);
  tree.file("secret", 2);
  tree.dir("z");
  tree.file("z/f", 3);
  tree.chmod("locked", 0);
  tree.chmod("secret", 0);  // unreadable file: still a File, the uploader reports the open error
  tree.chmod("", 0755);     // mkdtemp made the root 0700
  const std::vector<std::string> expected = {
      "file a 1",
      "error locked (permission denied)",
      "file secret 2",
      "file z/f 3",
  };
  if (::geteuid() != 0) {
    const std::vector<Entry> entries = walk(tree.root());
    BOOST_TEST(descriptions(entries) == expected, tt::per_element());
    BOOST_TEST(entries.at(1).path == tree.path("locked"));
    return;
  }
  // Root reads everything: walk from a child that dropped its privileges.
  const ChildWalk child = walk_unprivileged(tree.root(), ".");
  if (!child.dropped) {
    BOOST_TEST_MESSAGE("running as root and cannot drop privileges: permission case not checked");
    return;
  }
  BOOST_TEST(child.exception == "");
  BOOST_TEST(child.lines == expected, tt::per_element());
}

BOOST_AUTO_TEST_CASE(unreadable_root_throws_walk_error) {
  TempTree tree;
  tree.dir("locked");
  tree.chmod("locked", 0);
  tree.chmod("", 0755);
  if (::geteuid() != 0) {
    BOOST_CHECK_EXCEPTION(Walker(tree.path("locked"), {}), WalkError, [&](const WalkError& e) {
      return std::string(e.what()) ==
             "cannot walk '" + tree.path("locked") + "': permission denied";
    });
    return;
  }
  const ChildWalk child = walk_unprivileged(tree.root(), "locked");
  if (!child.dropped) {
    BOOST_TEST_MESSAGE("running as root and cannot drop privileges: permission case not checked");
    return;
  }
  BOOST_TEST(child.exception == "cannot walk 'locked': permission denied");
}

BOOST_AUTO_TEST_CASE(root_that_is_a_file_yields_exactly_that_file) {
  TempTree tree;
  tree.dir("d");
  tree.file("d/report.csv", 42);
  Walker walker(tree.path("d/report.csv"), {});
  const auto entry = walker.next();
  BOOST_REQUIRE(entry);
  BOOST_TEST(describe(*entry) == "file report.csv 42");
  BOOST_TEST(entry->path == tree.path("d/report.csv"));
  BOOST_TEST(!walker.next());
  BOOST_TEST(walker.files_seen() == 1u);
  BOOST_TEST(walker.bytes_seen() == 42u);
}

BOOST_AUTO_TEST_CASE(root_symlink_is_followed) {
  TempTree tree;
  tree.dir("real");
  tree.file("real/f", 1);
  tree.symlink("real", "alias");
  const std::vector<Entry> entries = walk(tree.path("alias"));
  BOOST_TEST(descriptions(entries) == std::vector<std::string>{"file f 1"}, tt::per_element());
  BOOST_TEST(entries.at(0).path == tree.path("alias/f"));
}

BOOST_AUTO_TEST_CASE(missing_root_throws_walk_error_naming_it) {
  TempTree tree;
  const std::string missing = tree.path("no/such dir");
  BOOST_CHECK_EXCEPTION(Walker(missing, {}), WalkError, [&](const WalkError& e) {
    return std::string(e.what()) == "cannot walk '" + missing + "': no such file or directory";
  });
}

BOOST_AUTO_TEST_CASE(special_root_throws_walk_error) {
  TempTree tree;
  tree.fifo("pipe");
  BOOST_CHECK_THROW(Walker(tree.path("pipe"), {}), WalkError);
}

BOOST_AUTO_TEST_CASE(deep_trees_are_walked_iteratively) {
  TempTree tree;
  std::string rel = "d";
  for (int depth = 0; depth < 150; ++depth) {
    tree.dir(rel);
    rel += "/d";
  }
  tree.file(rel.substr(0, rel.size() - 2) + "/leaf", 9);
  const std::vector<Entry> entries = walk(tree.root());
  BOOST_REQUIRE(entries.size() == 1u);
  BOOST_TEST(describe(entries[0]) == "file " + rel.substr(0, rel.size() - 2) + "/leaf 9");
}

// The walk yields relative paths in byte order, the order S3 lists keys in, even where a
// directory name is a prefix of file names holding bytes below '/' ('-', '.', ' ').
BOOST_AUTO_TEST_CASE(walk_order_is_the_byte_order_of_paths) {
  TempTree tree;
  tree.dir("a");
  tree.file("a/x", 1);
  tree.file("a-b", 1);
  tree.file("a.txt", 1);
  tree.file("a b", 1);
  tree.dir("a0");
  tree.file("a0/y", 1);
  tree.dir("b");
  tree.dir("b/c");
  tree.file("b/c/d", 1);
  tree.file("b/c-d", 1);
  tree.file("b/c.", 1);
  std::vector<std::string> rels;
  for (const Entry& e : walk(tree.root())) rels.push_back(e.rel);
  const std::vector<std::string> expected = {"a b", "a-b", "a.txt", "a/x", "a0/y",
                                             "b/c-d", "b/c.", "b/c/d"};
  BOOST_TEST(rels == expected, tt::per_element());
  BOOST_TEST(std::is_sorted(rels.begin(), rels.end()));
}

BOOST_AUTO_TEST_CASE(followed_directory_links_sort_as_directories) {
  TempTree tree;
  tree.dir("real");
  tree.file("real/f", 1);
  tree.symlink("real", "link");
  tree.file("link-file", 1);
  Options options;
  options.follow_symlinks = true;
  std::vector<std::string> rels;
  for (const Entry& e : walk(tree.root(), options)) rels.push_back(e.rel);
  const std::vector<std::string> expected = {"link-file", "link/f", "real/f"};
  BOOST_TEST(rels == expected, tt::per_element());
}

BOOST_AUTO_TEST_CASE(filter_drops_excluded_entries_and_prunes_directories) {
  TempTree tree;
  tree.dir("build");
  tree.dir("build/obj");
  tree.file("build/obj/x.o", 1);
  tree.file("build/keep.txt", 1);
  tree.dir("src");
  tree.file("src/main.cpp", 3);
  tree.file("src/notes.txt", 2);
  tree.file("top.txt", 4);
  tree.dir("empty");
  tree.chmod("build/obj", 0);  // would be an Error entry if the walker descended into it

  s3up::walker::PathFilter filter;
  filter.add({false, "build/**"});
  filter.add({false, "*.cpp"});
  filter.add({false, "**/*.cpp"});
  Options options;
  options.filter = &filter;
  Walker walker(tree.root(), options);
  std::vector<std::string> seen;
  while (auto e = walker.next()) seen.push_back(describe(*e));
  const std::vector<std::string> expected = {"empty dir empty", "file src/notes.txt 2",
                                             "file top.txt 4"};
  BOOST_TEST(seen == expected, tt::per_element());
  BOOST_TEST(walker.files_filtered() == 1u);  // src/main.cpp; build/ was never entered

  s3up::walker::PathFilter only_txt;
  only_txt.add({false, "**"});
  only_txt.add({true, "**/*.txt"});
  options.filter = &only_txt;
  std::vector<std::string> rels;
  for (const Entry& e : walk(tree.root(), options)) rels.push_back(e.rel);
  const std::vector<std::string> txt = {"build/keep.txt", "src/notes.txt", "top.txt"};
  BOOST_TEST(rels == txt, tt::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
