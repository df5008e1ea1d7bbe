#include "server/sigv4_chunked.hpp"

#include <charconv>
#include <stdexcept>

#include "util/crypto.hpp"

namespace s3up::s3 {
namespace {

constexpr std::string_view kChunkAlgorithm = "AWS4-HMAC-SHA256-PAYLOAD";
constexpr std::string_view kTrailerAlgorithm = "AWS4-HMAC-SHA256-TRAILER";
constexpr std::string_view kChunkSignatureField = ";chunk-signature=";
constexpr std::string_view kTrailerSignatureField = "x-amz-trailer-signature:";
constexpr std::size_t kSignatureHexLength = 64;

std::string to_hex(std::uint64_t n) {
  char buf[17];
  const auto res = std::to_chars(buf, buf + sizeof buf, n, 16);
  return std::string(buf, res.ptr);
}

}  // namespace

ChunkSigner::ChunkSigner(const SigV4Signer& signer, SignClock::time_point t,
                         std::string seed_signature)
    : signer_(signer),
      time_(t),
      amz_date_(format_amz_date(t)),
      scope_(signer.credential_scope(t)),
      previous_(std::move(seed_signature)) {}

ChunkSignature ChunkSigner::next(std::span<const unsigned char> data) {
  return next_hashed(util::hex_lower(util::sha256(data)));
}

ChunkSignature ChunkSigner::next_hashed(std::string_view chunk_sha256_hex) {
  ChunkSignature out;
  out.string_to_sign = join_string_to_sign(
      {kChunkAlgorithm, amz_date_, scope_, previous_, kEmptyPayloadSha256, chunk_sha256_hex});
  out.signature = signer_.sign_string(out.string_to_sign, time_);
  previous_ = out.signature;
  return out;
}

ChunkSignature ChunkSigner::trailer(std::string_view trailer_block) {
  ChunkSignature out;
  out.string_to_sign = join_string_to_sign(
      {kTrailerAlgorithm, amz_date_, scope_, previous_, util::hex_lower(util::sha256(trailer_block))});
  out.signature = signer_.sign_string(out.string_to_sign, time_);
  previous_ = out.signature;
  return out;
}

std::string chunk_header(std::uint64_t size, std::string_view signature) {
  std::string out = to_hex(size);
  out += kChunkSignatureField;
  out += signature;
  out += "\r\n";
  return out;
}

std::string trailer_line(std::string_view name, std::string_view value) {
  std::string out(name);
  out.push_back(':');
  out += value;
  out.push_back('\n');
  return out;
}

std::string trailer_wire(std::string_view trailer_block, std::string_view trailer_signature) {
  std::string out;
  for (char c : trailer_block) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  out += kTrailerSignatureField;
  out += trailer_signature;
  out += "\r\n\r\n";
  return out;
}

std::uint64_t chunked_body_length(std::uint64_t payload_size, std::uint64_t chunk_size,
                                  std::string_view trailer_block) {
  if (chunk_size == 0) throw std::invalid_argument("chunked_body_length: chunk_size is 0");
  const auto framing = [](std::uint64_t size) {
    return to_hex(size).size() + kChunkSignatureField.size() + kSignatureHexLength + 2;
  };
  std::uint64_t total = 0;
  const std::uint64_t full_chunks = payload_size / chunk_size;
  const std::uint64_t rest = payload_size % chunk_size;
  if (full_chunks > 0) total += full_chunks * (framing(chunk_size) + chunk_size + 2);
  if (rest > 0) total += framing(rest) + rest + 2;
  total += framing(0);
  if (trailer_block.empty()) return total + 2;
  std::uint64_t lines = 0;
  for (char c : trailer_block) lines += c == '\n' ? 1 : 0;
  return total + trailer_block.size() + lines + kTrailerSignatureField.size() +
         kSignatureHexLength + 4;
}

}  // namespace s3up::s3
