// What the libFuzzer targets of tests/fuzz share: the input as text, cut into pieces, a check that
// aborts (a finding, with the reason) when a property of a parser does not hold, and a private
// folder for the targets that read files.
#pragma once
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace s3up::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The pieces of `text` between `separator` bytes: at most `max` pieces, the last one holding the
// rest (separators included).
inline std::vector<std::string_view> split(std::string_view text, char separator, std::size_t max) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < max) {
    const std::size_t at = text.find(separator);
    if (at == std::string_view::npos) break;
    out.push_back(text.substr(0, at));
    text.remove_prefix(at + 1);
  }
  out.push_back(text);
  return out;
}

// A property every input must keep; false is a finding: the reason is printed and the process
// aborts, so that libFuzzer saves the input.
inline void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz property broken: %s\n", what);
  std::abort();
}

// A folder of this process for the files a target writes (on tmpfs when there is one: the journal
// syncs what it writes). Created at the first call, removed when the process exits normally.
inline const std::filesystem::path& scratch_dir() {
  struct Folder {
    std::filesystem::path path;
    Folder() {
      const std::filesystem::path base = std::filesystem::is_directory("/dev/shm")
                                             ? std::filesystem::path("/dev/shm")
                                             : std::filesystem::temp_directory_path();
      path = base / ("s3up-fuzz-" + std::to_string(::getpid()));
      std::filesystem::create_directories(path);
    }
    ~Folder() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Folder folder;
  return folder.path;
}

inline void write_file(const std::filesystem::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  check(static_cast<bool>(out), "cannot write a scratch file");
}

}  // namespace s3up::fuzz
