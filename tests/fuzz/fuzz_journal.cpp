// The --journal file as a rerun reads it (engine::Journal's constructor replays the file): the
// input is the whole file, torn and hostile lines included. Opening either fails with a
// JournalError or gives a journal that, closed and opened again (a second rerun), opens with the
// same state: a torn last line is cut off once, not lost piece by piece.
#include "engine/journal.hpp"
#include "fuzz_support.hpp"

namespace {

// The destination of the seed corpus's journals (tests/fuzz/corpus/journal).
constexpr const char* kDestination = "s3://bucket/prefix/ @ https://s3.us-east-1.amazonaws.com";

struct State {
  std::size_t finished;
  std::uint64_t bytes;
};

State open_and_close(const std::string& path) {
  s3up::engine::Journal journal(path, kDestination);
  State state{journal.finished_count(), std::filesystem::file_size(path)};
  journal.close();
  return state;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using s3up::fuzz::check;
  const std::string path = (s3up::fuzz::scratch_dir() / "journal").string();
  s3up::fuzz::write_file(path, s3up::fuzz::as_text(data, size));
  State first{};
  try {
    first = open_and_close(path);
  } catch (const s3up::engine::JournalError&) {
    return 0;
  }
  State second{};
  try {
    second = open_and_close(path);
  } catch (const s3up::engine::JournalError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    check(false, "a journal that opened once does not open again");
  }
  check(first.finished == second.finished, "a journal reopened has another finished count");
  check(first.bytes == second.bytes, "a journal reopened was cut again");
  return 0;
}
