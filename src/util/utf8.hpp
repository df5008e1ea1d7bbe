// UTF-8 validation (RFC 3629): no overlong forms, no surrogates (U+D800..U+DFFF), nothing above
// U+10FFFF, no truncated sequences.
#pragma once
#include <cstddef>
#include <optional>
#include <string_view>

namespace s3up::util {

// The offset of the first byte of the first invalid sequence, or nullopt when all of `text` is
// valid UTF-8 (the empty string is). Never throws.
std::optional<std::size_t> utf8_error_offset(std::string_view text);

inline bool is_valid_utf8(std::string_view text) { return !utf8_error_offset(text); }

}  // namespace s3up::util
