// Parsing and formatting of human-friendly quantities: byte sizes and rates.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace s3up::util {

// Parses "8MiB", "64MB", "1GiB", "5M", "1.5GB", "4096" (plain bytes). Decimal suffixes (kB, MB,
// GB, TB) are powers of 1000, binary ones (KiB, MiB, GiB, TiB, and bare K, M, G, T) powers of
// 1024. Case-insensitive, optional "B". A fraction is exact, rounded down to a whole byte only
// at the end ("0.3MB" is 300000, "0.1KiB" 102). Returns nullopt on anything else or on overflow.
std::optional<std::uint64_t> parse_size(std::string_view text);

// A number of seconds written as a decimal number and nothing else: "10", "0.25", "2.", ".5" (no
// unit, exponent, "inf", "nan" or second dot), with an optional leading '-' (negative values are
// returned, for the caller's range message). nullopt on anything else.
std::optional<double> parse_seconds(std::string_view text);

// "4.0 KiB", "12.3 MiB": for messages and summaries. The unit is chosen after rounding to one
// decimal, so a value never reads 1024.0 of a unit below PiB (MiB - 1 is "1.0 MiB").
std::string format_bytes(std::uint64_t bytes);

}  // namespace s3up::util
