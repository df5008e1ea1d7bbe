// PayloadBody's framed file bodies (aws-chunked with a trailer): what goes on the wire decodes to
// the file's bytes followed by the trailer, its size is the Content-Length announced, and a body
// sent again (a request re-sent on a fresh connection) starts its trailer over; plain file ranges
// sent from their mapping, and a file cut short under it an error.
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "net/payload_body.hpp"
#include "net/http_client.hpp"
#include "s3/checksum.hpp"
#include "s3/trailing_checksum.hpp"
#include "payload_wire.hpp"
#include "temp_tree.hpp"

using namespace s3up;
using s3up::test::wire_of;

namespace {

// A file of `size` bytes that differ from one offset to the next, open for reading.
struct TempFile {
  test::TempTree tree;
  int fd = -1;
  std::string data;
  explicit TempFile(std::size_t size) {
    data.resize(size);
    for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 131 + size) % 251);
    std::ofstream(tree.path("file"), std::ios::binary) << data;
    fd = ::open(tree.path("file").c_str(), O_RDONLY);
  }
  ~TempFile() { ::close(fd); }
};

// PayloadBody's writer over `body`, initialised, as a transport holds it, with the error code
// its get() sets.
struct Writer {
  http::Request req;
  boost::system::error_code ec;
  http::PayloadBody::writer w;
  explicit Writer(const http::PayloadBody::value_type& body) : w(req.base(), body) {
    w.init(ec);
    BOOST_REQUIRE(!ec);
  }
};

// Decodes an aws-chunked body (RFC 9112's chunked grammar): its data and its trailer lines.
struct Decoded {
  std::string data;
  std::string trailer;  // "name:value\r\n"...
  std::size_t chunks = 0;
};
Decoded decode(const std::string& wire) {
  Decoded d;
  std::size_t at = 0;
  for (;;) {
    const auto eol = wire.find("\r\n", at);
    BOOST_REQUIRE(eol != std::string::npos);
    const std::size_t size = std::stoul(wire.substr(at, eol - at), nullptr, 16);
    at = eol + 2;
    if (size == 0) break;
    ++d.chunks;
    BOOST_REQUIRE(at + size + 2 <= wire.size());
    d.data += wire.substr(at, size);
    BOOST_REQUIRE(wire.substr(at + size, 2) == "\r\n");
    at += size + 2;
  }
  const auto end = wire.find("\r\n\r\n", at);
  BOOST_REQUIRE(end != std::string::npos);
  d.trailer = wire.substr(at, end + 2 - at);
  BOOST_TEST(end + 4 == wire.size());  // nothing after the final CRLF
  return d;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(payload_body)

BOOST_AUTO_TEST_CASE(a_framed_file_decodes_to_its_bytes_and_trailer_and_has_the_size_announced) {
  constexpr std::size_t kPiece = http::PayloadBody::kPiece;
  // Up to 3 pieces and 17 bytes: within the first mapped window; 9 pieces and 5 bytes: across
  // windows (their chunks sent from the mapping, the last read).
  for (const std::size_t size : {std::size_t{1}, std::size_t{4095}, kPiece, kPiece + 1,
                                 3 * kPiece + 17, 9 * kPiece + 5}) {
    BOOST_TEST_CONTEXT("size " << size) {
      TempFile file(size + 100);
      s3::TrailingChecksum trailer(s3::ChecksumAlgorithm::Crc32c);
      http::PayloadBody::value_type body;
      body.fd = file.fd;
      body.offset = 100;  // a range of the file, not all of it
      body.length = size;
      body.trailer = &trailer;
      const std::string wire = wire_of(body);
      BOOST_TEST(wire.size() == body.size());
      BOOST_TEST(body.size() == http::PayloadBody::chunked_size(size, trailer.size()));
      const Decoded d = decode(wire);
      BOOST_TEST(d.chunks == (size + kPiece - 1) / kPiece);
      BOOST_TEST((d.data == file.data.substr(100, size)));
      const std::string crc = s3::checksum_of(
          s3::ChecksumAlgorithm::Crc32c,
          {reinterpret_cast<const unsigned char*>(file.data.data()) + 100, size});
      BOOST_TEST(d.trailer == "x-amz-checksum-crc32c:" + crc + "\r\n");
      BOOST_TEST(trailer.value() == crc);
      BOOST_TEST(d.trailer.size() == trailer.size());
      // Sent again from the start (a fresh connection): the same bytes, not a checksum of both.
      BOOST_TEST((wire_of(body) == wire));
      BOOST_TEST(trailer.value() == crc);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_algorithm_announces_its_trailer_size) {
  TempFile file(70000);
  for (auto algorithm : {s3::ChecksumAlgorithm::Crc32, s3::ChecksumAlgorithm::Crc32c,
                         s3::ChecksumAlgorithm::Crc64nvme, s3::ChecksumAlgorithm::Sha256}) {
    s3::TrailingChecksum trailer(algorithm);
    http::PayloadBody::value_type body;
    body.fd = file.fd;
    body.length = file.data.size();
    body.trailer = &trailer;
    const std::string wire = wire_of(body);
    BOOST_TEST(wire.size() == body.size());
    BOOST_TEST(decode(wire).trailer ==
               std::string(s3::header_name(algorithm)) + ":" +
                   s3::checksum_of(algorithm, {reinterpret_cast<const unsigned char*>(
                                                   file.data.data()),
                                               file.data.size()}) +
                   "\r\n");
  }
  BOOST_CHECK_THROW(s3::TrailingChecksum(s3::ChecksumAlgorithm::Md5), std::logic_error);
  BOOST_CHECK_THROW(s3::TrailingChecksum(s3::ChecksumAlgorithm::None), std::logic_error);
}

BOOST_AUTO_TEST_CASE(a_file_that_shrank_is_an_error_not_a_short_body) {
  TempFile file(1000);
  s3::TrailingChecksum trailer(s3::ChecksumAlgorithm::Crc32c);
  http::PayloadBody::value_type body;
  body.fd = file.fd;
  body.length = 2000;  // more than the file holds
  body.trailer = &trailer;
  Writer writer(body);
  auto& w = writer.w;
  auto& ec = writer.ec;
  const auto piece = w.get(ec);
  BOOST_TEST(!piece);
  BOOST_TEST(ec.failed());
  BOOST_TEST(trailer.value().empty());
}

BOOST_AUTO_TEST_CASE(a_file_range_sent_from_its_mapping_is_its_bytes) {
  // Pieces from mapped windows (the first window at an offset off any page boundary), the last
  // one read; then a range within one piece (read).
  TempFile file(3 * http::PayloadBody::kWindow + 777);
  http::PayloadBody::value_type body;
  body.fd = file.fd;
  body.offset = 5000;
  body.length = file.data.size() - 5000 - 3;
  BOOST_TEST(wire_of(body) == file.data.substr(5000, body.length));
  body.offset = 1;
  body.length = 1000;
  BOOST_TEST(wire_of(body) == file.data.substr(1, 1000));
}

BOOST_AUTO_TEST_CASE(a_file_cut_short_under_a_mapped_piece_is_an_error_not_a_crash) {
  TempFile file(2 * http::PayloadBody::kWindow + 100);
  http::PayloadBody::value_type body;
  body.fd = file.fd;
  body.length = file.data.size();
  Writer writer(body);
  auto& w = writer.w;
  auto& ec = writer.ec;
  const auto first = w.get(ec);
  BOOST_REQUIRE(first.has_value());
  BOOST_REQUIRE(first->first[0].size() == http::PayloadBody::kPiece);
  BOOST_REQUIRE(first->first[1].size() == 0u);
  BOOST_REQUIRE(::truncate(file.tree.path("file").c_str(), 128 * 1024) == 0);
  // What a socket would send: the bytes before the new end, zeros after (no SIGBUS).
  const std::string sent(static_cast<const char*>(first->first[0].data()), first->first[0].size());
  BOOST_TEST(sent.substr(0, 128 * 1024) == file.data.substr(0, 128 * 1024));
  BOOST_TEST(sent.substr(128 * 1024) == std::string(sent.size() - 128 * 1024, '\0'));
  const auto next = w.get(ec);  // the writer sees the torn piece before anything more is sent
  BOOST_TEST(!next);
  BOOST_TEST(ec.failed());
}

// A framed chunk but the last goes out as three buffers: its size line, its bytes where they lie
// in the mapped window (not copied), its CRLF. A file cut short under it: the chunk reads zeros
// past the new end, and the next get() is an error, before the trailer is ever sent.
BOOST_AUTO_TEST_CASE(a_framed_chunk_is_sent_from_its_mapping_and_a_cut_under_it_is_an_error) {
  constexpr std::size_t kPiece = http::PayloadBody::kPiece;
  TempFile file(2 * http::PayloadBody::kWindow + 100);
  s3::TrailingChecksum trailer(s3::ChecksumAlgorithm::Crc32c);
  http::PayloadBody::value_type body;
  body.fd = file.fd;
  body.length = file.data.size();
  body.trailer = &trailer;
  Writer writer(body);
  auto& w = writer.w;
  auto& ec = writer.ec;
  const auto first = w.get(ec);
  BOOST_REQUIRE(first.has_value());
  BOOST_TEST(first->second);
  const auto text = [](const boost::asio::const_buffer& b) {
    return std::string(static_cast<const char*>(b.data()), b.size());
  };
  BOOST_TEST(text(first->first[0]) == "40000\r\n");
  BOOST_REQUIRE(first->first[1].size() == kPiece);
  BOOST_TEST(text(first->first[2]) == "\r\n");
  BOOST_TEST(text(first->first[1]) == file.data.substr(0, kPiece));
  BOOST_REQUIRE(::truncate(file.tree.path("file").c_str(), kPiece + 1000) == 0);
  const auto second = w.get(ec);  // mapped still: reads zeros past the cut, no SIGBUS
  BOOST_REQUIRE(second.has_value());
  const std::string bytes = text(second->first[1]);
  BOOST_REQUIRE(bytes.size() == kPiece);
  BOOST_TEST(bytes.substr(0, 1000) == file.data.substr(kPiece, 1000));
  BOOST_TEST(bytes.substr(1000) == std::string(kPiece - 1000, '\0'));
  const auto next = w.get(ec);
  BOOST_TEST(!next);
  BOOST_TEST(ec.failed());
}

BOOST_AUTO_TEST_SUITE_END()
