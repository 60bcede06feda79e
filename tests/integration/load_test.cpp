// 1,000 clients, each exchanging messages with a partner: every delivery is
// checked for sender, recipient and order, over WebSocket and raw TCP.
#include "support/harness.hpp"

namespace chat::test {
namespace {

class Load : public ::testing::TestWithParam<via> {};

TEST_P(Load, ThousandClientsExchangeWithTheirPartners) {
  constexpr int clients = 1000;
  constexpr int per_client = 20;
  harness h;
  ASSERT_FALSE(h.start_error());
  std::vector<std::unique_ptr<client>> c(clients);
  for (int i = 0; i < clients; ++i) {
    c[i] = h.connect("u" + std::to_string(i), GetParam());
    ASSERT_TRUE(c[i]) << "client " << i;
  }
  // Partner of i is i^1: u0<->u1, u2<->u3, ...
  for (int k = 0; k < per_client; ++k) {
    for (int i = 0; i < clients; ++i) {
      c[i]->send("u" + std::to_string(i ^ 1), std::to_string(k));
    }
  }
  for (int i = 0; i < clients; ++i) {
    const std::string me = "u" + std::to_string(i);
    const std::string partner = "u" + std::to_string(i ^ 1);
    int next_message = 0, sent = 0;
    while (next_message < per_client || sent < per_client) {
      const auto f = next(*c[i], 10s);
      ASSERT_NE(f.frame_case(), v1::ServerFrame::FRAME_NOT_SET)
          << me << " stalled at message " << next_message << ", sent " << sent;
      if (f.has_sent()) {
        ++sent;
        continue;
      }
      ASSERT_TRUE(f.has_message()) << me << ": " << f.DebugString();
      ASSERT_EQ(f.message().from(), partner);
      ASSERT_EQ(f.message().to(), me);
      ASSERT_EQ(f.message().text(), std::to_string(next_message))
          << me << " out of order";
      ++next_message;
    }
    for (const auto& extra : drain_until_pong(*c[i])) {
      EXPECT_TRUE(extra.has_receipt())
          << me << " got more than it was sent: " << extra.ShortDebugString();
    }
  }
  EXPECT_EQ(h.server().connection_count(), static_cast<std::size_t>(clients));
}

INSTANTIATE_TEST_SUITE_P(Transports, Load,
                         ::testing::Values(via::ws_json, via::tcp),
                         [](const auto& p) { return to_string(p.param); });

}  // namespace
}  // namespace chat::test
