#include "s3/checksum.hpp"

#include <array>
#include <stdexcept>
#include <memory>

#include "util/crc.hpp"
#include "util/crc64nvme.hpp"
#include "util/crypto.hpp"
#include "util/text.hpp"

namespace s3up::s3 {
namespace {

struct Names {
  ChecksumAlgorithm algorithm;
  std::string_view name;
  std::string_view header;
  std::string_view algorithm_value;
  std::string_view element;
};

constexpr std::array<Names, 6> kNames{{
    {ChecksumAlgorithm::None, "none", "", "", ""},
    {ChecksumAlgorithm::Crc32c, "crc32c", "x-amz-checksum-crc32c", "CRC32C", "ChecksumCRC32C"},
    {ChecksumAlgorithm::Crc32, "crc32", "x-amz-checksum-crc32", "CRC32", "ChecksumCRC32"},
    {ChecksumAlgorithm::Crc64nvme, "crc64nvme", "x-amz-checksum-crc64nvme", "CRC64NVME",
     "ChecksumCRC64NVME"},
    {ChecksumAlgorithm::Sha256, "sha256", "x-amz-checksum-sha256", "SHA256", "ChecksumSHA256"},
    {ChecksumAlgorithm::Md5, "md5", "Content-MD5", "", ""},
}};

const Names& names(ChecksumAlgorithm algorithm) {
  for (const auto& n : kNames) {
    if (n.algorithm == algorithm) return n;
  }
  return kNames[0];
}

template <class T>
std::string base64_be(T v) {  // a CRC as S3 writes it: big-endian bytes, base64
  std::array<unsigned char, sizeof(T)> be{};
  for (std::size_t i = 0; i < be.size(); ++i)
    be[i] = static_cast<unsigned char>(v >> (8 * (be.size() - 1 - i)));
  return util::base64(be);
}

}  // namespace

std::optional<ChecksumAlgorithm> parse_checksum_algorithm(std::string_view text) {
  for (const auto& n : kNames) {
    if (util::iequals_ascii(text, n.name)) return n.algorithm;
  }
  return std::nullopt;
}

std::string_view to_string(ChecksumAlgorithm algorithm) { return names(algorithm).name; }

std::vector<std::string_view> checksum_algorithm_names() {
  std::vector<std::string_view> out;
  for (const auto& n : kNames) out.push_back(n.name);
  return out;
}
std::string_view header_name(ChecksumAlgorithm algorithm) { return names(algorithm).header; }
std::string_view algorithm_header_value(ChecksumAlgorithm algorithm) {
  return names(algorithm).algorithm_value;
}
std::string_view xml_element(ChecksumAlgorithm algorithm) { return names(algorithm).element; }

Checksummer::Checksummer(ChecksumAlgorithm algorithm) : algorithm_(algorithm) {
  if (algorithm_ == ChecksumAlgorithm::Sha256) sha256_ = std::make_unique<util::Sha256>();
  if (algorithm_ == ChecksumAlgorithm::Md5) md5_ = std::make_unique<util::Md5>();
}

Checksummer::~Checksummer() = default;
Checksummer::Checksummer(Checksummer&&) noexcept = default;
Checksummer& Checksummer::operator=(Checksummer&&) noexcept = default;

void Checksummer::update(std::span<const unsigned char> data) {
  if (finished_) throw std::logic_error("Checksummer::update after value()");
  switch (algorithm_) {
    case ChecksumAlgorithm::None: break;
    case ChecksumAlgorithm::Crc32c: crc_ = util::crc32c(data, crc_); break;
    case ChecksumAlgorithm::Crc32: crc_ = util::crc32(data, crc_); break;
    case ChecksumAlgorithm::Crc64nvme: crc64_ = util::crc64nvme(data, crc64_); break;
    case ChecksumAlgorithm::Sha256: sha256_->update(data); break;
    case ChecksumAlgorithm::Md5: md5_->update(data); break;
  }
}

std::string Checksummer::value() {
  if (finished_) throw std::logic_error("Checksummer::value called twice");
  finished_ = true;
  switch (algorithm_) {
    case ChecksumAlgorithm::None: return {};
    case ChecksumAlgorithm::Crc32c:
    case ChecksumAlgorithm::Crc32: return base64_be(crc_);
    case ChecksumAlgorithm::Crc64nvme: return base64_be(crc64_);
    case ChecksumAlgorithm::Sha256: return util::base64(sha256_->finish());
    case ChecksumAlgorithm::Md5: return util::base64(md5_->finish());
  }
  return {};
}

std::string checksum_of(ChecksumAlgorithm algorithm, std::span<const unsigned char> data) {
  Checksummer c(algorithm);
  c.update(data);
  return c.value();
}

}  // namespace s3up::s3
