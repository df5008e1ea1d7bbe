#include "util/crc_combine.hpp"

#include "util/crc_poly.hpp"

namespace s3up::util {
namespace {

// The reflected generators (crc_poly.hpp) and their x^(2^k) tables, built at compile time.
constexpr std::uint32_t kCrc32 = 0xEDB88320;
constexpr std::uint32_t kCrc32c = 0x82F63B78;
constexpr std::uint64_t kCrc64Nvme = crc_poly::reflect<std::uint64_t>(0xAD93D23594C93659);
constexpr auto kCrc32Powers = crc_poly::power_of_two_exponents(kCrc32);
constexpr auto kCrc32cPowers = crc_poly::power_of_two_exponents(kCrc32c);
constexpr auto kCrc64NvmePowers = crc_poly::power_of_two_exponents(kCrc64Nvme);

}  // namespace

std::uint32_t crc32_combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b) {
  return crc_poly::combine(crc_a, crc_b, len_b, kCrc32, kCrc32Powers);
}

std::uint32_t crc32c_combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b) {
  return crc_poly::combine(crc_a, crc_b, len_b, kCrc32c, kCrc32cPowers);
}

std::uint64_t crc64nvme_combine(std::uint64_t crc_a, std::uint64_t crc_b, std::uint64_t len_b) {
  return crc_poly::combine(crc_a, crc_b, len_b, kCrc64Nvme, kCrc64NvmePowers);
}

}  // namespace s3up::util
