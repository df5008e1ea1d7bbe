#include "s3/full_object_checksum.hpp"

#include "util/crc_combine.hpp"
#include "util/crypto.hpp"

namespace s3up::s3 {
namespace {

// A base64 CRC of `width` bytes as an integer (S3 writes it big-endian); nullopt otherwise.
std::optional<std::uint64_t> decode_crc(std::string_view value, std::size_t width) {
  const auto raw = util::base64_decode(value);
  if (!raw || raw->size() != width) return std::nullopt;
  std::uint64_t v = 0;
  for (unsigned char c : *raw) v = (v << 8) | c;
  return v;
}

std::string encode_crc(std::uint64_t v, std::size_t width) {
  std::string be(width, '\0');
  for (std::size_t i = 0; i < width; ++i) be[i] = static_cast<char>(v >> (8 * (width - 1 - i)));
  return util::base64(util::as_bytes(be));
}

}  // namespace

bool supports_full_object(ChecksumAlgorithm algorithm) {
  return algorithm == ChecksumAlgorithm::Crc32 || algorithm == ChecksumAlgorithm::Crc32c ||
         algorithm == ChecksumAlgorithm::Crc64nvme;
}

std::string_view multipart_checksum_type(ChecksumAlgorithm algorithm) {
  if (supports_full_object(algorithm)) return "FULL_OBJECT";
  return algorithm_header_value(algorithm).empty() ? "" : "COMPOSITE";
}

std::optional<std::string> full_object_checksum(ChecksumAlgorithm algorithm,
                                                std::span<const PartChecksum> parts) {
  if (!supports_full_object(algorithm) || parts.empty()) return std::nullopt;
  const std::size_t width = algorithm == ChecksumAlgorithm::Crc64nvme ? 8 : 4;
  std::uint64_t full = 0;  // the CRC of no bytes
  for (const auto& part : parts) {
    const auto crc = decode_crc(part.value, width);
    if (!crc) return std::nullopt;
    switch (algorithm) {
      case ChecksumAlgorithm::Crc32:
        full = util::crc32_combine(static_cast<std::uint32_t>(full),
                                   static_cast<std::uint32_t>(*crc), part.length);
        break;
      case ChecksumAlgorithm::Crc32c:
        full = util::crc32c_combine(static_cast<std::uint32_t>(full),
                                    static_cast<std::uint32_t>(*crc), part.length);
        break;
      default:
        full = util::crc64nvme_combine(full, *crc, part.length);
        break;
    }
  }
  return encode_crc(full, width);
}

std::optional<std::string> composite_checksum(ChecksumAlgorithm algorithm,
                                              std::span<const PartChecksum> parts) {
  if (parts.empty() || algorithm_header_value(algorithm).empty()) return std::nullopt;
  std::string joined;
  for (const auto& part : parts) {
    const auto raw = util::base64_decode(part.value);
    if (!raw) return std::nullopt;
    joined += *raw;
  }
  return checksum_of(algorithm, util::as_bytes(joined)) + "-" + std::to_string(parts.size());
}

}  // namespace s3up::s3
