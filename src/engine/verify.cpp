#include "engine/verify.hpp"

#include <algorithm>
#include <cctype>

#include "util/crypto.hpp"

namespace s3up::engine {

std::optional<std::string> verify_stored_checksum(s3::ChecksumAlgorithm algorithm,
                                                  const std::string& sent,
                                                  const s3::OpResult& reply) {
  if (algorithm == s3::ChecksumAlgorithm::None || sent.empty()) return std::nullopt;
  // S3 checked Content-MD5 itself.
  if (algorithm == s3::ChecksumAlgorithm::Md5) return std::nullopt;
  std::string name(s3::header_name(algorithm));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string echoed = reply.header(name);
  if (echoed.empty() || echoed == sent) return std::nullopt;
  return "the endpoint stored a different " + std::string(s3::to_string(algorithm)) +
         " checksum (" + echoed + ") than the one sent (" + sent + ")";
}

s3::OpResult corrupted(s3::OpResult reply, std::string_view what, const std::string& reason) {
  reply.ok = false;
  reply.error = s3::S3Errc::checksum_mismatch;
  reply.error_class = s3::ErrorClass::Retryable;
  reply.message = std::string(what) + ": " + reason;
  return reply;
}

}  // namespace s3up::engine
