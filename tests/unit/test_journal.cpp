// engine::Journal: the --journal resume file.
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/journal.hpp"

namespace fs = std::filesystem;
using s3up::engine::Journal;
using s3up::engine::JournalError;
using s3up::engine::JournalPart;
using s3up::engine::JournalUpload;

namespace {

constexpr const char* kDest = "s3://bucket/prefix/ @ https://s3.eu-west-1.amazonaws.com";

// A fresh folder for one test, removed afterwards.
struct TempDir {
  fs::path dir;
  TempDir() {
    static std::atomic<int> counter{0};
    const char* base = std::getenv("S3UP_TEST_TMP");
    dir = fs::path(base ? base : fs::temp_directory_path().string()) /
          ("journal_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string file(const std::string& name = "j.jsonl") const { return (dir / name).string(); }
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void append_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::app) << text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Every line of the file is a complete JSON object and the file ends with a newline.
bool all_lines_valid(const std::string& path) {
  const std::string text = read_file(path);
  if (text.empty() || text.back() != '\n') return false;
  for (const auto& line : lines_of(text)) {
    boost::json::error_code ec;
    boost::json::parse_options options;
    options.allow_invalid_utf8 = true;
    const auto v = boost::json::parse(line, ec, {}, options);
    if (ec || !v.is_object()) return false;
  }
  return true;
}

JournalUpload upload(std::string key, std::string id) {
  return {std::move(key), std::move(id), 100u << 20, 1700000000123456789, 8u << 20, {}};
}

std::string key_n(int n) { return "dir/file_" + std::to_string(n) + ".bin"; }

// Runs `body` in a forked child, which ends with `_exit(0)` or however `body` ends it; returns
// the wait status.
template <typename F>
int in_child(F body) {
  std::fflush(nullptr);  // nothing buffered may be written twice
  const pid_t pid = ::fork();
  if (pid == 0) {
    try {
      body();
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(journal)

BOOST_AUTO_TEST_CASE(new_journal_has_a_header) {
  TempDir tmp;
  {
    Journal j(tmp.file(), kDest);
    BOOST_TEST(j.finished_count() == 0u);
    BOOST_TEST(!j.open_upload("x").has_value());
  }
  const auto lines = lines_of(read_file(tmp.file()));
  BOOST_TEST_REQUIRE(lines.size() == 1u);
  const auto header = boost::json::parse(lines[0]).as_object();
  BOOST_TEST(header.at("s3up_journal").as_int64() == 1);
  BOOST_TEST(header.at("destination").as_string() == kDest);
}

BOOST_AUTO_TEST_CASE(record_and_replay_round_trip) {
  TempDir tmp;
  {
    Journal j(tmp.file(), kDest);
    j.record_finished("a.txt", 10, 1000);
    j.record_finished("b.txt", 0, -5);  // mtimes before 1970 are negative
    j.record_finished("big", 18446744073709551615ull, 9223372036854775807ll);
    j.record_finished("a.txt", 11, 2000);  // re-uploaded later: the newest record counts
    BOOST_TEST(j.finished("a.txt", 11, 2000));
    BOOST_TEST(!j.finished("a.txt", 10, 1000));

    j.record_upload_started(upload("video.mp4", "UPLOAD-1"));
    j.record_part("video.mp4", "UPLOAD-1", {1, "\"etag-1\"", "crc1==", 8u << 20});
    j.record_part("video.mp4", "UPLOAD-1", {3, "\"etag-3\"", "", 8u << 20});
    j.record_part("video.mp4", "UPLOAD-1", {1, "\"etag-1b\"", "crc1b==", 8u << 20});
    j.record_part("video.mp4", "OTHER-ID", {2, "\"x\"", "", 1});  // not the open upload

    j.record_upload_started(upload("done.iso", "UPLOAD-2"));
    j.record_part("done.iso", "UPLOAD-2", {1, "\"e\"", "", 5});
    j.record_upload_closed("done.iso", "UPLOAD-2");
    j.record_finished("done.iso", 100u << 20, 1700000000123456789);

    j.record_upload_started(upload("restarted.bin", "OLD"));
    j.record_part("restarted.bin", "OLD", {1, "\"old\"", "", 5});
    j.record_upload_started(upload("restarted.bin", "NEW"));
    j.record_upload_closed("restarted.bin", "OLD");  // not the open one: ignored
    BOOST_TEST(j.finished_count() == 4u);
  }
  BOOST_TEST(all_lines_valid(tmp.file()));

  Journal j(tmp.file(), kDest);
  BOOST_TEST(j.finished_count() == 4u);
  BOOST_TEST(j.finished("a.txt", 11, 2000));
  BOOST_TEST(!j.finished("a.txt", 10, 1000));
  BOOST_TEST(!j.finished("a.txt", 11, 2001));
  BOOST_TEST(!j.finished("a.txt", 12, 2000));
  BOOST_TEST(j.finished("b.txt", 0, -5));
  BOOST_TEST(j.finished("big", 18446744073709551615ull, 9223372036854775807ll));
  BOOST_TEST(j.finished("done.iso", 100u << 20, 1700000000123456789));
  BOOST_TEST(!j.finished("never", 0, 0));

  const auto open = j.open_upload("video.mp4");
  BOOST_TEST_REQUIRE(open.has_value());
  BOOST_TEST(open->key == "video.mp4");
  BOOST_TEST(open->upload_id == "UPLOAD-1");
  BOOST_TEST(open->size == 100u << 20);
  BOOST_TEST(open->mtime_ns == 1700000000123456789);
  BOOST_TEST(open->part_size == 8u << 20);
  BOOST_TEST_REQUIRE(open->parts.size() == 2u);
  BOOST_TEST(open->parts.at(1).number == 1);
  BOOST_TEST(open->parts.at(1).etag == "\"etag-1b\"");
  BOOST_TEST(open->parts.at(1).checksum == "crc1b==");
  BOOST_TEST(open->parts.at(1).size == 8u << 20);
  BOOST_TEST(open->parts.at(3).etag == "\"etag-3\"");
  BOOST_TEST(open->parts.count(2) == 0u);

  BOOST_TEST(!j.open_upload("done.iso").has_value());
  const auto restarted = j.open_upload("restarted.bin");
  BOOST_TEST_REQUIRE(restarted.has_value());
  BOOST_TEST(restarted->upload_id == "NEW");
  BOOST_TEST(restarted->parts.empty());
}

BOOST_AUTO_TEST_CASE(keys_with_special_characters) {
  TempDir tmp;
  const std::vector<std::string> keys = {"quote\"d", "back\\slash", "new\nline", "tab\there",
                                         "caf\xC3\xA9/\xE2\x82\xAC", "bad\xFFutf8",
                                         std::string("nul\0byte", 8), "{\"op\":\"done\"}"};
  {
    Journal j(tmp.file(), kDest);
    for (const auto& k : keys) j.record_finished(k, k.size(), 7);
  }
  BOOST_TEST(lines_of(read_file(tmp.file())).size() == keys.size() + 1);
  Journal j(tmp.file(), kDest);
  BOOST_TEST(j.finished_count() == keys.size());
  for (const auto& k : keys) BOOST_TEST(j.finished(k, k.size(), 7));
}

BOOST_AUTO_TEST_CASE(torn_last_line_is_ignored_and_cut) {
  TempDir tmp;
  {
    Journal j(tmp.file(), kDest);
    j.record_finished("a", 1, 1);
    j.record_finished("b", 2, 2);
  }
  append_file(tmp.file(), R"({"op":"done","key":"torn","si)");
  {
    Journal j(tmp.file(), kDest);
    BOOST_TEST(j.finished_count() == 2u);
    BOOST_TEST(j.finished("a", 1, 1));
    BOOST_TEST(j.finished("b", 2, 2));
    j.record_finished("c", 3, 3);  // appended after the cut, not glued to the fragment
  }
  BOOST_TEST(all_lines_valid(tmp.file()));
  BOOST_TEST(lines_of(read_file(tmp.file())).size() == 4u);

  // A complete record that lost its newline is torn too; so is a last line of garbage (what a
  // power cut can leave).
  append_file(tmp.file(), R"({"op":"done","key":"d","size":4,"mtime_ns":4})");
  {
    Journal j(tmp.file(), kDest);
    BOOST_TEST(j.finished_count() == 3u);
    BOOST_TEST(!j.finished("d", 4, 4));
  }
  append_file(tmp.file(), std::string("\0\0\0\0\n", 5));
  {
    Journal j(tmp.file(), kDest);
    BOOST_TEST(j.finished_count() == 3u);
  }
  BOOST_TEST(all_lines_valid(tmp.file()));
}

BOOST_AUTO_TEST_CASE(torn_header_is_rewritten) {
  TempDir tmp;
  append_file(tmp.file(), R"({"s3up_jour)");
  {
    Journal j(tmp.file(), kDest);
    j.record_finished("a", 1, 1);
  }
  BOOST_TEST(all_lines_valid(tmp.file()));
  Journal j(tmp.file(), kDest);
  BOOST_TEST(j.finished("a", 1, 1));
}

BOOST_AUTO_TEST_CASE(empty_existing_file_becomes_a_journal) {
  TempDir tmp;
  append_file(tmp.file(), "");
  BOOST_TEST(fs::exists(tmp.file()));
  { Journal j(tmp.file(), kDest); }
  BOOST_TEST(lines_of(read_file(tmp.file())).size() == 1u);
}

BOOST_AUTO_TEST_CASE(corrupt_line_before_the_last_throws) {
  TempDir tmp;
  {
    Journal j(tmp.file(), kDest);
    j.record_finished("a", 1, 1);
  }
  append_file(tmp.file(), "garbage\n");
  append_file(tmp.file(), R"({"op":"done","key":"b","size":2,"mtime_ns":2})" "\n");
  const std::string before = read_file(tmp.file());
  try {
    Journal j(tmp.file(), kDest);
    BOOST_FAIL("no JournalError");
  } catch (const JournalError& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("corrupt at line 3") != std::string::npos, what);
    BOOST_TEST(what.find('\n') == std::string::npos);
  }
  BOOST_TEST(read_file(tmp.file()) == before);  // left untouched
}

BOOST_AUTO_TEST_CASE(destination_mismatch_throws) {
  TempDir tmp;
  { Journal j(tmp.file(), kDest); }
  const std::string other = "s3://other-bucket/ @ http://127.0.0.1:9000";
  try {
    Journal j(tmp.file(), other);
    BOOST_FAIL("no JournalError");
  } catch (const JournalError& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find(kDest) != std::string::npos, what);
    BOOST_TEST(what.find(other) != std::string::npos, what);
    BOOST_TEST(what.find(tmp.file()) != std::string::npos, what);
    BOOST_TEST(what.find('\n') == std::string::npos);
  }
  // Still usable with the right destination.
  Journal j(tmp.file(), kDest);
  BOOST_TEST(j.finished_count() == 0u);
}

BOOST_AUTO_TEST_CASE(other_files_are_refused_untouched) {
  TempDir tmp;
  for (const std::string text : {"hello world\n", "just text, no newline", "{\"a\":1}\n",
                                 "{\"s3up_journal\":2,\"destination\":\"x\"}\n"}) {
    fs::remove(tmp.file());
    append_file(tmp.file(), text);
    BOOST_CHECK_THROW(Journal(tmp.file(), kDest), JournalError);
    BOOST_TEST(read_file(tmp.file()) == text);
  }
}

BOOST_AUTO_TEST_CASE(io_errors_throw) {
  TempDir tmp;
  BOOST_CHECK_THROW(Journal((tmp.dir / "missing" / "j.jsonl").string(), kDest), JournalError);
  BOOST_CHECK_THROW(Journal(tmp.dir.string(), kDest), JournalError);  // a folder
  if (fs::exists("/dev/full")) BOOST_CHECK_THROW(Journal("/dev/full", kDest), JournalError);
}

BOOST_AUTO_TEST_CASE(second_open_of_the_same_file_is_refused) {
  TempDir tmp;
  Journal j(tmp.file(), kDest);
  try {
    Journal again(tmp.file(), kDest);
    BOOST_FAIL("no JournalError");
  } catch (const JournalError& e) {
    BOOST_TEST(std::string(e.what()).find("in use") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(records_after_close_throw) {
  TempDir tmp;
  Journal j(tmp.file(), kDest);
  j.record_finished("a", 1, 1);
  j.close();
  j.close();  // idempotent
  BOOST_CHECK_THROW(j.record_finished("b", 1, 1), JournalError);
  BOOST_CHECK_THROW(j.flush(), JournalError);
  BOOST_TEST(j.finished("a", 1, 1));  // the state stays readable
}

BOOST_AUTO_TEST_CASE(records_reach_the_file_without_flush) {
  TempDir tmp;
  Journal j(tmp.file(), kDest);
  auto wait_for_lines = [&](std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (lines_of(read_file(tmp.file())).size() < n &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return lines_of(read_file(tmp.file())).size();
  };
  j.record_finished("one", 1, 1);  // written by the timer
  BOOST_TEST(wait_for_lines(2) == 2u);
  for (std::size_t i = 0; i < Journal::kBatchRecords; ++i) j.record_finished(key_n(i), i, 1);
  BOOST_TEST(wait_for_lines(2 + Journal::kBatchRecords) == 2 + Journal::kBatchRecords);
}

BOOST_AUTO_TEST_CASE(child_killed_after_flush_loses_nothing_flushed) {
  TempDir tmp;
  const int status = in_child([&] {
    Journal j(tmp.file(), kDest);
    for (int i = 0; i < 1000; ++i) j.record_finished(key_n(i), i, i);
    j.record_upload_started(upload("big.bin", "U1"));
    j.record_part("big.bin", "U1", {1, "\"e1\"", "c1", 8u << 20});
    j.flush();
    for (int i = 1000; i < 1010; ++i) j.record_finished(key_n(i), i, i);  // unsynced
    ::kill(::getpid(), SIGKILL);
  });
  BOOST_TEST_REQUIRE(WIFSIGNALED(status));
  BOOST_TEST(WTERMSIG(status) == SIGKILL);
  BOOST_TEST(all_lines_valid(tmp.file()));
  Journal j(tmp.file(), kDest);
  for (int i = 0; i < 1000; ++i) BOOST_TEST_REQUIRE(j.finished(key_n(i), i, i));
  BOOST_TEST(j.finished_count() >= 1000u);
  BOOST_TEST(j.finished_count() <= 1010u);
  const auto open = j.open_upload("big.bin");
  BOOST_TEST_REQUIRE(open.has_value());
  BOOST_TEST(open->parts.at(1).etag == "\"e1\"");
}

BOOST_AUTO_TEST_CASE(child_exiting_without_destructor_keeps_flushed_and_timed_batches) {
  TempDir tmp;
  const int status = in_child([&] {
    auto* j = new Journal(tmp.file(), kDest);  // never destroyed
    for (int i = 0; i < 300; ++i) j->record_finished(key_n(i), i, 0);
    j->flush();
    for (int i = 300; i < 350; ++i) j->record_finished(key_n(i), i, 0);
    // The timer writes these within 200 ms.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    ::_exit(0);
  });
  BOOST_TEST_REQUIRE(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
  Journal j(tmp.file(), kDest);
  BOOST_TEST(j.finished_count() == 350u);
  for (int i = 0; i < 350; ++i) BOOST_TEST_REQUIRE(j.finished(key_n(i), i, 0));
}

BOOST_AUTO_TEST_CASE(concurrent_recording_from_four_threads) {
  TempDir tmp;
  constexpr int kThreads = 4, kPerThread = 3000;
  {
    Journal j(tmp.file(), kDest);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&j, t] {
        const std::string key = "t" + std::to_string(t) + "/big";
        j.record_upload_started(upload(key, "U" + std::to_string(t)));
        for (int i = 0; i < kPerThread; ++i) {
          j.record_finished("t" + std::to_string(t) + "/" + std::to_string(i), i, t);
          if (i % 10 == 0)
            j.record_part(key, "U" + std::to_string(t), {i / 10 + 1, "e", "", 1});
          if (i % 500 == 0) j.flush();
          (void)j.finished("t0/0", 0, 0);
        }
      });
    }
    for (auto& th : threads) th.join();
    BOOST_TEST(j.finished_count() == static_cast<std::size_t>(kThreads * kPerThread));
  }
  BOOST_TEST(all_lines_valid(tmp.file()));
  Journal j(tmp.file(), kDest);
  BOOST_TEST(j.finished_count() == static_cast<std::size_t>(kThreads * kPerThread));
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i)
      BOOST_TEST_REQUIRE(j.finished("t" + std::to_string(t) + "/" + std::to_string(i), i, t));
    const auto open = j.open_upload("t" + std::to_string(t) + "/big");
    BOOST_TEST_REQUIRE(open.has_value());
    BOOST_TEST(open->parts.size() == static_cast<std::size_t>(kPerThread / 10));
  }
}

BOOST_AUTO_TEST_CASE(a_waited_for_record_survives_a_kill_at_once) {
  TempDir tmp;
  const int status = in_child([&] {
    Journal j(tmp.file(), kDest);
    const auto seq = j.record_upload_started(upload("big.bin", "U1"));
    j.wait_durable(seq);  // written now, not at the end of the batch delay
    j.record_upload_started(upload("other.bin", "U2"));  // not waited for
    ::kill(::getpid(), SIGKILL);
  });
  BOOST_TEST_REQUIRE(WIFSIGNALED(status));
  Journal j(tmp.file(), kDest);
  const auto open = j.open_upload("big.bin");
  BOOST_TEST_REQUIRE(open.has_value());
  BOOST_TEST(open->upload_id == "U1");
  BOOST_TEST(!j.open_upload("other.bin").has_value());  // within its 200 ms batch: lost
}

BOOST_AUTO_TEST_CASE(uploads_starting_together_share_one_sync) {
  TempDir tmp;
  Journal j(tmp.file(), kDest);
  std::uint64_t last = 0;
  for (int i = 0; i < 50; ++i)
    last = j.record_upload_started(upload("k" + std::to_string(i), "U" + std::to_string(i)));
  BOOST_TEST(last == 50u);
  BOOST_TEST(j.last_recorded() == 50u);
  j.wait_durable(last);
  BOOST_TEST(j.syncs() == 1u);
  BOOST_TEST(lines_of(read_file(tmp.file())).size() == 51u);
  j.wait_durable(10);  // durable already: at once, no sync
  BOOST_TEST(j.syncs() == 1u);
  // Eight threads waiting at once: at most one sync each, and usually fewer (group commit).
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&j, t] {
      j.wait_durable(j.record_upload_started(upload("t" + std::to_string(t), "T")));
    });
  for (auto& th : threads) th.join();
  BOOST_TEST(j.syncs() <= 9u);
  BOOST_TEST(lines_of(read_file(tmp.file())).size() == 59u);
}

BOOST_AUTO_TEST_CASE(when_durable_calls_back_once_written) {
  TempDir tmp;
  Journal j(tmp.file(), kDest);
  std::promise<std::string> now, later;
  j.when_durable(0, [&](const std::string& error) { now.set_value(error); });  // nothing to wait for
  BOOST_TEST(now.get_future().get().empty());
  const auto seq = j.record_part("k", "U", {1, "e", "", 1});
  auto outcome = later.get_future();
  j.when_durable(seq, [&](const std::string& error) { later.set_value(error); });
  BOOST_TEST_REQUIRE((outcome.wait_for(std::chrono::seconds(10)) == std::future_status::ready));
  BOOST_TEST(outcome.get().empty());
  BOOST_TEST(read_file(tmp.file()).find("\"op\":\"part\"") != std::string::npos);
}

// A full disk, as a file-size limit makes it (EFBIG instead of ENOSPC; the integration tests
// fill a real tmpfs): the handler is told once, every waiter gets the error, later records throw.
BOOST_AUTO_TEST_CASE(a_failed_write_reaches_the_handler_every_waiter_and_later_records) {
  TempDir tmp;
  const std::string path = tmp.file();
  const int status = in_child([&] {
    ::signal(SIGXFSZ, SIG_IGN);
    Journal j(path, kDest);
    std::atomic<int> told{0};
    std::string told_error;
    j.on_failure([&](const std::string& error) {
      ++told;
      told_error = error;
    });
    const struct rlimit limit{4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    std::uint64_t seq = 0;
    for (int i = 0; i < 100; ++i) seq = j.record_finished(key_n(i) + std::string(100, 'x'), 1, 1);
    std::promise<std::string> called;
    j.when_durable(seq, [&](const std::string& error) { called.set_value(error); });
    try {
      j.wait_durable(seq);
      ::_exit(1);  // believed written
    } catch (const JournalError& e) {
      if (std::string(e.what()).find(path) == std::string::npos) ::_exit(2);
    }
    if (called.get_future().get().find("cannot write") == std::string::npos) ::_exit(3);
    if (told.load() != 1 || told_error.find("cannot write") == std::string::npos) ::_exit(4);
    try {
      j.record_finished("late", 1, 1);
      ::_exit(5);
    } catch (const JournalError&) {
    }
    try {
      j.close();
      ::_exit(6);
    } catch (const JournalError&) {
    }
    if (told.load() != 1) ::_exit(7);
    ::_exit(0);
  });
  BOOST_TEST_REQUIRE(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
