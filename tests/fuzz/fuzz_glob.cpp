// --include / --exclude patterns (walker::Glob, walker::PathFilter). The input is a pattern, a
// NUL byte, a path, a NUL byte and a folder. Checked: the compiled glob and glob_match agree;
// matches_everything_under and may_match_under are never wrong about a path below the folder;
// a folder that PathFilter prunes holds no selected file.
#include "fuzz_support.hpp"
#include "walker/path_filter.hpp"

namespace {

std::string below(std::string_view dir, std::string_view rest) {
  return dir.empty() ? std::string(rest) : std::string(dir) + "/" + std::string(rest);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using s3up::fuzz::check;
  namespace walker = s3up::walker;
  const auto parts = s3up::fuzz::split(s3up::fuzz::as_text(data, size), '\0', 3);
  const std::string_view pattern = parts[0];
  const std::string_view path = parts.size() > 1 ? parts[1] : std::string_view{};
  std::string_view dir = parts.size() > 2 ? parts[2] : std::string_view{};
  while (!dir.empty() && dir.back() == '/') dir.remove_suffix(1);

  const walker::Glob glob(pattern);
  const bool matches = glob.matches(path);
  check(matches == walker::glob_match(pattern, path), "Glob::matches and glob_match disagree");

  // Paths below dir: the fuzzed path's last segment, and a fixed one.
  const std::size_t slash = path.rfind('/');
  const std::string_view leaf = slash == std::string_view::npos ? path : path.substr(slash + 1);
  for (const std::string_view rest : {leaf, std::string_view("x"), path}) {
    if (rest.empty()) continue;
    const std::string inside = below(dir, rest);
    const bool inner = glob.matches(inside);
    if (glob.matches_everything_under(dir))
      check(inner, "matches_everything_under, but a path below does not match");
    if (!glob.may_match_under(dir))
      check(!inner, "may_match_under said no, but a path below matches");

    walker::PathFilter exclude_then_include;
    exclude_then_include.add({false, std::string(pattern)});
    walker::PathFilter include_all_but;
    include_all_but.add({false, "**"});
    include_all_but.add({true, std::string(pattern)});
    for (const walker::PathFilter* filter : {&exclude_then_include, &include_all_but}) {
      if (filter->prunes_directory(dir))
        check(!filter->selected(inside), "a pruned folder holds a selected file");
    }
  }
  return 0;
}
