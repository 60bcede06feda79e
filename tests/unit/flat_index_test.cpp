// detail::flat_index against std::unordered_map over random inserts, finds
// and erases, with a good hash and with hashes that collide on purpose (so
// that runs wrap around the array and erase must shift them back).
#include "core/flat_index.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace chat::detail
