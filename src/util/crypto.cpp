#include "util/crypto.hpp"

#include <boost/algorithm/hex.hpp>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>

namespace s3up::util {
namespace {

// OpenSSL 3 looks an algorithm up by name (a lock and a property query on its store) each time
// it is handed EVP_sha256() or asked for HMAC(): in the profile of 10,000 small PUTs that was a
// third of the time spent signing. The algorithms are fetched once, for the process's life, and
// each thread keeps one HMAC context, given a new key every time.
const EVP_MD* fetched(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) throw std::runtime_error(std::string("OpenSSL has no ") + name);
  return md;
}
const EVP_MD* sha256_md() {
  static const EVP_MD* const md = fetched("SHA256");
  return md;
}
const EVP_MD* md5_md() {
  static const EVP_MD* const md = fetched("MD5");
  return md;
}

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

// This thread's HMAC-SHA256 context (the digest set once; the key given at each init).
EVP_MAC_CTX* hmac_sha256_ctx() {
  thread_local const std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx = [] {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    std::unique_ptr<EVP_MAC_CTX, MacCtxFree> c(mac ? EVP_MAC_CTX_new(mac) : nullptr);
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_END};
    if (!c || EVP_MAC_CTX_set_params(c.get(), params) != 1)
      throw std::runtime_error("OpenSSL HMAC-SHA256 unavailable");
    return c;
  }();
  return ctx.get();
}

EVP_MD_CTX* new_ctx(const EVP_MD* md) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, md, nullptr) != 1) {
    EVP_MD_CTX_free(ctx);
    throw std::runtime_error("OpenSSL digest initialisation failed");
  }
  return ctx;
}

template <std::size_t N>
std::array<unsigned char, N> finish_ctx(EVP_MD_CTX* ctx) {
  std::array<unsigned char, N> out{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, out.data(), &len);
  return out;
}

template <std::size_t N>
std::array<unsigned char, N> one_shot(const EVP_MD* md, std::span<const unsigned char> data) {
  std::array<unsigned char, N> out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1)
    throw std::runtime_error("OpenSSL digest failed");
  return out;
}

}  // namespace

Sha256Digest sha256(std::span<const unsigned char> data) { return one_shot<32>(sha256_md(), data); }
Sha256Digest sha256(std::string_view data) { return sha256(as_bytes(data)); }
Md5Digest md5(std::span<const unsigned char> data) { return one_shot<16>(md5_md(), data); }

Sha256Digest hmac_sha256(std::span<const unsigned char> key, std::string_view data) {
  Sha256Digest out{};
  std::size_t len = 0;
  EVP_MAC_CTX* ctx = hmac_sha256_ctx();
  if (EVP_MAC_init(ctx, key.data(), key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(ctx, out.data(), &len, out.size()) != 1 || len != out.size())
    throw std::runtime_error("OpenSSL HMAC failed");
  return out;
}

Sha256::Sha256() : ctx_(new_ctx(sha256_md())) {}
Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
void Sha256::update(std::span<const unsigned char> data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}
Sha256Digest Sha256::finish() { return finish_ctx<32>(static_cast<EVP_MD_CTX*>(ctx_)); }

Md5::Md5() : ctx_(new_ctx(md5_md())) {}
Md5::~Md5() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
void Md5::update(std::span<const unsigned char> data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}
Md5Digest Md5::finish() { return finish_ctx<16>(static_cast<EVP_MD_CTX*>(ctx_)); }

std::string hex_lower(std::span<const unsigned char> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  boost::algorithm::hex_lower(bytes.begin(), bytes.end(), std::back_inserter(out));
  return out;
}

std::optional<std::string> hex_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 2);
  try {
    boost::algorithm::unhex(text.begin(), text.end(), std::back_inserter(out));
  } catch (const boost::algorithm::hex_decode_error&) {
    return std::nullopt;  // a character not hex, or an odd count
  }
  return out;
}

std::string base64(std::span<const unsigned char> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t size = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes.
  for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --size;
  out.resize(size);
  return out;
}

}  // namespace s3up::util
