// Unit tests of the registry: connections by id and by user, identity on
// removal, and consistency under concurrent use.
#include <chat/registry.hpp>

#include "support/fake_connection.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

namespace chat {
namespace {

using test::make_fake;
using connection_list = std::vector<std::shared_ptr<connection>>;

TEST(Registry, FindsAnAddedConnection) {
  registry reg;
  const auto a = make_fake("c1", "alice");
  ASSERT_TRUE(reg.add(a));
  EXPECT_EQ(reg.find("c1"), a);
  EXPECT_EQ(reg.find("c2"), nullptr);
  EXPECT_EQ(reg.count("alice"), 1u);
  EXPECT_EQ(reg.size(), 1u);
}

TEST(Registry, RemovesAConnection) {
  registry reg;
  const auto a = make_fake("c1", "alice");
  ASSERT_TRUE(reg.add(a));
  EXPECT_TRUE(reg.remove(*a));
  EXPECT_EQ(reg.find("c1"), nullptr);
  EXPECT_EQ(reg.count("alice"), 0u);
  EXPECT_EQ(reg.size(), 0u);
  connection_list out;
  EXPECT_EQ(reg.snapshot("alice", out), 0u);
  EXPECT_TRUE(out.empty());
}

TEST(Registry, RefusesADuplicateId) {
  registry reg;
  const auto first = make_fake("c1", "alice");
  const auto second = make_fake("c1", "bob");
  ASSERT_TRUE(reg.add(first));
  EXPECT_FALSE(reg.add(second));
  EXPECT_EQ(reg.find("c1"), first);
  EXPECT_EQ(reg.count("bob"), 0u) << "a refused connection was indexed";
  EXPECT_EQ(reg.size(), 1u);
}

TEST(Registry, SnapshotHoldsEveryDeviceOfAUser) {
  registry reg;
  const auto phone = make_fake("c1", "bob");
  const auto laptop = make_fake("c2", "bob");
  const auto other = make_fake("c3", "carol");
  ASSERT_TRUE(reg.add(phone));
  ASSERT_TRUE(reg.add(laptop));
  ASSERT_TRUE(reg.add(other));
  connection_list out;
  EXPECT_EQ(reg.snapshot("bob", out), 2u);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_NE(std::find(out.begin(), out.end(), phone), out.end());
  EXPECT_NE(std::find(out.begin(), out.end(), laptop), out.end());
  EXPECT_EQ(reg.count("bob"), 2u);
  EXPECT_EQ(reg.count("carol"), 1u);
  EXPECT_EQ(reg.size(), 3u);
}

TEST(Registry, RemovingOneDeviceKeepsTheOther) {
  registry reg;
  const auto phone = make_fake("c1", "bob");
  const auto laptop = make_fake("c2", "bob");
  ASSERT_TRUE(reg.add(phone));
  ASSERT_TRUE(reg.add(laptop));
  EXPECT_TRUE(reg.remove(*phone));
  connection_list out;
  EXPECT_EQ(reg.snapshot("bob", out), 1u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], laptop);
  EXPECT_EQ(reg.find("c1"), nullptr);
  EXPECT_EQ(reg.find("c2"), laptop);
}

TEST(Registry, RemovingAnUnknownConnectionFails) {
  registry reg;
  const auto a = make_fake("c1", "alice");
  EXPECT_FALSE(reg.remove(*a));
  ASSERT_TRUE(reg.add(a));
  EXPECT_TRUE(reg.remove(*a));
  EXPECT_FALSE(reg.remove(*a)) << "removed twice";
  EXPECT_EQ(reg.size(), 0u);
}

TEST(Registry, RemoveComparesIdentityNotId) {
  registry reg;
  const auto real = make_fake("c1", "alice");
  const auto impostor = make_fake("c1", "alice");
  ASSERT_TRUE(reg.add(real));
  EXPECT_FALSE(reg.remove(*impostor));
  EXPECT_EQ(reg.find("c1"), real);
  EXPECT_EQ(reg.count("alice"), 1u);
  EXPECT_EQ(reg.size(), 1u);
}

TEST(Registry, SnapshotReplacesTheVector) {
  registry reg;
  const auto a = make_fake("c1", "alice");
  const auto b = make_fake("c2", "bob");
  ASSERT_TRUE(reg.add(a));
  ASSERT_TRUE(reg.add(b));
  connection_list out{b, b, b};
  EXPECT_EQ(reg.snapshot("alice", out), 1u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], a);
  EXPECT_EQ(reg.snapshot("nobody", out), 0u);
  EXPECT_TRUE(out.empty());
}

TEST(Registry, SnapshotIsACopy) {
  registry reg;
  const auto a = make_fake("c1", "alice");
  ASSERT_TRUE(reg.add(a));
  connection_list out;
  reg.snapshot("alice", out);
  ASSERT_TRUE(reg.remove(*a));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], a) << "a snapshot must outlive changes to the registry";
}

TEST(Registry, WorksWithAnyShardCount) {
  for (const std::size_t shards : {0u, 1u, 3u, 64u}) {
    registry reg(shards);
    std::vector<std::shared_ptr<test::fake_connection>> conns;
    for (int i = 0; i < 100; ++i) {
      conns.push_back(
          make_fake("c" + std::to_string(i), "u" + std::to_string(i % 7)));
      ASSERT_TRUE(reg.add(conns.back()));
    }
    EXPECT_EQ(reg.size(), 100u) << shards;
    EXPECT_EQ(reg.count("u0"), 15u) << shards;
    for (const auto& c : conns) EXPECT_EQ(reg.find(c->id()), c);
  }
}

TEST(Registry, StaysConsistentUnderConcurrentUse) {
  constexpr int threads = 4;
  constexpr int ops = 10'000;
  constexpr int kept = 100;  // per thread, left registered at the end
  registry reg;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&reg, t] {
      const std::string tag = std::to_string(t);
      const std::string user = "user" + tag;
      connection_list scratch;
      for (int i = 0; i < ops; ++i) {
        // Each thread adds, reads and removes its own connections, of its
        // own user, while the others do the same in shards they share.
        auto c = make_fake("t" + tag + "-" + std::to_string(i), user);
        EXPECT_TRUE(reg.add(c));
        EXPECT_GE(reg.snapshot(user, scratch), 1u);
        EXPECT_NE(reg.find(c->id()), nullptr);
        if (i >= kept) {
          EXPECT_TRUE(reg.remove(*c));
        }
        (void)reg.size();  // not a consistent cut, so only exercised
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(reg.size(), static_cast<std::size_t>(threads * kept));
  for (int t = 0; t < threads; ++t) {
    EXPECT_EQ(reg.count("user" + std::to_string(t)),
              static_cast<std::size_t>(kept));
  }
}

TEST(Registry, ConcurrentDevicesOfOneUserAreAllCounted) {
  // Every thread works on the same user's connection list.
  constexpr int threads = 4;
  constexpr int ops = 10'000;
  constexpr int keep_every = 100;
  registry reg;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&reg, t] {
      connection_list scratch;
      for (int i = 0; i < ops; ++i) {
        auto c = make_fake(std::to_string(t) + "-" + std::to_string(i), "bob");
        EXPECT_TRUE(reg.add(c));
        reg.snapshot("bob", scratch);
        EXPECT_NE(std::find(scratch.begin(), scratch.end(), c), scratch.end());
        if (i % keep_every != 0) {
          EXPECT_TRUE(reg.remove(*c));
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  const auto kept = static_cast<std::size_t>(threads * ops / keep_every);
  EXPECT_EQ(reg.size(), kept);
  EXPECT_EQ(reg.count("bob"), kept);
  connection_list all;
  EXPECT_EQ(reg.snapshot("bob", all), kept);
}

// A user's connections are kept in the order they came, whichever leaves.
TEST(Registry, DevicesStayInTheOrderTheyCameWhicheverLeaves) {
  registry reg;
  std::vector<std::shared_ptr<connection>> dev;
  for (int i = 0; i < 4; ++i)
    dev.push_back(make_fake("c" + std::to_string(i), "bob"));
  for (const auto& d : dev) ASSERT_TRUE(reg.add(d));
  connection_list out;
  reg.snapshot("bob", out);
  EXPECT_EQ(out, dev);
  ASSERT_TRUE(reg.remove(*dev[0]));  // the first
  reg.snapshot("bob", out);
  EXPECT_EQ(out, (connection_list{dev[1], dev[2], dev[3]}));
  ASSERT_TRUE(reg.remove(*dev[2]));  // one in the middle
  reg.snapshot("bob", out);
  EXPECT_EQ(out, (connection_list{dev[1], dev[3]}));
  ASSERT_TRUE(reg.remove(*dev[3]));  // the last
  reg.snapshot("bob", out);
  EXPECT_EQ(out, (connection_list{dev[1]}));
  EXPECT_EQ(reg.count("bob"), 1u);
  ASSERT_TRUE(reg.add(dev[0]));  // back, after the one left
  reg.snapshot("bob", out);
  EXPECT_EQ(out, (connection_list{dev[1], dev[0]}));
  ASSERT_TRUE(reg.remove(*dev[1]));
  ASSERT_TRUE(reg.remove(*dev[0]));
  EXPECT_EQ(reg.count("bob"), 0u);
  EXPECT_EQ(reg.find("c0"), nullptr);
  EXPECT_EQ(reg.size(), 0u);
}

// The registry owns what it holds, and only while it holds it: through
// every resize of its tables and every removal.
TEST(Registry, HoldsEachConnectionExactlyWhileRegistered) {
  registry reg(4);
  constexpr int n = 5000;
  std::vector<std::weak_ptr<connection>> seen;
  for (int i = 0; i < n; ++i) {
    auto c =
        make_fake("id" + std::to_string(i), "u" + std::to_string(i % 1700));
    seen.push_back(c);
    ASSERT_TRUE(reg.add(std::move(c)));
  }
  EXPECT_EQ(reg.size(), static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) ASSERT_FALSE(seen[i].expired()) << i;
  EXPECT_EQ(reg.count("u7"), 3u);  // 7, 1707, 3407
  for (int i = 0; i < n; i += 2) {
    const auto c = reg.find("id" + std::to_string(i));
    ASSERT_NE(c, nullptr) << i;
    ASSERT_TRUE(reg.remove(*c));
  }
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(seen[i].expired(), i % 2 == 0) << i;
    EXPECT_EQ(reg.find("id" + std::to_string(i)) != nullptr, i % 2 == 1) << i;
  }
  EXPECT_EQ(reg.size(), static_cast<std::size_t>(n / 2));
  for (int i = 1; i < n; i += 2) ASSERT_TRUE(reg.remove(*seen[i].lock()));
  for (int i = 0; i < n; ++i) EXPECT_TRUE(seen[i].expired()) << i;
  EXPECT_EQ(reg.size(), 0u);
  EXPECT_EQ(reg.count("u7"), 0u);
}

}  // namespace
}  // namespace chat
