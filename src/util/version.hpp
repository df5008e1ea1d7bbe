// The program's version, from CMake's project(VERSION) (see version.cpp.in). Defined in one
// generated translation unit, so a new version recompiles that file alone.
#pragma once

namespace s3up {

// "MAJOR.MINOR.PATCH", e.g. "0.1.0"; a static string.
const char* version() noexcept;

}  // namespace s3up
