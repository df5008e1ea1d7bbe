// Chunked-upload signing (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) against the S3 API
// reference examples transcribed in S3UP_SIGV4_DIR/s3-examples.md (sections 2 and 3), read at run
// time, plus framing and length helpers.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <regex>

#include "s3/sigv4.hpp"
#include "server/sigv4_chunked.hpp"
#include "sigv4_fixtures.hpp"
#include "util/crypto.hpp"
#include "util/uri.hpp"

namespace fs = std::filesystem;
using namespace s3up;

namespace {

struct StreamingExample {
  std::string text;  // the section's markdown
  std::vector<test::MarkdownBlock> blocks;

  const std::string& block(std::string_view label_prefix) const {
    for (const auto& b : blocks)
      if (b.label.starts_with(label_prefix)) return b.text;
    throw std::runtime_error("no block labelled " + std::string(label_prefix));
  }
  const std::string& block_containing(std::string_view label_part) const {
    for (const auto& b : blocks)
      if (b.label.find(label_part) != std::string::npos) return b.text;
    throw std::runtime_error("no block labelled ..." + std::string(label_part));
  }
  std::string inline_value(const std::string& label) const {
    std::smatch m;
    if (!std::regex_search(text, m, std::regex(label + ": `([0-9a-f]{64})`")))
      throw std::runtime_error("no inline value " + label);
    return m[1].str();
  }
};

// Section "## N." of s3-examples.md, up to the next "## ".
StreamingExample section(const std::string& md, const std::string& number) {
  const std::size_t start = md.find("\n## " + number + ".");
  if (start == std::string::npos) throw std::runtime_error("no section " + number);
  const std::size_t end = md.find("\n## ", start + 1);
  StreamingExample ex;
  ex.text = md.substr(start, end == std::string::npos ? std::string::npos : end - start);
  ex.blocks = test::parse_markdown_blocks(ex.text);
  return ex;
}

struct Inputs {
  s3::Credentials creds;
  s3::SignClock::time_point time;
};

Inputs common_inputs(const std::string& md) {
  const auto cell = [&](const std::string& row) {
    std::smatch m;
    if (!std::regex_search(md, m, std::regex("\\| " + row + " \\| `([^`]*)`")))
      throw std::runtime_error("no " + row);
    return m[1].str();
  };
  return {{cell("AWSAccessKeyId"), cell("AWSSecretAccessKey"), "", std::nullopt},
          test::parse_timestamp(cell("Timestamp"))};
}

// The example request, without the Authorization placeholder and the "<Payload>" line.
s3::RequestToSign seed_request(const std::string& request_block, const std::string& payload_marker) {
  std::string text;
  for (const std::string& line : test::split_lines(request_block))
    if (line != "<Payload>") text += line + "\n";
  test::RawRequest raw = test::parse_raw_request(text);
  std::erase_if(raw.headers, [](const auto& h) { return h.first == "Authorization"; });
  return {raw.method, util::uri_encode(raw.path, false), raw.query, raw.headers, payload_marker};
}

std::string crlf_to_lf(std::string s) {
  for (std::size_t p; (p = s.find("\r\n")) != std::string::npos;) s.erase(p, 1);
  return s;
}

const std::uint64_t kChunkSizes[] = {65536, 1024, 0};  // 66560 bytes of 'a' in 64 KiB chunks

bool have_examples(const fs::path& path) {
  if (fs::exists(path)) return true;
  BOOST_TEST_MESSAGE("skipped: " << path.string() << " not found (SigV4 suite folder "
                                 << path.parent_path().string() << ")");
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sigv4_chunked)

BOOST_AUTO_TEST_CASE(streaming_payload_example,
                     *boost::unit_test::precondition(test::SigV4DataPresent{"s3-examples.md"})) {
  const fs::path path = test::sigv4_dir() / "s3-examples.md";
  if (!have_examples(path)) return;
  const std::string md = *test::read_file(path);
  const Inputs in = common_inputs(md);
  const StreamingExample ex = section(md, "2");
  const s3::SigV4Signer signer(in.creds, "us-east-1");

  const s3::RequestToSign req = seed_request(ex.block("Request"), std::string(s3::kStreamingPayload));
  const s3::Signature seed = signer.sign(req, in.time);
  BOOST_TEST(seed.canonical_request == ex.block("Seed CanonicalRequest"));
  BOOST_TEST(seed.string_to_sign == ex.block("Seed StringToSign"));
  BOOST_TEST(seed.signature == ex.block("Seed Signature"));

  s3::ChunkSigner chunks(signer, in.time, seed.signature);
  std::string body;
  std::uint64_t payload = 0;
  int n = 0;
  for (std::uint64_t size : kChunkSizes) {
    ++n;
    BOOST_TEST_CONTEXT("chunk " << n) {
      const std::string data(size, 'a');
      payload += size;
      const s3::ChunkSignature cs = chunks.next(util::as_bytes(data));
      const std::string label = "Chunk " + std::to_string(n);
      BOOST_TEST(cs.string_to_sign == ex.block(label + " ("));
      BOOST_TEST(cs.signature == ex.inline_value(label + " signature"));
      BOOST_TEST(chunks.previous_signature() == cs.signature);
      const std::string header = s3::chunk_header(size, cs.signature);
      BOOST_TEST(test::split_lines(ex.block(label + " data sent")).front() ==
                 header.substr(0, header.size() - 2));
      body += header + data + "\r\n";
    }
  }
  const auto content_length = test::find_header(req.headers, "Content-Length");
  const auto decoded_length = test::find_header(req.headers, "x-amz-decoded-content-length");
  BOOST_TEST_REQUIRE(content_length.has_value());
  BOOST_TEST_REQUIRE(decoded_length.has_value());
  BOOST_TEST(std::to_string(payload) == s3::canonical_header_value(*decoded_length));
  BOOST_TEST(std::to_string(body.size()) == s3::canonical_header_value(*content_length));
  BOOST_TEST(s3::chunked_body_length(payload, 65536) == body.size());
}

BOOST_AUTO_TEST_CASE(streaming_payload_trailer_example,
                     *boost::unit_test::precondition(test::SigV4DataPresent{"s3-examples.md"})) {
  const fs::path path = test::sigv4_dir() / "s3-examples.md";
  if (!have_examples(path)) return;
  const std::string md = *test::read_file(path);
  const Inputs in = common_inputs(md);
  const StreamingExample ex = section(md, "3");
  const s3::SigV4Signer signer(in.creds, "us-east-1");

  // Errata (s3-examples.md): the printed seed canonical request, which the printed seed
  // signature was computed from, has no content-length although the printed request does.
  s3::RequestToSign req =
      seed_request(ex.block("Request"), std::string(s3::kStreamingPayloadTrailer));
  std::erase_if(req.headers, [](const auto& h) { return h.first == "Content-Length"; });
  const s3::Signature seed = signer.sign(req, in.time);
  BOOST_TEST(seed.canonical_request == ex.block("Seed CanonicalRequest"));
  BOOST_TEST(seed.string_to_sign == ex.block("Seed StringToSign"));
  BOOST_TEST(seed.signature == ex.inline_value("Seed Signature"));

  // | chunk (size) | previous-signature | hash(chunk data) | chunk signature |
  const std::regex row(R"(\| (\d) \([^|]*\) \| `([0-9a-f]{64})` \| `([0-9a-f]{64})` \| `([0-9a-f]{64})` \|)");
  s3::ChunkSigner chunks(signer, in.time, seed.signature);
  int rows = 0;
  for (std::sregex_iterator it(ex.text.begin(), ex.text.end(), row), end; it != end; ++it, ++rows) {
    const std::smatch& m = *it;
    BOOST_TEST_CONTEXT("chunk " << m[1].str()) {
      BOOST_TEST_REQUIRE(rows < 3);
      const std::string data(kChunkSizes[rows], 'a');
      BOOST_TEST(chunks.previous_signature() == m[2].str());
      BOOST_TEST(util::hex_lower(util::sha256(data)) == m[3].str());
      BOOST_TEST(chunks.next(util::as_bytes(data)).signature == m[4].str());
    }
  }
  BOOST_TEST(rows == 3);

  // The trailer as sent: "x-amz-checksum-crc32c:sOO8/Q==" then the trailer signature.
  const std::string sent = ex.block("Chunk data sent");
  const std::string first = test::split_lines(sent).front();
  const std::size_t colon = first.find(':');
  const std::string trailer = s3::trailer_line(first.substr(0, colon), first.substr(colon + 1));
  const s3::ChunkSignature ts = chunks.trailer(trailer);
  BOOST_TEST(ts.string_to_sign == ex.block_containing("Trailer chunk string to sign"));
  BOOST_TEST(ts.signature == ex.inline_value("Trailer signature"));
  const std::string wire = s3::trailer_wire(trailer, ts.signature);
  BOOST_TEST(wire.ends_with("\r\n\r\n"));
  BOOST_TEST(crlf_to_lf(wire) == sent + "\n\n");

  std::smatch m;
  BOOST_TEST_REQUIRE(std::regex_search(ex.text, m, std::regex(R"(which is (\d+) bytes)")));
  BOOST_TEST(s3::chunked_body_length(66560, 65536, trailer) == std::stoull(m[1].str()));
}

BOOST_AUTO_TEST_CASE(framing_helpers) {
  const std::string sig(64, 'f');
  BOOST_TEST(s3::chunk_header(65536, sig) == "10000;chunk-signature=" + sig + "\r\n");
  BOOST_TEST(s3::chunk_header(0, sig) == "0;chunk-signature=" + sig + "\r\n");
  BOOST_TEST(s3::chunk_header(0xabc, sig).starts_with("abc;"));
  BOOST_TEST(s3::trailer_line("x-amz-checksum-crc32c", "AAAAAA==") ==
             "x-amz-checksum-crc32c:AAAAAA==\n");

  // Lengths by construction: every chunk is framed as hex;chunk-signature=<64>\r\n data \r\n.
  const auto built = [&](std::uint64_t payload, std::uint64_t chunk) {
    std::uint64_t total = 0;
    for (std::uint64_t left = payload; left > 0;) {
      const std::uint64_t n = std::min(left, chunk);
      total += s3::chunk_header(n, sig).size() + n + 2;
      left -= n;
    }
    return total + s3::chunk_header(0, sig).size() + 2;
  };
  for (std::uint64_t payload : {0ull, 1ull, 15ull, 16ull, 65535ull, 65536ull, 65537ull, 1000000ull})
    for (std::uint64_t chunk : {1ull, 16ull, 8192ull, 65536ull})
      if (payload / chunk < 100000) BOOST_TEST(s3::chunked_body_length(payload, chunk) == built(payload, chunk));
  BOOST_CHECK_THROW(s3::chunked_body_length(10, 0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(chunk_chain_uses_previous_signature) {
  using namespace std::chrono;
  const auto t = sys_days{year{2024} / 5 / 6} + hours{7};
  const s3::SigV4Signer signer({"AKID", "SECRET", "", std::nullopt}, "us-east-1");
  s3::ChunkSigner a(signer, t, std::string(64, '0'));
  s3::ChunkSigner b(signer, t, std::string(64, '1'));
  const std::string data = "hello";
  const auto sa = a.next(util::as_bytes(data));
  const auto sb = b.next(util::as_bytes(data));
  BOOST_TEST(sa.signature != sb.signature);  // different seeds
  BOOST_TEST(sa.string_to_sign.starts_with("AWS4-HMAC-SHA256-PAYLOAD\n20240506T070000Z\n"
                                           "20240506/us-east-1/s3/aws4_request\n" +
                                           std::string(64, '0') + "\n"));
  BOOST_TEST(a.next_hashed(util::hex_lower(util::sha256(data))).string_to_sign.find(sa.signature) !=
             std::string::npos);
  BOOST_TEST(sa.signature == signer.sign_string(sa.string_to_sign, t));
}

BOOST_AUTO_TEST_SUITE_END()
