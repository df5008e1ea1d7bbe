// The Content-Type sent with an object, guessed from its file name.
#pragma once
#include <string_view>

namespace s3up::s3 {

// The media type for `path` ("dir/page.HTML" -> "text/html") from the extension of its last
// component (after the last '/'), compared case-insensitively against a built-in table of
// ~180 common types. Returns the bare type as Python's mimetypes does (no "; charset=..."), or
// "" when unknown: no extension, a dotfile (".bashrc"), a trailing '.' or an extension not in
// the table; the caller then sends no Content-Type. Only the last extension counts:
// "a.tar.gz" -> "application/gzip" (the bytes stored are gzip; Python instead says
// application/x-tar with a gzip encoding, and a Content-Encoding would make browsers
// decompress the download). The returned view points into static storage. Never throws.
std::string_view guess_content_type(std::string_view path);

}  // namespace s3up::s3
