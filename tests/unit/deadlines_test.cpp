// Unit tests of the per-loop deadlines service: order, moves, cancel, and
// who keeps an owner alive. No test times anything: deadlines are set in
// the past or a few milliseconds ahead, and only order and membership are
// asserted.
#include "transport/deadlines.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace chat::detail {
namespace {

using namespace std::chrono_literals;
using clock = deadline::clock;

struct item final : deadline {
  item(std::vector<std::string>& to, std::string called)
      : log(to), name(std::move(called)) {}
  void on_deadline() override {
    fired_at = clock::now();
    log.push_back(name);
    if (then) then(*this);
  }
  std::vector<std::string>& log;
  std::string name;
  clock::time_point fired_at{};
  std::function<void(item&)> then;
};

std::shared_ptr<item> make(std::vector<std::string>& log, std::string name) {
  return std::make_shared<item>(log, std::move(name));
}

TEST(Deadlines, FireInTheOrderOfTheirTimesNotBeforeThem) {
  boost::asio::io_context ioc;
  auto& d = deadlines::of(ioc);
  std::vector<std::string> log;
  const auto now = clock::now();
  std::vector<std::shared_ptr<item>> items;
  // Scheduled out of order, some already past.
  const int order[] = {5, 1, 9, 3, 7, 0, 8, 2, 6, 4};
  for (int i : order) {
    items.push_back(make(log, std::to_string(i)));
    d.schedule(*items.back(), now + std::chrono::milliseconds(i * 2 - 4),
               items.back());
  }
  EXPECT_EQ(d.size(), 10u);
  ioc.run();
  EXPECT_EQ(log, (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6",
                                           "7", "8", "9"}));
  for (const auto& it : items) {
    EXPECT_GE(it->fired_at, it->due()) << it->name;
    EXPECT_FALSE(it->scheduled());
  }
  EXPECT_EQ(d.size(), 0u);
}

TEST(Deadlines, MovingOneEarlierOrLaterReordersIt) {
  boost::asio::io_context ioc;
  auto& d = deadlines::of(ioc);
  std::vector<std::string> log;
  const auto now = clock::now();
  auto a = make(log, "a"), b = make(log, "b"), c = make(log, "c");
  d.schedule(*a, now + 1ms, a);
  d.schedule(*b, now + 2ms, b);
  d.schedule(*c, now + 3ms, c);
  d.schedule(*c, now - 1ms, c);  // earlier: first
  d.schedule(*a, now + 4ms, a);  // later: last
  EXPECT_EQ(d.size(), 3u);       // moved, not added twice
  ioc.run();
  EXPECT_EQ(log, (std::vector<std::string>{"c", "b", "a"}));
}

TEST(Deadlines, CancelledOnesNeverFireAndGiveTheirOwnerBack) {
  boost::asio::io_context ioc;
  auto& d = deadlines::of(ioc);
  std::vector<std::string> log;
  const auto now = clock::now();
  std::vector<std::shared_ptr<item>> items;
  for (int i = 0; i < 6; ++i) {
    items.push_back(make(log, std::to_string(i)));
    d.schedule(*items.back(), now + std::chrono::milliseconds(i), items.back());
  }
  // The head, one inside the heap, and the last one.
  for (int i : {0, 3, 5}) {
    const auto owner = d.cancel(*items[i]);
    EXPECT_EQ(owner, items[i]);
    EXPECT_FALSE(items[i]->scheduled());
  }
  EXPECT_EQ(d.cancel(*items[0]), nullptr);  // not scheduled any more
  ioc.run();
  EXPECT_EQ(log, (std::vector<std::string>{"1", "2", "4"}));
}

TEST(Deadlines, OneCanRescheduleItselfWhenItFires) {
  boost::asio::io_context ioc;
  auto& d = deadlines::of(ioc);
  std::vector<std::string> log;
  auto a = make(log, "a");
  int left = 3;
  std::weak_ptr<item> weak = a;
  a->then = [&](item& self) {
    if (--left > 0) d.schedule(self, clock::now() + 1ms, weak.lock());
  };
  d.schedule(*a, clock::now(), a);
  a.reset();  // only the service holds it now
  EXPECT_FALSE(weak.expired());
  ioc.run();
  EXPECT_EQ(log, (std::vector<std::string>{"a", "a", "a"}));
  EXPECT_TRUE(weak.expired());  // let go after its last turn
}

TEST(Deadlines, HoldTheirOwnersUntilTheLoopGoesAway) {
  std::vector<std::string> log;
  std::weak_ptr<item> weak;
  {
    boost::asio::io_context ioc;
    auto a = make(log, "a");
    weak = a;
    deadlines::of(ioc).schedule(*a, clock::now() + 24h, a);
    a.reset();
    ioc.poll();
    EXPECT_FALSE(weak.expired());
  }
  EXPECT_TRUE(weak.expired());
  EXPECT_TRUE(log.empty());
}

TEST(Deadlines, ManyInRandomOrderComeOutSorted) {
  boost::asio::io_context ioc;
  auto& d = deadlines::of(ioc);
  std::vector<std::string> log;
  const auto base = clock::now() - 1h;  // all due
  std::vector<std::shared_ptr<item>> items;
  std::uint32_t x = 12345;
  for (int i = 0; i < 2000; ++i) {
    x = x * 1664525u + 1013904223u;
    items.push_back(make(log, {}));
    const auto at = base + std::chrono::microseconds(x % 100000);
    items.back()->name = std::to_string(at.time_since_epoch().count());
    d.schedule(*items.back(), at, items.back());
    if (i % 7 == 0) {  // and move some of them
      x = x * 1664525u + 1013904223u;
      const auto moved = base + std::chrono::microseconds(x % 100000);
      items.back()->name = std::to_string(moved.time_since_epoch().count());
      d.schedule(*items.back(), moved, items.back());
    }
  }
  for (int i = 0; i < 2000; i += 11) {
    if (d.cancel(*items[i])) items[i]->name = "cancelled";
  }
  std::size_t expected = 0;
  for (const auto& it : items) expected += it->name != "cancelled";
  ioc.run();
  ASSERT_EQ(log.size(), expected);
  for (std::size_t i = 1; i < log.size(); ++i)
    ASSERT_LE(std::stoll(log[i - 1]), std::stoll(log[i])) << i;
}

}  // namespace
}  // namespace chat::detail
