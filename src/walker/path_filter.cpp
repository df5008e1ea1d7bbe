#include "walker/path_filter.hpp"

#include <algorithm>

namespace s3up::walker {
namespace {

// A trailing '/' of a directory is not part of its name.
std::string_view strip_trailing_slashes(std::string_view dir) {
  while (!dir.empty() && dir.back() == '/') dir.remove_suffix(1);
  return dir;
}

// "dir/" (or "" for the root): what every path below `dir` starts with.
std::string dir_prefix(std::string_view dir) {
  dir = strip_trailing_slashes(dir);
  if (dir.empty()) return {};
  std::string prefix(dir);
  prefix += '/';
  return prefix;
}

}  // namespace

Glob::Glob(std::string_view p) {
  std::size_t i = 0;
  const std::size_t n = p.size();
  auto push_byte = [&](char c) {
    tokens_.push_back({Kind::Byte, static_cast<unsigned char>(c), {}});
  };
  while (i < n) {
    const char c = p[i];
    if (c == '*') {
      std::size_t j = i;
      while (j < n && p[j] == '*') ++j;
      if (j - i == 1) {
        tokens_.push_back({Kind::Star, 0, {}});
      } else {
        // "**/" at the start of a segment also matches zero folders.
        const bool segment_start =
            tokens_.empty() || tokens_.back().kind == Kind::FoldersLoop ||
            (tokens_.back().kind == Kind::Byte && tokens_.back().byte == '/');
        if (j < n && p[j] == '/' && segment_start) {
          tokens_.push_back({Kind::FoldersSkip, 0, {}});
          tokens_.push_back({Kind::FoldersLoop, 0, {}});
          ++j;
        } else {
          tokens_.push_back({Kind::GlobStar, 0, {}});
        }
      }
      i = j;
    } else if (c == '?') {
      tokens_.push_back({Kind::AnyByte, 0, {}});
      ++i;
    } else if (c == '\\') {
      if (i + 1 < n) {
        push_byte(p[i + 1]);
        i += 2;
      } else {
        push_byte('\\');
        ++i;
      }
    } else if (c == '[') {
      // A class; when unclosed the '[' is an ordinary byte.
      std::size_t j = i + 1;
      bool negate = false;
      if (j < n && (p[j] == '!' || p[j] == '^')) {
        negate = true;
        ++j;
      }
      std::bitset<256> set;
      bool first = true;
      bool closed = false;
      auto read_member = [&](unsigned char& out) {
        if (p[j] == '\\' && j + 1 < n) {
          out = static_cast<unsigned char>(p[j + 1]);
          j += 2;
        } else {
          out = static_cast<unsigned char>(p[j]);
          ++j;
        }
      };
      while (j < n) {
        if (p[j] == ']' && !first) {
          closed = true;
          ++j;
          break;
        }
        first = false;
        unsigned char lo = 0;
        read_member(lo);
        unsigned char hi = lo;
        if (j + 1 < n && p[j] == '-' && p[j + 1] != ']') {
          ++j;
          read_member(hi);
        }
        for (unsigned v = lo; v <= hi; ++v) set.set(v);
      }
      if (!closed) {
        push_byte('[');
        ++i;
        continue;
      }
      if (negate) set.flip();
      set.reset('/');
      tokens_.push_back({Kind::Class, 0, set});
      i = j;
    } else {
      push_byte(c);
      ++i;
    }
  }
}

void Glob::close(States& states) const {
  // Epsilon moves only go forward, so one ascending pass reaches them all.
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    if (!states[i]) continue;
    const Kind k = tokens_[i].kind;
    if (k == Kind::Star || k == Kind::GlobStar || k == Kind::FoldersSkip) states[i + 1] = true;
    if (k == Kind::FoldersSkip) states[i + 2] = true;
  }
}

Glob::States Glob::start() const {
  States s(tokens_.size() + 1, false);
  s[0] = true;
  close(s);
  return s;
}

void Glob::step(const States& states, unsigned char c, States& next) const {
  next.assign(tokens_.size() + 1, false);
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    if (!states[i]) continue;
    const Token& t = tokens_[i];
    switch (t.kind) {
      case Kind::Byte:
        if (c == t.byte) next[i + 1] = true;
        break;
      case Kind::AnyByte:
        if (c != '/') next[i + 1] = true;
        break;
      case Kind::Class:
        if (t.set.test(c)) next[i + 1] = true;
        break;
      case Kind::Star:
        if (c != '/') next[i] = true;
        break;
      case Kind::GlobStar:
        next[i] = true;
        break;
      case Kind::FoldersSkip:
        break;
      case Kind::FoldersLoop:
        next[i] = true;
        if (c == '/') next[i + 1] = true;
        break;
    }
  }
  close(next);
}

Glob::States Glob::run(States states, std::string_view text) const {
  States next;
  for (const char c : text) {
    step(states, static_cast<unsigned char>(c), next);
    states.swap(next);
    if (std::find(states.begin(), states.end(), true) == states.end()) break;  // dead
  }
  return states;
}

bool Glob::matches(std::string_view path) const { return run(start(), path).back(); }

bool Glob::matches_everything_under(std::string_view dir) const {
  const States states = run(start(), dir_prefix(dir));
  // Any rest matches when a reachable "**" can take all of it and what follows the "**" can
  // match nothing.
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    if (!states[i] || tokens_[i].kind != Kind::GlobStar) continue;
    States after(tokens_.size() + 1, false);
    after[i + 1] = true;
    close(after);
    if (after.back()) return true;
  }
  return false;
}

bool Glob::may_match_under(std::string_view dir) const {
  const States from = run(start(), dir_prefix(dir));
  // The states reachable by consuming at least one more byte, whatever the bytes.
  auto consume_any = [&](const States& s) {
    States next(tokens_.size() + 1, false);
    for (std::size_t i = 0; i < tokens_.size(); ++i) {
      if (!s[i]) continue;
      const Token& t = tokens_[i];
      if (t.kind == Kind::FoldersSkip || (t.kind == Kind::Class && t.set.none())) continue;
      next[i + 1] = true;
      if (t.kind == Kind::Star || t.kind == Kind::GlobStar || t.kind == Kind::FoldersLoop)
        next[i] = true;
    }
    close(next);
    return next;
  };
  States reach = consume_any(from);
  for (;;) {
    States more = consume_any(reach);
    bool grew = false;
    for (std::size_t i = 0; i < more.size(); ++i) {
      if (more[i] && !reach[i]) {
        reach[i] = true;
        grew = true;
      }
    }
    if (!grew) break;
  }
  return reach.back();
}

bool glob_match(std::string_view pattern, std::string_view path) {
  return Glob(pattern).matches(path);
}

void PathFilter::add(FilterRule rule) {
  rules_.push_back({rule.include, Glob(rule.pattern)});
}

bool PathFilter::selected(std::string_view rel_path) const {
  for (auto it = rules_.rbegin(); it != rules_.rend(); ++it)
    if (it->glob.matches(rel_path)) return it->include;
  return true;
}

bool PathFilter::empty() const { return rules_.empty(); }

bool PathFilter::prunes_directory(std::string_view rel_dir) const {
  // From the last rule back: an include that could match something below re-includes it
  // whatever came before; an exclude that matches everything below decides for all of it.
  for (auto it = rules_.rbegin(); it != rules_.rend(); ++it) {
    if (it->include) {
      if (it->glob.may_match_under(rel_dir)) return false;
    } else if (it->glob.matches_everything_under(rel_dir)) {
      return true;
    }
  }
  return false;
}

}  // namespace s3up::walker
