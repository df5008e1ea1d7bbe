#include "engine/shard.hpp"

#include <charconv>

#include "util/crc.hpp"
#include "util/crypto.hpp"

namespace s3up::engine {
namespace {

std::optional<std::uint32_t> parse_u32(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  for (const char c : digits)
    if (c < '0' || c > '9') return std::nullopt;
  std::uint32_t value = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || ptr != digits.data() + digits.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<Shard> parse_shard(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto index = parse_u32(text.substr(0, slash));
  const auto count = parse_u32(text.substr(slash + 1));
  if (!index || !count || *count == 0 || *index >= *count) return std::nullopt;
  return Shard{*index, *count};
}

bool in_shard(std::string_view key, Shard shard) {
  if (shard.count == 0 || shard.index >= shard.count) return false;
  return util::crc32c(util::as_bytes(key)) % shard.count == shard.index;
}

}  // namespace s3up::engine
