// Shell completion scripts for bash, zsh and fish, written from the command's description
// (option_docs.hpp): every option --help lists, with the fixed values of those that have some
// (--checksum, --engine, --progress, --sse, --storage-class, --acl, --log-format) and file names
// for FILE values.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/option_docs.hpp"

namespace s3up::cli {

// "bash", "zsh", "fish".
std::vector<std::string_view> completion_shells();

// The script for `shell`, or nullopt for a shell not in completion_shells().
std::optional<std::string> completion_script(std::string_view shell, const CommandDoc& doc);

// The first clause of a description, at most about 70 characters: what completion menus show.
std::string short_description(std::string_view description);

}  // namespace s3up::cli
