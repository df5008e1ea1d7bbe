// The INI dialect of the shared config and credentials files (util::parse_ini): never throws,
// keys are lower-cased, section names and values trimmed.
#include <cctype>

#include "fuzz_support.hpp"
#include "util/ini.hpp"

namespace {

bool trimmed(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  return s.empty() || (!space(s.front()) && !space(s.back()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using s3up::fuzz::check;
  const auto doc = s3up::util::parse_ini(s3up::fuzz::as_text(data, size));
  for (const auto& [name, section] : doc.sections) {
    check(trimmed(name), "a section name is not trimmed");
    check(doc.find(name) == &section, "find() does not return the section it lists");
    for (const auto& [key, value] : section) {
      for (const char c : key)
        check(!(c >= 'A' && c <= 'Z'), "a key is not lower-cased");
      check(!key.empty(), "an empty key");
    }
  }
  return 0;
}
