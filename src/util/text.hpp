// ASCII case for protocol text (header names, schemes, host names, config keys and values): the
// locale never changes how a name compares.
#pragma once
#include <string>
#include <string_view>

namespace s3up::util {

// `s` with A-Z lowered; every other byte (UTF-8 included) as it was.
std::string ascii_lower(std::string_view s);

// Whether `a` and `b` are equal but for the case of A-Z.
bool iequals_ascii(std::string_view a, std::string_view b);

}  // namespace s3up::util
