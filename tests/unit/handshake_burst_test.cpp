// Unit tests of handshake_burst: the allocator's free memory is released
// once per burst of upgrades, when the last HTTP session in progress ends.
#include "transport/handshake_burst.hpp"

#include <gtest/gtest.h>

namespace chat::detail {
namespace {

constexpr std::size_t burst = handshake_burst::burst;

TEST(HandshakeBurst, ReleasesOnceWhenABurstIsOver) {
  handshake_burst b;
  for (std::size_t i = 0; i < burst + 10; ++i) b.started();
  for (std::size_t i = 0; i + 1 < burst + 10; ++i) b.finished(true);
  EXPECT_EQ(b.releases(), 0u);  // one still in progress
  b.finished(true);
  EXPECT_EQ(b.releases(), 1u);
}

TEST(HandshakeBurst, AFewHandshakesAtATimeAddUpToABurst) {
  handshake_burst b;
  for (std::size_t i = 0; i + 1 < burst; ++i) {
    b.started();
    b.finished(true);
  }
  EXPECT_EQ(b.releases(), 0u);  // one short of a burst
  b.started();
  b.finished(true);
  EXPECT_EQ(b.releases(), 1u);
  b.started();
  b.finished(true);
  EXPECT_EQ(b.releases(), 1u);  // counting starts again
}

TEST(HandshakeBurst, NothingWhileHandshakesOverlapWithoutEnd) {
  handshake_burst b;
  b.started();  // a long one: a keep-alive HTTP client
  for (std::size_t i = 0; i < 3 * burst; ++i) {
    b.started();
    b.finished(true);
  }
  EXPECT_EQ(b.releases(), 0u);
  b.finished(true);
  EXPECT_EQ(b.releases(), 1u);
}

TEST(HandshakeBurst, PlainHttpRequestsAreNoBurst) {
  handshake_burst b;
  for (std::size_t i = 0; i < 3 * burst; ++i) {
    b.started();
    b.finished(false);  // a health check, a scrape
  }
  EXPECT_EQ(b.releases(), 0u);
  for (std::size_t i = 0; i < burst; ++i) {
    b.started();
    b.finished(true);
  }
  EXPECT_EQ(b.releases(), 1u);
}

}  // namespace
}  // namespace chat::detail
