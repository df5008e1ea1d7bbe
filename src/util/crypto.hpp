// Hashes, HMAC and encodings, all computed by OpenSSL (libcrypto).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace s3up::util {

using Sha256Digest = std::array<unsigned char, 32>;
using Md5Digest = std::array<unsigned char, 16>;

Sha256Digest sha256(std::span<const unsigned char> data);
Sha256Digest sha256(std::string_view data);
Md5Digest md5(std::span<const unsigned char> data);
Sha256Digest hmac_sha256(std::span<const unsigned char> key, std::string_view data);

// Incremental SHA-256 / MD5 for data that arrives in pieces.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::span<const unsigned char> data);
  Sha256Digest finish();

 private:
  void* ctx_;
};

class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  void update(std::span<const unsigned char> data);
  Md5Digest finish();

 private:
  void* ctx_;
};

std::string hex_lower(std::span<const unsigned char> bytes);
// Decodes hex digits (either case); nullopt when `text` has another character or an odd count.
std::optional<std::string> hex_decode(std::string_view text);
std::string base64(std::span<const unsigned char> bytes);
// Decodes standard base64 (with padding); nullopt when `text` is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

inline std::span<const unsigned char> as_bytes(std::string_view s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

}  // namespace s3up::util
