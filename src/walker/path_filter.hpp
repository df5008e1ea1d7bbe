// --include / --exclude: glob patterns over relative paths, applied in order as aws-cli does.
//
// Pattern syntax (bytewise; paths use '/' separators):
//   *        any run of bytes except '/' (stays within one path segment)
//   **       any run of bytes, '/' included
//   **/      zero or more whole folders: "**/*.txt" matches "a.txt" and "x/y/a.txt"
//   ?        one byte except '/'
//   [abc] [a-z] [!x] [^x]   one byte (never '/') in / not in the class; a ']' right after
//            '[' or '[!' is literal; '\' escapes inside a class; an unclosed '[' is literal
//   \c       the byte c literally; a trailing '\' is literal
// Unlike aws-cli (Python fnmatch, where '*' crosses folders) "*.txt" matches only top-level
// files; use "**/*.txt" or "**.txt" for every folder.
#pragma once
#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace s3up::walker {

// Whether `path` matches `pattern` as a whole (see the syntax above). Runs in
// O(pattern * path) time whatever the pattern (a state-set simulation, no backtracking).
// Never throws except std::bad_alloc.
bool glob_match(std::string_view pattern, std::string_view path);

// A pattern compiled once and matched many times; glob_match() compiles on every call.
class Glob {
 public:
  explicit Glob(std::string_view pattern);
  bool matches(std::string_view path) const;
  // Whether every path "dir/rest" (rest non-empty; "rest" alone when dir is "") matches.
  // True only when certain (e.g. "build/**" for "build" or "build/x").
  bool matches_everything_under(std::string_view dir) const;
  // Whether some path "dir/rest" could match. False only when certain.
  bool may_match_under(std::string_view dir) const;

 private:
  // "**/" is two tokens: FoldersSkip (zero-width: on to FoldersLoop, or past it) and
  // FoldersLoop (any bytes, left only through a '/'), which together match "" or ".*/".
  enum class Kind : std::uint8_t { Byte, AnyByte, Class, Star, GlobStar, FoldersSkip, FoldersLoop };
  struct Token {
    Kind kind;
    unsigned char byte = 0;
    std::bitset<256> set;  // Kind::Class
  };
  using States = std::vector<bool>;  // one per token position, plus the accepting end

  void close(States& states) const;  // adds what zero-width tokens reach
  States start() const;
  void step(const States& states, unsigned char c, States& next) const;
  States run(States states, std::string_view text) const;

  std::vector<Token> tokens_;
};

struct FilterRule {
  bool include;
  std::string pattern;
};

class PathFilter {
 public:
  // Appends a rule. Rules apply in the order given: every file starts included and each rule
  // whose pattern matches sets it included or excluded, so the last matching rule wins.
  void add(FilterRule rule);

  // Whether the file at `rel_path` ('/' separators, no leading "./") is selected.
  bool selected(std::string_view rel_path) const;

  // True when there are no rules (everything is selected).
  bool empty() const;

  // Whether the directory `rel_dir` (no leading "./"; "" is the root; a trailing '/' is
  // ignored) can be skipped without descending: true only when certain that no file below it
  // is selected, i.e. an exclude rule matches every path below it and no later include rule
  // could match any.
  bool prunes_directory(std::string_view rel_dir) const;

 private:
  struct Compiled {
    bool include;
    Glob glob;
  };
  std::vector<Compiled> rules_;
};

}  // namespace s3up::walker
