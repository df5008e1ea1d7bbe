// UTF-8 validation (RFC 3629): no overlong forms, no surrogates (U+D800..U+DFFF), nothing above
// U+10FFFF, no truncated sequences.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace s3up::util {

// The offset of the first byte of the first invalid sequence, or nullopt when all of `text` is
// valid UTF-8 (the empty string is). Never throws.
std::optional<std::size_t> utf8_error_offset(std::string_view text);

inline bool is_valid_utf8(std::string_view text) { return !utf8_error_offset(text); }

// `text` made safe to print and to put in JSON: valid UTF-8 is kept; every byte of an invalid
// sequence becomes "\xHH", and control characters become "\n", "\t" or "\xHH".
std::string printable(std::string_view text);

}  // namespace s3up::util
