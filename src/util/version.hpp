// The program's version and how it was built (see version.cpp.in). Defined in one generated
// translation unit, rewritten only when the commit or the version changes, so that a new commit
// recompiles that file alone.
#pragma once
#include <string>

namespace s3up {

// "MAJOR.MINOR.PATCH" from the last release tag vMAJOR.MINOR.PATCH (with git describe's
// "-N-gHASH" when HEAD is past it), else CMake's project(VERSION), e.g. "0.1.0". Static.
const char* version() noexcept;

// The full commit hash built, "" when unknown (built without git); its date "YYYY-MM-DD" ("" when
// unknown); whether the tree had uncommitted changes to tracked files.
const char* commit() noexcept;
const char* commit_date() noexcept;
bool commit_dirty() noexcept;

// What --version prints: "s3up VERSION", then the commit and the versions of Boost, OpenSSL
// (running, and built with) and ISA-L, one per line.
std::string version_details();

}  // namespace s3up
