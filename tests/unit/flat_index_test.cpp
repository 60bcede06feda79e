// detail::flat_index against std::unordered_map over random inserts, finds
// and erases, with a good hash and with hashes that collide on purpose (so
// that runs wrap around the array and erase must shift them back); and the
// hash itself (detail::hash_bytes).
#include "core/flat_index.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>

namespace chat::detail {
namespace {

struct item {
  std::string key;
  int value = 0;
};

struct key_of {
  std::string_view operator()(const item& i) const noexcept { return i.key; }
};

// Eight distinct hashes for all keys, and all of them near the top of a
// small array, so that runs wrap around its end.
struct colliding_hash {
  std::size_t operator()(std::string_view s) const {
    return (string_hash{}(s) % 8) * 0x9e3779b97f4a7c15ull + 13;
  }
};

template <class Hash>
void check_against_unordered_map(unsigned seed, int keys, int steps) {
  flat_index<item, key_of, Hash> index;
  std::unordered_map<std::string, std::unique_ptr<item>> want;
  std::mt19937 rng(seed);
  for (int step = 0; step < steps; ++step) {
    const std::string key = "k" + std::to_string(rng() % keys);
    switch (rng() % 3) {
      case 0: {  // insert
        auto it = want.find(key);
        auto fresh = std::make_unique<item>(item{key, step});
        const bool added = index.insert(fresh.get());
        ASSERT_EQ(added, it == want.end()) << key;
        if (added) want.emplace(key, std::move(fresh));
        break;
      }
      case 1: {  // erase
        auto it = want.find(key);
        item* got = index.erase(key);
        if (it == want.end()) {
          ASSERT_EQ(got, nullptr) << key;
        } else {
          ASSERT_EQ(got, it->second.get()) << key;
          want.erase(it);
        }
        break;
      }
      default: {  // find
        auto it = want.find(key);
        item* got = index.find(key);
        ASSERT_EQ(got, it == want.end() ? nullptr : it->second.get()) << key;
      }
    }
    ASSERT_EQ(index.size(), want.size());
  }
  // Every object is still found, and nothing else is.
  for (const auto& [k, v] : want) ASSERT_EQ(index.find(k), v.get()) << k;
  int seen = 0;
  index.for_each([&](item& i) {
    ++seen;
    EXPECT_EQ(want.at(i.key).get(), &i);
  });
  EXPECT_EQ(seen, static_cast<int>(want.size()));
  EXPECT_EQ(index.find("absent"), nullptr);
}

TEST(FlatIndex, AgreesWithUnorderedMap) {
  check_against_unordered_map<string_hash>(1, 5'000, 200'000);
}

TEST(FlatIndex, AgreesWithUnorderedMapWhenHashesCollideAndRunsWrap) {
  check_against_unordered_map<colliding_hash>(2, 300, 100'000);
}

TEST(FlatIndex, GrowsAndShrinksBackWhenEmptied) {
  flat_index<item, key_of> index;
  EXPECT_EQ(index.capacity(), 0u);  // nothing allocated while empty
  std::vector<std::unique_ptr<item>> items;
  for (int i = 0; i < 100'000; ++i) {
    items.push_back(std::make_unique<item>(item{"m-" + std::to_string(i)}));
    ASSERT_TRUE(index.insert(items.back().get()));
  }
  EXPECT_GE(index.capacity() * 3, index.size() * 4);  // load at most 3/4
  const std::size_t full = index.capacity();
  for (const auto& i : items) ASSERT_EQ(index.erase(i->key), i.get());
  EXPECT_TRUE(index.empty());
  EXPECT_LE(index.capacity(), 32u);
  EXPECT_LT(index.capacity(), full);
}

// The registry and the mailbox pick a shard from a hash's bits 32 and up
// and a slot from its low bits, so both must be uniform, and the low bits
// uniform among the keys of one shard; keys like the server's (user names,
// dedup keys, ids) must not collide; one flipped input bit flips half the
// output bits.
TEST(StringHash, SpreadsKeysOverShardsAndSlotsAndAvalanches) {
  std::vector<std::string> keys;
  for (int i = 0; i < 100'000; ++i) {
    keys.push_back("u" + std::to_string(i));
    keys.push_back("alice" + std::to_string(i) + "@example.com");
    keys.push_back(std::string("a1\0c-", 5) + std::to_string(i));
  }
  std::vector<std::uint64_t> hashes;
  std::vector<long> shard(64), slot(64), slot_in_shard0(64);
  for (const auto& k : keys) {
    const std::uint64_t h = hash_bytes(k);
    hashes.push_back(h);
    ++shard[(h >> 32) & 63];
    ++slot[h & 63];
    if (((h >> 32) & 63) == 0) ++slot_in_shard0[h & 63];
  }
  std::sort(hashes.begin(), hashes.end());
  EXPECT_EQ(std::adjacent_find(hashes.begin(), hashes.end()), hashes.end());
  const auto within = [](const std::vector<long>& counts, double mean,
                         double tolerance) {
    const auto [lo, hi] = std::minmax_element(counts.begin(), counts.end());
    return *lo > mean * (1 - tolerance) && *hi < mean * (1 + tolerance);
  };
  const double mean = static_cast<double>(keys.size()) / 64;
  EXPECT_TRUE(within(shard, mean, 0.1));
  EXPECT_TRUE(within(slot, mean, 0.1));
  EXPECT_TRUE(within(slot_in_shard0, mean / 64, 0.35));

  std::mt19937_64 rng(7);
  double flipped = 0;
  constexpr int trials = 20'000;
  for (int t = 0; t < trials; ++t) {
    std::string k(1 + rng() % 64, '\0');
    for (char& c : k) c = static_cast<char>(rng());
    const std::uint64_t h = hash_bytes(k);
    const std::size_t bit = rng() % (k.size() * 8);
    k[bit / 8] = static_cast<char>(k[bit / 8] ^ (1 << (bit % 8)));
    flipped += std::popcount(h ^ hash_bytes(k));
  }
  EXPECT_NEAR(flipped / trials, 32.0, 1.0);
}

}  // namespace
}  // namespace chat::detail
