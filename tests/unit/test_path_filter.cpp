// walker::glob_match / Glob / PathFilter: --include / --exclude.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "walker/path_filter.hpp"

using s3up::walker::FilterRule;
using s3up::walker::glob_match;
using s3up::walker::PathFilter;

namespace {

// The files of aws-cli's documented example folder /tmp/foo/, plus some nested ones.
const std::vector<std::string> kFiles = {
    ".git/config", ".git/description", "foo.txt", "bar.txt", "baz.jpg",
    "docs/a.txt", "docs/deep/b.txt", "docs/c.md", ".hidden", "docs/.env",
};

PathFilter make(std::initializer_list<FilterRule> rules) {
  PathFilter f;
  for (const auto& r : rules) f.add(r);
  return f;
}

std::vector<std::string> selected(const PathFilter& f) {
  std::vector<std::string> out;
  for (const auto& p : kFiles)
    if (f.selected(p)) out.push_back(p);
  return out;
}

FilterRule inc(std::string p) { return {true, std::move(p)}; }
FilterRule exc(std::string p) { return {false, std::move(p)}; }

using Names = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(path_filter)

BOOST_AUTO_TEST_CASE(literal_and_star) {
  BOOST_TEST(glob_match("foo.txt", "foo.txt"));
  BOOST_TEST(!glob_match("foo.txt", "foo.txtx"));
  BOOST_TEST(!glob_match("foo.txt", "xfoo.txt"));
  BOOST_TEST(glob_match("", ""));
  BOOST_TEST(!glob_match("", "a"));
  BOOST_TEST(glob_match("*", ""));
  BOOST_TEST(glob_match("*", "anything.at.all"));
  BOOST_TEST(!glob_match("*", "a/b"));  // '*' stays within a segment
  BOOST_TEST(glob_match("*.txt", "a.txt"));
  BOOST_TEST(glob_match("*.txt", ".txt"));
  BOOST_TEST(!glob_match("*.txt", "dir/a.txt"));
  BOOST_TEST(glob_match("*/*.txt", "dir/a.txt"));
  BOOST_TEST(glob_match("a*b*c", "abc"));
  BOOST_TEST(glob_match("a*b*c", "a-b-b-c"));
  BOOST_TEST(!glob_match("a*b*c", "a-b-b-c-"));
  BOOST_TEST(glob_match(".git/*", ".git/config"));
  BOOST_TEST(!glob_match(".git/*", ".git/hooks/pre-commit"));
}

BOOST_AUTO_TEST_CASE(globstar) {
  BOOST_TEST(glob_match("**", ""));
  BOOST_TEST(glob_match("**", "a/b/c"));
  BOOST_TEST(glob_match("**/*.txt", "a.txt"));  // "**/" matches zero folders
  BOOST_TEST(glob_match("**/*.txt", "x/a.txt"));
  BOOST_TEST(glob_match("**/*.txt", "x/y/z/a.txt"));
  BOOST_TEST(!glob_match("**/*.txt", "x/y/z/a.txt/b"));
  BOOST_TEST(glob_match("**.txt", "x/y/a.txt"));
  BOOST_TEST(glob_match("build/**", "build/a"));
  BOOST_TEST(glob_match("build/**", "build/a/b/c.o"));
  BOOST_TEST(!glob_match("build/**", "build"));
  BOOST_TEST(!glob_match("build/**", "builder/a"));
  BOOST_TEST(glob_match("a/**/b", "a/b"));
  BOOST_TEST(glob_match("a/**/b", "a/x/b"));
  BOOST_TEST(glob_match("a/**/b", "a/x/y/b"));
  BOOST_TEST(!glob_match("a/**/b", "a/xb"));
  BOOST_TEST(glob_match("**/node_modules/**", "node_modules/x/index.js"));
  BOOST_TEST(glob_match("**/node_modules/**", "web/node_modules/x/index.js"));
  BOOST_TEST(!glob_match("**/node_modules/**", "web/my_node_modules/x.js"));
  // "**/" only means "zero or more folders" at the start of a segment.
  BOOST_TEST(glob_match("a**/b", "ax/b"));
  BOOST_TEST(glob_match("a**/b", "a/c/b"));
  BOOST_TEST(!glob_match("a**/b", "ab"));
  BOOST_TEST(glob_match("***", "a/b"));
  BOOST_TEST(glob_match("**/**/x", "x"));
  BOOST_TEST(glob_match("**/**/x", "a/b/x"));
  BOOST_TEST(!glob_match("**/**/x", "a/bx"));
}

BOOST_AUTO_TEST_CASE(question_mark) {
  BOOST_TEST(glob_match("?.txt", "a.txt"));
  BOOST_TEST(!glob_match("?.txt", ".txt"));
  BOOST_TEST(!glob_match("?.txt", "ab.txt"));
  BOOST_TEST(!glob_match("a?b", "a/b"));
  // Bytewise: 'é' is two bytes in UTF-8.
  BOOST_TEST(!glob_match("caf?", "caf\xC3\xA9"));
  BOOST_TEST(glob_match("caf??", "caf\xC3\xA9"));
}

BOOST_AUTO_TEST_CASE(character_classes) {
  BOOST_TEST(glob_match("[abc].txt", "b.txt"));
  BOOST_TEST(!glob_match("[abc].txt", "d.txt"));
  BOOST_TEST(glob_match("file[0-9].log", "file7.log"));
  BOOST_TEST(!glob_match("file[0-9].log", "filex.log"));
  BOOST_TEST(glob_match("[a-cx-z]", "y"));
  BOOST_TEST(!glob_match("[a-cx-z]", "m"));
  BOOST_TEST(glob_match("[!x]", "y"));
  BOOST_TEST(!glob_match("[!x]", "x"));
  BOOST_TEST(glob_match("[^x]", "y"));
  BOOST_TEST(!glob_match("[^x]", "x"));
  BOOST_TEST(glob_match("[]]", "]"));   // ']' first is literal
  BOOST_TEST(glob_match("[!]]", "a"));
  BOOST_TEST(!glob_match("[!]]", "]"));
  BOOST_TEST(glob_match("[a-]", "-"));  // '-' last is literal
  BOOST_TEST(glob_match("[\\]x]", "]"));
  BOOST_TEST(!glob_match("[!a]", "/"));  // classes never match '/'
  BOOST_TEST(!glob_match("a[/]b", "a/b"));
  BOOST_TEST(glob_match("[abc", "[abc"));  // unclosed: literal
  BOOST_TEST(!glob_match("[abc", "a"));
  BOOST_TEST(glob_match("[\xC3]*", "\xC3\xA9"));  // bytes above 0x7F
}

BOOST_AUTO_TEST_CASE(escapes) {
  BOOST_TEST(glob_match("\\*", "*"));
  BOOST_TEST(!glob_match("\\*", "a"));
  BOOST_TEST(glob_match("a\\?b", "a?b"));
  BOOST_TEST(!glob_match("a\\?b", "axb"));
  BOOST_TEST(glob_match("\\[x]", "[x]"));
  BOOST_TEST(glob_match("\\\\", "\\"));
  BOOST_TEST(glob_match("a\\", "a\\"));  // a trailing '\' is literal
  BOOST_TEST(glob_match("\\*\\*/x", "**/x"));
  BOOST_TEST(!glob_match("\\*\\*/x", "a/x"));
}

BOOST_AUTO_TEST_CASE(pathological_patterns_are_fast) {
  const std::string long_a(100000, 'a');
  const auto start = std::chrono::steady_clock::now();
  BOOST_TEST(!glob_match("*a*a*a*a*a*b", long_a));
  BOOST_TEST(!glob_match("**a**a**a**a**a**b", long_a));
  BOOST_TEST(!glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", long_a));
  BOOST_TEST(glob_match("*a*a*a*a*a*a", long_a));
  std::string nested;
  for (int i = 0; i < 2000; ++i) nested += "a/";
  nested += "x";
  BOOST_TEST(!glob_match("**/a/**/a/**/a/**/a/**/b", nested));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  BOOST_TEST(seconds < 2.0);
}

BOOST_AUTO_TEST_CASE(no_rules_selects_everything) {
  PathFilter f;
  BOOST_TEST(f.empty());
  BOOST_TEST(selected(f) == kFiles);
  BOOST_TEST(!f.prunes_directory(""));
  BOOST_TEST(!f.prunes_directory(".git"));
  f.add(exc("*.tmp"));
  BOOST_TEST(!f.empty());
}

BOOST_AUTO_TEST_CASE(aws_cli_exclude_git_folder) {
  // aws-cli docs: --exclude ".git/*" leaves foo.txt, bar.txt and baz.jpg.
  const auto f = make({exc(".git/*")});
  BOOST_TEST(selected(f) == (Names{"foo.txt", "bar.txt", "baz.jpg", "docs/a.txt",
                                   "docs/deep/b.txt", "docs/c.md", ".hidden", "docs/.env"}));
}

BOOST_AUTO_TEST_CASE(aws_cli_exclude_all_then_include_txt) {
  // --exclude "*" --include "*.txt": only the (top-level) .txt files.
  const auto f = make({exc("*"), inc("*.txt")});
  BOOST_TEST(selected(f) == (Names{".git/config", ".git/description", "foo.txt", "bar.txt",
                                   "docs/a.txt", "docs/deep/b.txt", "docs/c.md", "docs/.env"}));
  // With "**" the rules reach every folder, as aws-cli's fnmatch "*" does.
  const auto g = make({exc("**"), inc("**/*.txt")});
  BOOST_TEST(selected(g) == (Names{"foo.txt", "bar.txt", "docs/a.txt", "docs/deep/b.txt"}));
}

BOOST_AUTO_TEST_CASE(aws_cli_include_then_exclude_all_excludes_everything) {
  // --include "*.txt" --exclude "*": the later exclude wins for every top-level file.
  const auto f = make({inc("*.txt"), exc("*")});
  for (const auto& p : {"foo.txt", "bar.txt", "baz.jpg", ".hidden"}) BOOST_TEST(!f.selected(p));
  const auto g = make({inc("**/*.txt"), exc("**")});
  BOOST_TEST(selected(g).empty());
}

BOOST_AUTO_TEST_CASE(aws_cli_exclude_pattern) {
  const auto f = make({exc("*.tmp")});
  BOOST_TEST(!f.selected("a.tmp"));
  BOOST_TEST(f.selected("a.tmpx"));
  BOOST_TEST(f.selected("a.txt"));
  BOOST_TEST(f.selected("dir/a.tmp"));  // '*' does not cross folders
  const auto g = make({exc("**.tmp")});
  BOOST_TEST(!g.selected("dir/sub/a.tmp"));
}

BOOST_AUTO_TEST_CASE(last_matching_rule_wins) {
  const auto f = make({exc("**"), inc("**/*.txt"), exc("docs/**")});
  BOOST_TEST(selected(f) == (Names{"foo.txt", "bar.txt"}));
  const auto g = make({exc("**/*.txt"), inc("bar.txt")});
  BOOST_TEST(selected(g) == (Names{".git/config", ".git/description", "bar.txt", "baz.jpg",
                                   "docs/c.md", ".hidden", "docs/.env"}));
}

BOOST_AUTO_TEST_CASE(hidden_files_match_wildcards) {
  // Unlike shells, '*' matches a leading '.': hidden files are ordinary names.
  // "**/.*" matches hidden files; files inside hidden folders need "**/.*/**" too.
  const auto f = make({exc("**/.*")});
  BOOST_TEST(selected(f) == (Names{".git/config", ".git/description", "foo.txt", "bar.txt",
                                   "baz.jpg", "docs/a.txt", "docs/deep/b.txt", "docs/c.md"}));
  const auto both = make({exc("**/.*"), exc("**/.*/**")});
  BOOST_TEST(selected(both) == (Names{"foo.txt", "bar.txt", "baz.jpg", "docs/a.txt",
                                      "docs/deep/b.txt", "docs/c.md"}));
  BOOST_TEST(both.prunes_directory(".git"));
  BOOST_TEST(both.prunes_directory("docs/.cache"));
  BOOST_TEST(!both.prunes_directory("docs"));
  const auto g = make({exc(".*")});
  BOOST_TEST(!g.selected(".hidden"));
  BOOST_TEST(g.selected(".git/config"));  // ".*" does not reach into .git/
  BOOST_TEST(g.selected("docs/.env"));
}

BOOST_AUTO_TEST_CASE(prunes_directory_when_certain) {
  const auto f = make({exc("build/**")});
  BOOST_TEST(f.prunes_directory("build"));
  BOOST_TEST(f.prunes_directory("build/"));
  BOOST_TEST(f.prunes_directory("build/obj/x"));
  BOOST_TEST(!f.prunes_directory("builder"));
  BOOST_TEST(!f.prunes_directory("src"));
  BOOST_TEST(!f.prunes_directory(""));

  const auto nm = make({exc("**/node_modules/**")});
  BOOST_TEST(nm.prunes_directory("node_modules"));
  BOOST_TEST(nm.prunes_directory("web/app/node_modules"));
  BOOST_TEST(!nm.prunes_directory("web/app"));

  BOOST_TEST(make({exc("**")}).prunes_directory(""));
  BOOST_TEST(make({exc("**")}).prunes_directory("any/dir"));
  BOOST_TEST(make({exc("*/**")}).prunes_directory("top"));
  BOOST_TEST(!make({exc("*/**")}).prunes_directory(""));  // top-level files are kept
}

BOOST_AUTO_TEST_CASE(prunes_directory_never_when_rules_could_reinclude) {
  // A later include that could match below the folder keeps it.
  BOOST_TEST(!make({exc("build/**"), inc("**/*.txt")}).prunes_directory("build"));
  BOOST_TEST(!make({exc("build/**"), inc("build/keep/*")}).prunes_directory("build"));
  BOOST_TEST(make({exc("build/**"), inc("build/keep/*")}).prunes_directory("build/other"));
  BOOST_TEST(!make({exc("build/**"), inc("build/keep/*")}).prunes_directory("build/keep"));
  BOOST_TEST(!make({exc("**"), inc("*.txt")}).prunes_directory(""));
  BOOST_TEST(make({exc("**"), inc("*.txt")}).prunes_directory("docs"));  // *.txt: top only
  // An include that cannot match below the folder does not.
  BOOST_TEST(make({exc("build/**"), inc("src/**")}).prunes_directory("build"));
  BOOST_TEST(make({exc("build/**"), inc("build")}).prunes_directory("build"));
  // An include before the exclude is overridden by it.
  BOOST_TEST(make({inc("build/keep/*"), exc("build/**")}).prunes_directory("build"));
  // A later exclude of everything makes earlier includes moot.
  BOOST_TEST(make({exc("**"), inc("**/*.txt"), exc("docs/**")}).prunes_directory("docs"));
  // Excludes that only match some paths below the folder never prune it.
  BOOST_TEST(!make({exc("build/*")}).prunes_directory("build"));
  BOOST_TEST(!make({exc("build/**/*.o")}).prunes_directory("build"));
  BOOST_TEST(!make({exc("*.tmp")}).prunes_directory("build"));
}

BOOST_AUTO_TEST_CASE(prunes_directory_agrees_with_selected) {
  // Whenever a folder is pruned, no path below it may be selected.
  const std::vector<std::vector<FilterRule>> rule_sets = {
      {exc("build/**")},
      {exc("**"), inc("**/*.txt")},
      {exc("**"), inc("docs/*.txt"), exc("docs/deep/**")},
      {exc("*/**"), inc("a/b/**")},
      {exc("**/x/**"), inc("**/x/keep")},
      {inc("**"), exc("a/**")},
  };
  const std::vector<std::string> dirs = {"", "a", "a/b", "a/b/c", "build", "build/x", "docs",
                                         "docs/deep", "x", "y/x", "y/x/z"};
  const std::vector<std::string> leaves = {"f", "f.txt", "keep", "b/f", "x/keep", "deep/f.txt"};
  for (const auto& rules : rule_sets) {
    PathFilter f;
    for (const auto& r : rules) f.add(r);
    for (const auto& d : dirs) {
      if (!f.prunes_directory(d)) continue;
      for (const auto& leaf : leaves) {
        const std::string path = d.empty() ? leaf : d + "/" + leaf;
        BOOST_TEST(!f.selected(path), "pruned " << d << " but selected " << path);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(glob_class_reports_coverage) {
  const s3up::walker::Glob g("logs/**");
  BOOST_TEST(g.matches("logs/a"));
  BOOST_TEST(g.matches_everything_under("logs"));
  BOOST_TEST(!g.matches_everything_under("log"));
  BOOST_TEST(g.may_match_under("logs"));
  BOOST_TEST(g.may_match_under(""));
  BOOST_TEST(!g.may_match_under("other"));
  const s3up::walker::Glob exact("logs/");
  BOOST_TEST(!exact.may_match_under("logs"));  // "logs/" + a non-empty rest never matches
}

BOOST_AUTO_TEST_SUITE_END()
