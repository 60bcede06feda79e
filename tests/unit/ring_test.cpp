// detail::ring against std::deque over random operations (wrapping around
// its end, growing, erasing in the middle, shrinking); a FIFO in steady
// state never reallocates; every element is destroyed exactly once.
#include "core/ring.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

namespace chat::detail {
namespace {

template <class T>
std::vector<T> contents(const ring<T>& r) {
  std::vector<T> out;
  for (const T& v : r) out.push_back(v);
  return out;
}

TEST(Ring, MatchesADequeOverRandomOperations) {
  std::mt19937 rng(7);
  ring<int> r;
  std::deque<int> model;
  int next = 0;
  for (int step = 0; step < 200'000; ++step) {
    const auto op = rng() % 100;
    if (op < 50) {
      r.push_back(next);
      model.push_back(next++);
    } else if (op < 85) {
      if (!model.empty()) {
        ASSERT_EQ(r.front(), model.front());
        r.pop_front();
        model.pop_front();
      }
    } else if (op < 90) {
      if (!model.empty()) {
        ASSERT_EQ(r.back(), model.back());
        r.pop_back();
        model.pop_back();
      }
    } else if (op < 95) {
      if (!model.empty()) {
        const std::size_t i = rng() % model.size();
        r.erase(i);
        model.erase(model.begin() + static_cast<std::ptrdiff_t>(i));
      }
    } else if (op < 98) {
      const int v = model.empty() ? -1 : model[rng() % model.size()];
      ASSERT_EQ(r.erase_value(v), !model.empty());
      if (!model.empty()) model.erase(std::find(model.begin(), model.end(), v));
    } else {
      r.shrink();
    }
    ASSERT_EQ(r.size(), model.size());
    ASSERT_EQ(r.empty(), model.empty());
    if (!model.empty()) {
      const std::size_t i = rng() % model.size();
      ASSERT_EQ(r[i], model[i]) << "step " << step;
    }
  }
  EXPECT_EQ(contents(r), std::vector<int>(model.begin(), model.end()));
  EXPECT_FALSE(r.erase_value(-5));
}

TEST(Ring, AFifoInSteadyStateKeepsItsBuffer) {
  ring<std::shared_ptr<int>> r;
  for (int i = 0; i < 20; ++i) r.push_back(std::make_shared<int>(i));
  const std::size_t cap = r.capacity();
  EXPECT_EQ(cap, 32u);
  // Round and round the buffer, 20 to 21 elements in it.
  for (int i = 20; i < 100'000; ++i) {
    r.push_back(std::make_shared<int>(i));
    ASSERT_EQ(*r.front(), i - 20);
    r.pop_front();
  }
  EXPECT_EQ(r.capacity(), cap);
  EXPECT_EQ(*r.front(), 100'000 - 20);
  EXPECT_EQ(*r.back(), 99'999);
}

TEST(Ring, ShrinkGivesBackWhatABurstLeft) {
  ring<int> r;
  for (int i = 0; i < 1000; ++i) r.push_back(i);
  EXPECT_EQ(r.capacity(), 1024u);
  r.shrink();  // full: kept
  EXPECT_EQ(r.capacity(), 1024u);
  while (r.size() > 256) r.pop_front();
  r.shrink();
  EXPECT_EQ(r.capacity(), 512u);
  r.shrink();  // 256 of 512: more than a quarter
  EXPECT_EQ(r.capacity(), 512u);
  while (r.size() > 3) r.pop_front();
  for (int i = 0; i < 10; ++i) r.shrink();
  EXPECT_EQ(r.capacity(), ring<int>::min_capacity);
  EXPECT_EQ(contents(r), (std::vector<int>{997, 998, 999}));
  r.clear();
  r.shrink();
  EXPECT_EQ(r.capacity(), 0u);
  r.push_back(5);
  EXPECT_EQ(contents(r), std::vector<int>{5});
}

TEST(Ring, EveryElementIsDestroyedOnce) {
  const auto p = std::make_shared<int>(1);
  {
    ring<std::shared_ptr<int>> r;
    for (int i = 0; i < 50; ++i) r.push_back(p);
    EXPECT_EQ(p.use_count(), 51);
    for (int i = 0; i < 10; ++i) r.pop_front();
    r.pop_back();
    r.erase(3);
    EXPECT_EQ(p.use_count(), 39);
    ring<std::shared_ptr<int>> moved(std::move(r));
    EXPECT_EQ(p.use_count(), 39);
    EXPECT_TRUE(r.empty());  // NOLINT(bugprone-use-after-move)
    ring<std::shared_ptr<int>> other;
    other.push_back(p);
    other = std::move(moved);  // drops other's own element
    EXPECT_EQ(p.use_count(), 39);
    other.shrink();
    EXPECT_EQ(p.use_count(), 39);
  }
  EXPECT_EQ(p.use_count(), 1);
}

struct counted {
  static inline int moves = 0;
  int v = 0;
  explicit counted(int x) : v(x) {}
  counted(counted&& o) noexcept : v(o.v) {}
  counted& operator=(counted&& o) noexcept {
    ++moves;
    v = o.v;
    return *this;
  }
};

TEST(Ring, EraseMovesTheShorterSide) {
  ring<counted> r;
  for (int i = 0; i < 100; ++i) r.emplace_back(i);
  counted::moves = 0;
  r.erase(0);  // an in-order ack of a long inbox's front
  EXPECT_EQ(counted::moves, 0);
  r.erase(2);  // two before it move up
  EXPECT_EQ(counted::moves, 2);
  r.erase(r.size() - 4);  // three after it move down
  EXPECT_EQ(counted::moves, 5);
  std::vector<int> left;
  for (const counted& c : r) left.push_back(c.v);
  std::vector<int> want;
  for (int i = 1; i < 100; ++i)
    if (i != 3 && i != 96) want.push_back(i);
  EXPECT_EQ(left, want);
}

struct fussy {
  static inline int live = 0;
  int v;
  explicit fussy(int x) : v(x) {
    if (x < 0) throw std::runtime_error("no");
    ++live;
  }
  fussy(fussy&& o) noexcept : v(o.v) { ++live; }
  fussy& operator=(fussy&&) noexcept = default;
  ~fussy() { --live; }
};

TEST(Ring, AThrowingConstructorLeavesTheRingAsItWas) {
  {
    ring<fussy> r;
    for (int i = 0; i < 8; ++i) r.emplace_back(i);  // full: the next grows
    EXPECT_THROW(r.emplace_back(-1), std::runtime_error);
    EXPECT_EQ(r.size(), 8u);
    EXPECT_EQ(r.capacity(), 8u);
    EXPECT_EQ(r.back().v, 7);
    EXPECT_THROW(r.emplace_back(-1), std::runtime_error);
    r.pop_front();
    EXPECT_THROW(r.emplace_back(-1), std::runtime_error);  // not full
    EXPECT_EQ(r.size(), 7u);
    EXPECT_EQ(fussy::live, 7);
  }
  EXPECT_EQ(fussy::live, 0);
}

}  // namespace
}  // namespace chat::detail
