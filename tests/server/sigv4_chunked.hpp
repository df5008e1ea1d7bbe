// SigV4 chunked uploads (Content-Encoding: aws-chunked) for S3:
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD and its -TRAILER variant. s3up itself does not send them;
// s3-testserver verifies such bodies (body.cpp, service.cpp), and unit.sigv4_chunked tests this.
//
// The request itself is signed with SigV4Signer::sign() using one of the markers below as
// payload_hash (and as the x-amz-content-sha256 header); that is the seed signature. Each chunk
// is then signed with the previous signature chained in:
//   "AWS4-HMAC-SHA256-PAYLOAD\n" date "\n" scope "\n" previous "\n" sha256("") "\n" sha256(chunk)
// and sent as hex(size) ";chunk-signature=" sig "\r\n" data "\r\n". The body ends with an empty
// chunk. With a trailer, the trailing headers follow the empty chunk and are signed with
//   "AWS4-HMAC-SHA256-TRAILER\n" date "\n" scope "\n" previous "\n" sha256(trailer block).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "s3/sigv4.hpp"

namespace s3up::s3 {

inline constexpr std::string_view kStreamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
inline constexpr std::string_view kStreamingPayloadTrailer =
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";

struct ChunkSignature {
  std::string string_to_sign;
  std::string signature;  // lower hex
};

// The signature chain of one aws-chunked body. Not thread-safe (one body is one sequence), but
// any number of ChunkSigners may share one SigV4Signer.
class ChunkSigner {
 public:
  // signer must outlive this object; t must be the time the request was signed with, and
  // seed_signature that request's Signature::signature.
  ChunkSigner(const SigV4Signer& signer, SignClock::time_point t, std::string seed_signature);

  // Signs the next chunk (the last chunk of a body is empty) and makes its signature the
  // previous one. next_hashed takes the lower-hex SHA-256 of the chunk data instead of the data.
  ChunkSignature next(std::span<const unsigned char> data);
  ChunkSignature next_hashed(std::string_view chunk_sha256_hex);

  // Signs the trailer block, e.g. "x-amz-checksum-crc32c:sOO8/Q==\n" (each header as
  // "name:value\n", no whitespace), after the empty chunk.
  ChunkSignature trailer(std::string_view trailer_block);

  const std::string& previous_signature() const { return previous_; }

 private:
  const SigV4Signer& signer_;
  SignClock::time_point time_;
  std::string amz_date_;
  std::string scope_;
  std::string previous_;
};

// "10000;chunk-signature=<signature>\r\n": what precedes a chunk of `size` bytes.
std::string chunk_header(std::uint64_t size, std::string_view signature);

// "x-amz-checksum-crc32c:sOO8/Q==\n": one trailing header as it is hashed for the trailer
// signature. On the wire the '\n' is "\r\n" (see trailer_wire).
std::string trailer_line(std::string_view name, std::string_view value);

// The bytes after the empty chunk for a signed trailer: "name:value\r\n" per header,
// "x-amz-trailer-signature:<sig>\r\n", "\r\n". trailer_block is as given to ChunkSigner::trailer.
std::string trailer_wire(std::string_view trailer_block, std::string_view trailer_signature);

// Content-Length of an aws-chunked body carrying payload_size bytes in chunks of chunk_size
// (the last one shorter), plus the empty chunk. Without trailer it ends with "\r\n"; with
// trailer_block non-empty the trailer_wire bytes replace that. chunk_size must be > 0.
std::uint64_t chunked_body_length(std::uint64_t payload_size, std::uint64_t chunk_size,
                                  std::string_view trailer_block = {});

}  // namespace s3up::s3
