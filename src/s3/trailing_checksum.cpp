#include "s3/trailing_checksum.hpp"

#include <stdexcept>

namespace s3up::s3 {

namespace {

std::string trailer_line(ChecksumAlgorithm algorithm, const std::string& value) {
  return std::string(header_name(algorithm)) + ":" + value + "\r\n";
}

}  // namespace

TrailingChecksum::TrailingChecksum(ChecksumAlgorithm algorithm) : algorithm_(algorithm) {
  if (algorithm == ChecksumAlgorithm::None || algorithm == ChecksumAlgorithm::Md5)
    throw std::logic_error("a trailing checksum needs a flexible checksum algorithm");
  // Every value of an algorithm has the same length (base64 of a fixed-size digest).
  size_ = trailer_line(algorithm, Checksummer(algorithm).value()).size();
  restart();
}

void TrailingChecksum::restart() {
  sum_.emplace(algorithm_);
  value_.clear();
}

void TrailingChecksum::consume(std::span<const char> bytes) {
  sum_->update({reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()});
}

std::string TrailingChecksum::lines() {
  value_ = sum_->value();
  return trailer_line(algorithm_, value_);
}

}  // namespace s3up::s3
