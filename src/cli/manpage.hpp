// The manual page, s3up(1), in roff: its OPTIONS section written from the command's description
// (option_docs.hpp, the table --help prints), the rest (credentials, exit status, environment,
// files, examples) from the text here.
#pragma once
#include <string>
#include <string_view>

#include "cli/option_docs.hpp"

namespace s3up::cli {

// `version` goes in the page's footer ("s3up 0.1.0"), `date` (YYYY-MM-DD, may be empty) in its
// header: the commit's date, so that the same source gives the same page.
std::string manual_page(const CommandDoc& doc, std::string_view version, std::string_view date);

// Text made safe for roff: backslashes, a leading '.' or '\'', and the hyphens of option names
// (--max-memory becomes \-\-max\-memory, so that it can be searched and pasted).
std::string roff_escape(std::string_view text);

}  // namespace s3up::cli
