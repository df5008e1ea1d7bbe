// Readers for the SigV4 reference data that lives outside the repository (S3UP_SIGV4_DIR):
// raw HTTP requests (aws-c-auth request.txt, original suite .req, S3 doc examples), timestamps,
// and the fenced code blocks of s3-examples.md. Shared by test_sigv4.cpp and
// test_sigv4_chunked.cpp.
#pragma once
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "s3/sigv4.hpp"

namespace s3up::test {

// $S3UP_SIGV4_DIR if set, else <source>/../shared/sigv4 (the CMake default). The folder may not
// exist: callers skip with a message naming it.
std::filesystem::path sigv4_dir();

// Boost.Test precondition: the test case is skipped, with a message naming the folder, when
// sigv4_dir()/entry does not exist. Use as `* boost::unit_test::precondition(SigV4DataPresent{"suite"})`.
struct SigV4DataPresent {
  std::string entry;  // "suite", "suite-original" or "s3-examples.md"
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    const std::filesystem::path path = sigv4_dir() / entry;
    if (std::filesystem::exists(path)) return true;
    boost::test_tools::assertion_result result(false);
    result.message() << "skipped: SigV4 suite folder " << sigv4_dir().string() << " (" << entry
                     << ") not found";
    return result;
  }
};

// Whole file, bytes as stored; nullopt if it cannot be read.
std::optional<std::string> read_file(const std::filesystem::path& path);

struct RawRequest {
  std::string method;
  std::string path;   // raw, as printed (may hold spaces or UTF-8); "" if the target starts with '?'
  std::string query;  // raw, without '?'
  s3::HeaderList headers;  // as printed; continuation lines appended to the value after a '\n'
  std::string body;
};

// Parses "METHOD target HTTP/1.1", header lines (a line starting with space or tab continues
// the previous value), an optional blank line and the body. The target may contain spaces.
// Throws std::runtime_error on a malformed request line or header.
RawRequest parse_raw_request(std::string_view text);

// Value of the first header called name (case-insensitive), nullopt if none.
std::optional<std::string> find_header(const s3::HeaderList& headers, std::string_view name);

// "2015-08-30T12:36:00Z" or "20150830T123600Z" (UTC). Throws std::runtime_error otherwise.
s3::SignClock::time_point parse_timestamp(std::string_view text);

// A fenced code block of a markdown file: the heading it is under, the last non-empty line
// before the fence (e.g. "CanonicalRequest:") and its content without the final newline.
struct MarkdownBlock {
  std::string heading;
  std::string label;
  std::string text;
};
std::vector<MarkdownBlock> parse_markdown_blocks(std::string_view markdown);

// Lines of text split on '\n' (a trailing '\r' is kept).
std::vector<std::string> split_lines(std::string_view text);

}  // namespace s3up::test
