// CRC-64/NVME by folding with carry-less multiplication (PCLMULQDQ), after Intel's "Fast CRC
// Computation for Generic Polynomials Using PCLMULQDQ Instruction" (Gopal et al., 2009). Only
// these functions are compiled for PCLMULQDQ and SSE4.1 (target attributes, not a global
// -mpclmul), and crc64nvme() calls them only when the CPU reports both.
//
// Notation. In the reflected order a 64-bit lane v stands for the polynomial whose x^(63-j)
// coefficient is bit j, and a 128-bit register for the one whose x^(127-j) coefficient is bit j,
// so the low lane holds the high-degree half. Loaded little-endian, 16 message bytes are such a
// register: message bit j (LSB first) is the x^(127-j) term. clmul(r64(A), r64(B)) = r128(A·B·x):
// the product of two 64-bit lanes comes out one degree too low for a 128-bit register, which is
// why the constants below are x^(n-1) where x^n is what the algebra asks for.
//
// Folding. A 128-bit block A followed, F bits later, by block B contributes A·x^F + B. Writing
// A = A_hi·x^64 + A_lo (A_hi in the low lane), A·x^F ≡ A_hi·(x^(F+64) mod P) + A_lo·(x^F mod P),
// i.e. clmul(A.lo, r64(x^(F+63) mod P)) ^ clmul(A.hi, r64(x^(F-1) mod P)): a 128-bit value again
// (degree < 128), congruent modulo P, XORed onto B. Eight registers fold over F = 1024 bits in
// the main loop, then into one over F = 128.
//
// Reduction. The last register R leaves the CRC register R·x^64 mod P. First
// T = R_hi·(x^128 mod P) + R_lo·x^64 (degree < 128), then Barrett: with μ = floor(x^128/P)
// = x^64 + μ0 and P = x^64 + P0, q = floor(T/P) = T_hi + floor(T_hi·μ0 / x^64), and
// T mod P = T_lo + (q·P0 mod x^64). The shifts after each clmul undo its one-degree offset.
//
// Every constant is computed at compile time from P (crc_poly.hpp), none is typed in.
#include "util/crc64nvme.hpp"

#include "util/crc_poly.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define S3UP_CRC64_CLMUL 1
#endif

namespace s3up::util::detail {

#ifdef S3UP_CRC64_CLMUL
namespace {

constexpr std::uint64_t kPolyNormal = 0xAD93D23594C93659;  // P without x^64, normal order
constexpr std::uint64_t kPoly = crc_poly::reflect(kPolyNormal);

// r64(x^n mod P).
constexpr std::uint64_t xn(std::uint64_t n) { return crc_poly::x_pow_mod(n, kPoly); }

// μ0: floor(x^128 / P) without its x^64 term, in the normal order (bit i = x^i), by long
// division. `window` holds the remainder's terms x^(d-1) .. x^(d-64) and `lead` its x^d term.
constexpr std::uint64_t barrett_mu0() {
  std::uint64_t q = 0, window = 0;
  bool lead = true;  // the dividend x^128
  for (int d = 128; d >= 64; --d) {
    if (lead) {  // subtract P·x^(d-64): q gets x^(d-64)
      if (d < 128) q |= std::uint64_t{1} << (d - 64);
      window ^= kPolyNormal;
    }
    lead = (window >> 63) != 0;
    window <<= 1;  // the dividend has no terms below x^128
  }
  return q;
}

constexpr std::uint64_t kFold1024Lo = xn(1024 + 63), kFold1024Hi = xn(1024 - 1);
constexpr std::uint64_t kFold128Lo = xn(128 + 63), kFold128Hi = xn(128 - 1);
constexpr std::uint64_t kMu0 = crc_poly::reflect(barrett_mu0());
constexpr std::uint64_t kP0 = kPoly;  // r64(P0) is the reflected polynomial itself

#define S3UP_CLMUL_TARGET __attribute__((target("pclmul,sse4.1")))

// (lo lane ⊗ k_lo) ^ (hi lane ⊗ k_hi), with k = {k_lo, k_hi}.
S3UP_CLMUL_TARGET inline __m128i fold(__m128i x, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

S3UP_CLMUL_TARGET inline __m128i load(const unsigned char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// The CRC register R·x^64 mod P of the last folded register R.
S3UP_CLMUL_TARGET inline std::uint64_t reduce(__m128i r) {
  const __m128i k = _mm_set_epi64x(static_cast<long long>(kMu0), static_cast<long long>(kFold128Hi));
  // T = R_hi·x^128 + R_lo·x^64: R_hi times r64(x^127), R_lo moved into the high-degree lane.
  const __m128i t = _mm_xor_si128(_mm_clmulepi64_si128(r, k, 0x00), _mm_srli_si128(r, 8));
  const auto t_hi = static_cast<std::uint64_t>(_mm_cvtsi128_si64(t));        // T_hi
  const auto t_lo = static_cast<std::uint64_t>(_mm_extract_epi64(t, 1));     // T_lo
  // floor(T_hi·μ0 / x^64): the low lane of the product, one degree up.
  const __m128i c1 = _mm_clmulepi64_si128(t, k, 0x10);
  const std::uint64_t q = t_hi ^ (static_cast<std::uint64_t>(_mm_cvtsi128_si64(c1)) << 1);
  // q·P0 mod x^64: bits 63..126 of the product.
  const __m128i c2 = _mm_clmulepi64_si128(_mm_cvtsi64_si128(static_cast<long long>(q)),
                                          _mm_cvtsi64_si128(static_cast<long long>(kP0)), 0x00);
  const auto c2_lo = static_cast<std::uint64_t>(_mm_cvtsi128_si64(c2));
  const auto c2_hi = static_cast<std::uint64_t>(_mm_extract_epi64(c2, 1));
  return t_lo ^ ((c2_hi << 1) | (c2_lo >> 63));
}

S3UP_CLMUL_TARGET std::uint64_t clmul_crc(const unsigned char* p, std::size_t n,
                                          std::uint64_t prev, std::size_t* left) {
  const __m128i k1024 = _mm_set_epi64x(static_cast<long long>(kFold1024Hi),
                                       static_cast<long long>(kFold1024Lo));
  const __m128i k128 = _mm_set_epi64x(static_cast<long long>(kFold128Hi),
                                      static_cast<long long>(kFold128Lo));
  // Unrolled so that the eight registers stay in registers (GCC's -O2 keeps a rolled loop's
  // array in memory, which quarters the speed).
  __m128i x[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) x[i] = load(p + 16 * i);
  // The register so far is XORed onto the first 64 message bits.
  x[0] = _mm_xor_si128(x[0], _mm_cvtsi64_si128(static_cast<long long>(~prev)));
  p += 128;
  n -= 128;
  for (; n >= 128; n -= 128, p += 128)
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) x[i] = _mm_xor_si128(fold(x[i], k1024), load(p + 16 * i));
  __m128i acc = x[0];
#pragma GCC unroll 8
  for (int i = 1; i < 8; ++i) acc = _mm_xor_si128(fold(acc, k128), x[i]);
  for (; n >= 16; n -= 16, p += 16) acc = _mm_xor_si128(fold(acc, k128), load(p));
  *left = n;  // the bytes not folded (fewer than 16)
  return ~reduce(acc);
}

}  // namespace

bool crc64nvme_clmul_supported() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
}

std::uint64_t crc64nvme_clmul(std::span<const unsigned char> data, std::uint64_t prev) {
  // Below 128 bytes the eight registers cannot be filled; the table is as fast there.
  if (data.size() < 128) return crc64nvme_table(data, prev);
  std::size_t left = 0;
  const std::uint64_t crc = clmul_crc(data.data(), data.size(), prev, &left);
  // The last 0..15 bytes go through the table, continuing from the folded CRC.
  return crc64nvme_table(data.last(left), crc);
}

#else

bool crc64nvme_clmul_supported() { return false; }
std::uint64_t crc64nvme_clmul(std::span<const unsigned char> data, std::uint64_t prev) {
  return crc64nvme_table(data, prev);
}

#endif

}  // namespace s3up::util::detail
