// file_data: reading a range of a listed file with its digests (computed piece by piece as it is
// read), the whole-file digest pass, and torn data refused.
#include <boost/test/unit_test.hpp>

#include "engine/file_data.hpp"
#include "s3/checksum.hpp"
#include "util/crypto.hpp"
#include "varied_bytes.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

using namespace s3up;
using namespace s3up::engine;
namespace fs = std::filesystem;

namespace {

// A temporary file of `size` varied bytes (no period a piece boundary could hide), listed.
struct ListedFile {
  explicit ListedFile(std::size_t size) {
    dir = fs::temp_directory_path() / ("s3up-file-data-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    bytes = test::varied_bytes(size);
    const fs::path path = dir / "f.bin";
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(size));
    entry.path = path.string();
    entry.rel = "f.bin";
    entry.size = size;
    struct stat st {};
    ::stat(entry.path.c_str(), &st);
    entry.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  }
  ~ListedFile() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::span<const unsigned char> range(std::size_t offset, std::size_t length) const {
    return {reinterpret_cast<const unsigned char*>(bytes.data()) + offset, length};
  }

  fs::path dir;
  std::vector<char> bytes;
  walker::Entry entry;
};

const DigestNeeds kAll{s3::ChecksumAlgorithm::Crc32c, true, true};

// A streamed body's first pass as open_streamed makes it: the listed file opened, then its range
// digested from that descriptor.
ReadDigest first_pass(const walker::Entry& entry, std::uint64_t offset, std::uint64_t length) {
  ReadDigest r;
  const auto file = open_listed(entry, r.problem);
  if (!file) return r;
  return digest_range(entry, *file, offset, length, kAll);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(file_data)

BOOST_AUTO_TEST_CASE(a_range_read_in_pieces_has_the_digests_of_its_bytes) {
  const ListedFile f((3u << 20) + 5000);
  // Several pieces and a short last one, at an offset that is not a piece boundary.
  const std::size_t offset = 1234;
  const std::size_t length = (2u << 20) + 777;
  std::vector<char> out(length);
  const ReadDigest r = read_and_digest(f.entry, offset, out, kAll);
  BOOST_TEST(!r.problem.has_value());
  BOOST_TEST(std::equal(out.begin(), out.end(), f.bytes.begin() + static_cast<std::ptrdiff_t>(offset)));
  BOOST_TEST(r.checksum == s3::checksum_of(s3::ChecksumAlgorithm::Crc32c, f.range(offset, length)));
  BOOST_TEST(r.md5 == s3::checksum_of(s3::ChecksumAlgorithm::Md5, f.range(offset, length)));
  BOOST_TEST(r.sha256 == util::hex_lower(util::sha256(f.range(offset, length))));

  // Nothing asked: the bytes only.
  std::vector<char> plain(length);
  const ReadDigest none = read_and_digest(f.entry, offset, plain, DigestNeeds{});
  BOOST_TEST(!none.problem.has_value());
  BOOST_TEST(none.checksum.empty());
  BOOST_TEST(none.md5.empty());
  BOOST_TEST(none.sha256.empty());
  BOOST_TEST(plain == out);
}

BOOST_AUTO_TEST_CASE(the_whole_file_pass_has_the_same_digests) {
  const ListedFile f((1u << 20) * 2 + 99);
  const ReadDigest r = first_pass(f.entry, 0, f.bytes.size());
  BOOST_TEST(!r.problem.has_value());
  BOOST_TEST(r.checksum == s3::checksum_of(s3::ChecksumAlgorithm::Crc32c, f.range(0, f.bytes.size())));
  BOOST_TEST(r.md5 == s3::checksum_of(s3::ChecksumAlgorithm::Md5, f.range(0, f.bytes.size())));
  BOOST_TEST(r.sha256 == util::hex_lower(util::sha256(f.range(0, f.bytes.size()))));
}

// A part's pass: the digests of its range only, from any offset (not a page's or a window's
// boundary), as reading it into memory gives.
BOOST_AUTO_TEST_CASE(a_range_pass_has_the_digests_of_the_range_read) {
  const ListedFile f((1u << 20) * 5 + 4321);
  for (const auto& [offset, length] : std::vector<std::pair<std::size_t, std::size_t>>{
           {0, 1u << 20}, {1234, (2u << 20) + 777}, {4096, 3u << 20},
           {(1u << 20) * 5, 4321}, {(1u << 20) * 3 + 1, (2u << 20) + 4320}, {77, 0}}) {
    std::vector<char> out(length);
    const ReadDigest read = read_and_digest(f.entry, offset, out, kAll);
    const ReadDigest pass = first_pass(f.entry, offset, length);
    BOOST_TEST_REQUIRE(!pass.problem.has_value());
    BOOST_TEST(pass.checksum == read.checksum);
    BOOST_TEST(pass.md5 == read.md5);
    BOOST_TEST(pass.sha256 == read.sha256);
    BOOST_TEST(pass.checksum == s3::checksum_of(s3::ChecksumAlgorithm::Crc32c, f.range(offset, length)));
  }
  // A range past the file's end is refused, not read.
  const ReadDigest past = first_pass(f.entry, f.bytes.size() - 10, 11);
  BOOST_REQUIRE(past.problem.has_value());
  BOOST_TEST(past.checksum.empty());
}

BOOST_AUTO_TEST_CASE(a_file_cut_short_since_it_was_listed_is_refused) {
  ListedFile f(1u << 20);
  fs::resize_file(f.entry.path, 1000);
  std::vector<char> out(f.bytes.size());
  const ReadDigest r = read_and_digest(f.entry, 0, out, kAll);
  BOOST_REQUIRE(r.problem.has_value());
  BOOST_TEST(r.problem->find("file changed") != std::string::npos);
  BOOST_TEST(r.checksum.empty());
  const ReadDigest whole = first_pass(f.entry, 0, f.bytes.size());
  BOOST_REQUIRE(whole.problem.has_value());
  BOOST_TEST(whole.problem->find("file changed") != std::string::npos);
  // A part's range within what is left of the file: the file is no longer the one listed.
  const ReadDigest part = first_pass(f.entry, 0, 500);
  BOOST_REQUIRE(part.problem.has_value());
  BOOST_TEST(part.problem->find("file changed") != std::string::npos);
}

// The pass reads the descriptor it is given: a file cut short after it was opened (while its
// body waits to be sent) is refused by that pass, not read as the file was listed.
BOOST_AUTO_TEST_CASE(a_file_cut_short_after_it_was_opened_is_refused_by_its_pass) {
  ListedFile f((2u << 20) + 100);
  std::optional<std::string> problem;
  const auto file = open_listed(f.entry, problem);
  BOOST_TEST_REQUIRE(file.has_value());
  const ReadDigest before = digest_range(f.entry, *file, 0, f.bytes.size(), kAll);
  BOOST_TEST_REQUIRE(!before.problem.has_value());
  BOOST_TEST(before.checksum == s3::checksum_of(s3::ChecksumAlgorithm::Crc32c, f.range(0, f.bytes.size())));
  fs::resize_file(f.entry.path, 1u << 20);
  const ReadDigest after = digest_range(f.entry, *file, 0, f.bytes.size(), kAll);
  BOOST_REQUIRE(after.problem.has_value());
  BOOST_TEST(after.problem->find("file changed") != std::string::npos);
  BOOST_TEST(after.checksum.empty());
}

BOOST_AUTO_TEST_SUITE_END()
