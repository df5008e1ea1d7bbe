// engine::parse_shard / in_shard. Golden shards come from a separate pure-Python bitwise
// CRC-32C (reflected polynomial 0x82F63B78), not from ISA-L.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/shard.hpp"

using s3up::engine::in_shard;
using s3up::engine::parse_shard;
using s3up::engine::Shard;

namespace {

std::vector<std::string> many_keys() {
  std::vector<std::string> keys;
  for (int i = 0; i < 10000; ++i)
    keys.push_back("photos/" + std::to_string(i / 100) + "/IMG_" + std::to_string(i) + ".jpg");
  return keys;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(shard)

BOOST_AUTO_TEST_CASE(parses_valid_shards) {
  const auto s = parse_shard("0/1");
  BOOST_TEST_REQUIRE(s.has_value());
  BOOST_TEST(s->index == 0u);
  BOOST_TEST(s->count == 1u);
  const auto t = parse_shard("6/7");
  BOOST_TEST_REQUIRE(t.has_value());
  BOOST_TEST(t->index == 6u);
  BOOST_TEST(t->count == 7u);
  const auto big = parse_shard("4294967294/4294967295");
  BOOST_TEST_REQUIRE(big.has_value());
  BOOST_TEST(big->index == 4294967294u);
  BOOST_TEST(parse_shard("007/010").has_value());
}

BOOST_AUTO_TEST_CASE(rejects_invalid_shards) {
  for (const char* bad : {"", "/", "1", "1/", "/2", "2/2", "3/2", "0/0", "1/0", "-1/2", "+1/2",
                          " 0/2", "0/2 ", "0 /2", "0/ 2", "a/2", "0/b", "0/2x", "0/2/3",
                          "0x1/4", "1.0/2", "0/4294967296", "99999999999/1"})
    BOOST_TEST(!parse_shard(bad).has_value(), "accepted \"" << bad << "\"");
}

BOOST_AUTO_TEST_CASE(every_key_in_exactly_one_shard) {
  const auto keys = many_keys();
  for (std::uint32_t n = 1; n <= 7; ++n) {
    for (const auto& key : keys) {
      int hits = 0;
      for (std::uint32_t k = 0; k < n; ++k) hits += in_shard(key, Shard{k, n}) ? 1 : 0;
      BOOST_TEST_REQUIRE(hits == 1, key << " is in " << hits << " of " << n << " shards");
    }
  }
}

BOOST_AUTO_TEST_CASE(even_distribution) {
  const auto keys = many_keys();
  std::uint32_t counts[4] = {};
  for (const auto& key : keys)
    for (std::uint32_t k = 0; k < 4; ++k)
      if (in_shard(key, Shard{k, 4})) ++counts[k];
  for (std::uint32_t k = 0; k < 4; ++k) {
    BOOST_TEST(counts[k] >= 2250u, "shard " << k << " has " << counts[k]);
    BOOST_TEST(counts[k] <= 2750u, "shard " << k << " has " << counts[k]);
  }
}

BOOST_AUTO_TEST_CASE(golden_shards_never_change) {
  // key, crc32c(key), and the shard for N = 2, 3, 4, 7, 16, 1000.
  struct Golden {
    const char* key;
    std::uint32_t n[6];
  };
  const std::uint32_t counts[6] = {2, 3, 4, 7, 16, 1000};
  const Golden golden[] = {
      {"", {0, 0, 0, 0, 0, 0}},                              // 0x00000000
      {"a", {0, 0, 0, 1, 0, 376}},                           // 0xC1D04330
      {"index.html", {0, 1, 0, 1, 12, 716}},                 // 0x0ADEC96C
      {"photos/2024/IMG_0001.jpg", {1, 0, 3, 6, 15, 383}},   // 0xBF39F46F
      {"logs/app.log.1", {0, 2, 0, 1, 0, 408}},              // 0x3A05DF70
      {"données/été.txt", {0, 2, 0, 0, 4, 316}},             // 0x3CD5C7F4 (UTF-8 bytes)
      {"a/b/c/d/e/f/g", {0, 2, 0, 1, 12, 700}},              // 0x6C34D0FC
  };
  for (const auto& g : golden) {
    for (int i = 0; i < 6; ++i) {
      BOOST_TEST(in_shard(g.key, Shard{g.n[i], counts[i]}),
                 g.key << " not in " << g.n[i] << "/" << counts[i]);
      BOOST_TEST(!in_shard(g.key, Shard{(g.n[i] + 1) % counts[i], counts[i]}),
                 g.key << " in " << (g.n[i] + 1) % counts[i] << "/" << counts[i]);
    }
  }
}

BOOST_AUTO_TEST_CASE(single_shard_takes_everything_and_invalid_takes_nothing) {
  BOOST_TEST(in_shard("anything", Shard{0, 1}));
  BOOST_TEST(in_shard("", Shard{0, 1}));
  BOOST_TEST(!in_shard("anything", Shard{0, 0}));
  BOOST_TEST(!in_shard("a", Shard{5, 4}));
}

BOOST_AUTO_TEST_SUITE_END()
