// --shard K/N: split one upload between N machines, each taking the keys of its shard.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace s3up::engine {

struct Shard {
  std::uint32_t index;  // 0 <= index < count
  std::uint32_t count;
};

// Parses "K/N": decimal digits only (no sign, spaces or empty parts), N >= 1, K < N, both
// within 32 bits. Returns nullopt for anything else ("3/3", "1/0", "-1/2", " 0/2", "0/2x").
std::optional<Shard> parse_shard(std::string_view text);

// Whether object key `key` belongs to `shard`: util::crc32c(bytes of key) % count == index.
// This function is part of the command-line contract, so that machines running different
// versions agree on the split: it must never change. Returns false for an invalid shard
// (count 0 or index >= count). Never throws.
bool in_shard(std::string_view key, Shard shard);

}  // namespace s3up::engine
