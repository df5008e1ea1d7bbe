// A tolerant reader for INI files in the dialect of the AWS shared config and credentials files
// (Python configparser as botocore uses it): "[section]" headers, "key = value" or "key: value",
// full-line comments starting with '#' or ';', and indented continuation lines. A key with an
// empty value followed by indented "name = value" lines is a nested block: those are stored as
// "key.name". Keys are lower-cased; section names and values are kept as written (trimmed).
// Unlike configparser, a "[...]" line is always a header, even when indented.
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace s3up::util {

using IniSection = std::map<std::string, std::string, std::less<>>;

struct IniDocument {
  // Sections by name (the text between the brackets, trimmed). A section repeated in the file is
  // merged into one; a key repeated in a section keeps its last value.
  std::map<std::string, IniSection, std::less<>> sections;

  // The section named `name`, or nullptr.
  const IniSection* find(std::string_view name) const;
};

// Parses INI text. Never throws: lines that are neither comments, headers, keys nor
// continuations, and keys before the first header, are skipped. Inline comments are not
// stripped (as in configparser): "a = b # c" has the value "b # c". CRLF line ends and a UTF-8
// BOM are accepted.
IniDocument parse_ini(std::string_view text);

// Reads and parses the file at `path`. Returns nullopt when nothing exists there. Throws
// std::runtime_error (naming the path, never quoting the contents) when it exists but cannot be
// read, e.g. a directory or no permission.
std::optional<IniDocument> read_ini_file(const std::filesystem::path& path);

}  // namespace s3up::util
