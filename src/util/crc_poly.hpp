// GF(2) polynomial arithmetic modulo a CRC polynomial, in the bit order reflected CRCs (CRC-32,
// CRC-32C, CRC-64/NVME) keep their register in: for a W-bit value, bit W-1 is the coefficient of
// x^0 and bit 0 that of x^(W-1). A CRC register is such a polynomial (the remainder modulo P), so
// these let us build CRC tables and folding constants at compile time and combine CRCs.
//
// `poly` is always the reflected generator without its x^W term: CRC-32 0xEDB88320, CRC-32C
// 0x82F63B78, CRC-64/NVME 0x9A6C9329AC4BC9B5 (the bit reversal of 0xAD93D23594C93659).
#pragma once
#include <array>
#include <cstdint>
#include <limits>

namespace s3up::util::crc_poly {

template <class T>
constexpr int kWidth = std::numeric_limits<T>::digits;

// Reverses the bit order of `v` (turns a normal-order polynomial into a reflected one).
template <class T>
constexpr T reflect(T v) {
  T r = 0;
  for (int i = 0; i < kWidth<T>; ++i, v >>= 1) r = static_cast<T>((r << 1) | (v & 1));
  return r;
}

// `a` times x, modulo P: a shift towards higher degrees, which in the reflected order is a right
// shift; the x^(W-1) coefficient (bit 0) becomes x^W, which is P's low terms.
template <class T>
constexpr T times_x(T a, T poly) {
  return (a & 1) ? static_cast<T>((a >> 1) ^ poly) : static_cast<T>(a >> 1);
}

// a * b mod P: the sum of b * x^i over the terms x^i of a, with b * x^i built by times_x.
template <class T>
constexpr T mulmod(T a, T b, T poly) {
  T product = 0;
  for (int i = kWidth<T> - 1; i >= 0; --i) {  // bit i of a is the coefficient of x^(W-1-i)
    if ((a >> i) & 1) product ^= b;
    b = times_x(b, poly);
  }
  return product;
}

// x^0 = 1, reflected: the top bit.
template <class T>
constexpr T kOne = static_cast<T>(T{1} << (kWidth<T> - 1));

// x^(2^k) mod P for k = 0..63: repeated squaring of x.
template <class T>
constexpr std::array<T, 64> power_of_two_exponents(T poly) {
  std::array<T, 64> t{};
  t[0] = times_x(kOne<T>, poly);
  for (std::size_t k = 1; k < t.size(); ++k) t[k] = mulmod(t[k - 1], t[k - 1], poly);
  return t;
}

// x^n mod P in O(log n) multiplications: the product of x^(2^k) over the bits k of n.
template <class T>
constexpr T x_pow_mod(std::uint64_t n, T poly, const std::array<T, 64>& powers) {
  T r = kOne<T>;
  for (std::size_t k = 0; n != 0; ++k, n >>= 1)
    if (n & 1) r = mulmod(r, powers[k], poly);
  return r;
}

template <class T>
constexpr T x_pow_mod(std::uint64_t n, T poly) {
  return x_pow_mod(n, poly, power_of_two_exponents(poly));
}

// The CRC of A followed by B, from crc(A), crc(B) and B's length in bytes, for reflected CRCs
// whose initial value and final XOR are both all ones (CRC-32, CRC-32C, CRC-64/NVME). With
// register semantics R(I, M) = I·x^|M| + M·x^W mod P and crc(M) = R(~0, M) + ~0, expanding gives
// crc(A||B) = crc(A)·x^(8·len(B)) + crc(B): the all-ones terms cancel out.
template <class T>
constexpr T combine(T crc_a, T crc_b, std::uint64_t len_b, T poly,
                    const std::array<T, 64>& powers) {
  if (len_b == 0) return crc_a;
  // x^(8n): bit j of n stands for x^(2^(j+3)), so the exponent table is read from k = 3. Byte
  // counts up to 2^61 - 1 (8n < 2^64) are exact; S3 objects are at most 5 TiB.
  T shift = kOne<T>;
  std::uint64_t n = len_b;
  for (std::size_t k = 3; n != 0 && k < powers.size(); ++k, n >>= 1)
    if (n & 1) shift = mulmod(shift, powers[k], poly);
  return static_cast<T>(mulmod(crc_a, shift, poly) ^ crc_b);
}

}  // namespace s3up::util::crc_poly
