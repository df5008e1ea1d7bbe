// Request bodies as they stream in: aws-chunked decoding (with chunk and trailer signature
// checks), the hashes S3 verifies (x-amz-content-sha256, Content-MD5, x-amz-checksum-*), the
// MD5 of the ETag, and where the bytes go (a spool file, memory, or nowhere).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "s3/checksum.hpp"
#include "server/store.hpp"
#include "util/crypto.hpp"

namespace s3up::s3 {
class ChunkSigner;
}

namespace s3up::testserver {

struct ExpectedChecksum {
  s3::ChecksumAlgorithm algorithm;
  std::string header;    // "x-amz-checksum-crc32c"
  std::string expected;  // from the header; empty: from the trailer
};

struct BodyPlan {
  bool aws_chunked = false;
  std::unique_ptr<s3::ChunkSigner> chunk_signer;  // signed chunks: verify each one
  bool signed_trailer = false;
  bool md5 = false;                    // compute the MD5 (ETag, Content-MD5)
  std::string content_md5;             // base64 from Content-MD5, validated already
  std::string expected_sha256;         // hex from x-amz-content-sha256, or empty
  std::vector<ExpectedChecksum> checksums;
  std::optional<std::uint64_t> decoded_length;  // x-amz-decoded-content-length
  bool collect = false;                // keep the payload in memory (XML bodies)
  std::size_t collect_limit = 1 << 20;
  Spool* spool = nullptr;              // root mode data file
  bool corrupt = false;                // flip a bit of the body (of its data, when aws-chunked)
  bool verify = true;                  // false: check no digest, echo what was computed
};

struct BodyResult {
  std::uint64_t size = 0;
  util::Md5Digest md5{};
  bool has_md5 = false;
  Headers checksums;  // verified values, "x-amz-checksum-crc32c" -> base64
  std::string collected;
};

class BodyReader {
 public:
  BodyReader();
  ~BodyReader();

  void start(BodyPlan plan);
  // Raw bytes of the body as received. Throws S3Error on malformed aws-chunked framing, a bad
  // chunk signature, or a write error.
  void feed(std::span<const unsigned char> wire);
  // After the last byte: checks lengths, hashes and checksums (S3Error on a mismatch).
  BodyResult finish();

  std::uint64_t payload_size() const { return size_; }

 private:
  enum class State { Size, Data, DataEnd, Trailer, Done };

  void payload(std::span<const unsigned char> data);
  void chunk_line(std::string_view line);
  void trailer_line(std::string_view line);
  void end_chunk();

  BodyPlan plan_;
  std::uint64_t size_ = 0;
  std::optional<util::Md5> md5_;
  std::optional<util::Sha256> sha256_;
  std::vector<s3::Checksummer> checksummers_;
  std::string collected_;

  // aws-chunked
  State state_ = State::Size;
  std::string line_;
  std::uint64_t chunk_left_ = 0;
  std::string chunk_signature_;
  std::optional<util::Sha256> chunk_sha_;
  std::size_t crlf_seen_ = 0;
  Headers trailers_;
  std::string trailer_block_;
  std::string trailer_signature_;
};

}  // namespace s3up::testserver
