// One-to-one chat over every transport: routing, isolation, multi-device,
// connection-id addressing, order, registry cleanup.
#include "support/harness.hpp"

namespace chat::test {
namespace {

class Chat : public ::testing::TestWithParam<via> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(h.start_error()) << h.start_error().message();
  }
  std::unique_ptr<client> connect(const std::string& user) {
    return h.connect(user, GetParam());
  }
  harness h;
};

TEST_P(Chat, AliceAndBobChatBothWays) {
  auto alice = connect("alice");
  auto bob = connect("bob");
  ASSERT_TRUE(alice && bob);
  EXPECT_EQ(alice->user(), "alice");
  EXPECT_FALSE(alice->connection_id().empty());
  EXPECT_NE(alice->connection_id(), bob->connection_id());

  alice->send("bob", "hi bob", "a-1");
  const auto sent = next(*alice);
  ASSERT_TRUE(sent.has_sent()) << sent.DebugString();
  EXPECT_EQ(sent.sent().id(), "a-1");
  EXPECT_EQ(sent.sent().status(), v1::Sent::DELIVERED);

  const auto got = next(*bob);
  ASSERT_TRUE(got.has_message()) << got.DebugString();
  EXPECT_EQ(got.message().from(), "alice");
  EXPECT_EQ(got.message().to(), "bob");
  EXPECT_EQ(got.message().text(), "hi bob");
  EXPECT_EQ(got.message().message_id(), sent.sent().message_id());
  EXPECT_EQ(got.message().from_connection(), alice->connection_id());
  EXPECT_GT(got.message().sent_at().seconds(), 0);

  bob->send("alice", "hi alice", "b-1");
  ASSERT_TRUE(next(*bob).has_sent());
  const auto back = next(*alice);
  ASSERT_TRUE(back.has_message());
  EXPECT_EQ(back.message().from(), "bob");
  EXPECT_EQ(back.message().text(), "hi alice");
}

TEST_P(Chat, CarolConnectedReceivesNothing) {
  auto alice = connect("alice");
  auto bob = connect("bob");
  auto carol = connect("carol");
  ASSERT_TRUE(alice && bob && carol);
  for (int i = 0; i < 20; ++i) {
    alice->send("bob", "to bob " + std::to_string(i));
    bob->send("alice", "to alice " + std::to_string(i));
  }
  // Each side gets its 20 answers and the other's 20 messages; once both have
  // all their answers, every delivery has been handed out, so carol's ping
  // barrier would come after anything misrouted to her.
  for (auto* c : {alice.get(), bob.get()}) {
    for (int i = 0; i < 40; ++i) {
      const auto f = next(*c);
      ASSERT_TRUE(f.has_sent() || f.has_message()) << f.DebugString();
    }
  }
  const auto carol_got = drain_until_pong(*carol);
  EXPECT_TRUE(carol_got.empty()) << carol_got.front().DebugString();
}

TEST_P(Chat, EveryConnectionOfTheRecipientGetsTheMessage) {
  auto alice = connect("alice");
  auto phone = connect("bob");
  auto laptop = connect("bob");
  ASSERT_TRUE(alice && phone && laptop);
  EXPECT_EQ(h.server().connections("bob"), 2u);

  alice->send("bob", "both of you");
  ASSERT_TRUE(next(*alice).has_sent());
  for (auto* device : {phone.get(), laptop.get()}) {
    const auto f = next(*device);
    ASSERT_TRUE(f.has_message()) << f.DebugString();
    EXPECT_EQ(f.message().text(), "both of you");
    EXPECT_EQ(f.message().from(), "alice");
  }
}

TEST_P(Chat, ToConnectionReachesOnlyThatConnection) {
  auto alice = connect("alice");
  auto phone = connect("bob");
  auto laptop = connect("bob");
  ASSERT_TRUE(alice && phone && laptop);

  v1::ClientFrame f;
  f.mutable_send()->set_id("direct");
  f.mutable_send()->set_to_connection(laptop->connection_id());
  f.mutable_send()->set_text("laptop only");
  alice->send(f);
  const auto sent = next(*alice);
  ASSERT_TRUE(sent.has_sent()) << sent.DebugString();
  EXPECT_EQ(sent.sent().id(), "direct");

  const auto got = next(*laptop);
  ASSERT_TRUE(got.has_message());
  EXPECT_EQ(got.message().text(), "laptop only");
  EXPECT_EQ(got.message().to(), "bob");
  EXPECT_TRUE(drain_until_pong(*phone).empty());
}

TEST_P(Chat, UserWithNoConnectionGetsItQueued) {
  auto alice = connect("alice");
  ASSERT_TRUE(alice);
  alice->send("nobody", "anyone there?", "a-9");
  const auto f = next(*alice);
  ASSERT_TRUE(f.has_sent()) << f.DebugString();
  EXPECT_EQ(f.sent().status(), v1::Sent::QUEUED);
  EXPECT_EQ(f.sent().id(), "a-9");
  EXPECT_EQ(h.server().stats().messages_routed, 0u);
}

TEST_P(Chat, DisconnectRemovesTheConnectionFromTheRegistry) {
  auto alice = connect("alice");
  auto bob = connect("bob");
  ASSERT_TRUE(alice && bob);
  const std::string bob_id = bob->connection_id();
  EXPECT_EQ(h.server().connections("bob"), 1u);
  bob->close();
  bob.reset();
  ASSERT_TRUE(h.wait_connections("bob", 0));
  EXPECT_FALSE(h.server().online("bob"));

  alice->send("bob", "still there?", "late");
  const auto f = next(*alice);
  ASSERT_TRUE(f.has_sent()) << f.DebugString();
  EXPECT_EQ(f.sent().status(), v1::Sent::QUEUED);

  v1::ClientFrame direct;
  direct.mutable_send()->set_to_connection(bob_id);
  direct.mutable_send()->set_text("x");
  alice->send(direct);
  const auto g = next(*alice);
  ASSERT_TRUE(g.has_error());
  EXPECT_EQ(g.error().code(), v1::Error::RECIPIENT_OFFLINE);
}

TEST_P(Chat, OrderIsKeptPerSenderAndRecipient) {
  auto alice = connect("alice");
  auto bob = connect("bob");
  ASSERT_TRUE(alice && bob);
  constexpr int n = 500;
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i)
    ids.push_back(alice->send("bob", std::to_string(i)));
  for (int i = 0; i < n; ++i) {
    const auto f = next(*bob);
    ASSERT_TRUE(f.has_message()) << "message " << i;
    ASSERT_EQ(f.message().text(), std::to_string(i));
  }
  for (int i = 0; i < n; ++i) {
    const auto f = next(*alice);
    ASSERT_TRUE(f.has_sent());
    ASSERT_EQ(f.sent().id(), ids[static_cast<std::size_t>(i)]);
  }
}

INSTANTIATE_TEST_SUITE_P(Transports, Chat,
                         ::testing::Values(via::ws_json, via::ws_proto,
                                           via::tcp),
                         [](const auto& p) { return to_string(p.param); });

TEST(ChatMixed, JsonProtobufAndTcpClientsTalkToEachOther) {
  harness h;
  ASSERT_FALSE(h.start_error());
  auto json = h.connect("jay", via::ws_json);
  auto proto = h.connect("paula", via::ws_proto);
  auto tcp = h.connect("tom", via::tcp);
  ASSERT_TRUE(json && proto && tcp);
  const std::vector<std::pair<client*, std::string>> who = {
      {json.get(), "jay"}, {proto.get(), "paula"}, {tcp.get(), "tom"}};
  for (const auto& [from, from_name] : who) {
    for (const auto& [to, to_name] : who) {
      if (from == to) continue;
      from->send(to_name, from_name + "->" + to_name);
      const auto sent = next(*from);
      ASSERT_TRUE(sent.has_sent()) << from_name << ": " << sent.DebugString();
      const auto got = next(*to);
      ASSERT_TRUE(got.has_message()) << to_name;
      EXPECT_EQ(got.message().from(), from_name);
      EXPECT_EQ(got.message().text(), from_name + "->" + to_name);
    }
  }
}

TEST(ChatMixed, BinaryDataCrossesEncodingsIntact) {
  harness h;
  ASSERT_FALSE(h.start_error());
  auto json = h.connect("jay", via::ws_json);
  auto tcp = h.connect("tom", via::tcp);
  ASSERT_TRUE(json && tcp);
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  v1::ClientFrame f;
  f.mutable_send()->set_to("jay");
  f.mutable_send()->set_data(bytes);
  tcp->send(f);
  const auto got = next(*json);
  ASSERT_TRUE(got.has_message());
  EXPECT_EQ(got.message().data(), bytes);  // base64 in JSON, bytes again here
}

TEST(ChatInproc, EndpointsAndSocketClientsShareOneRouter) {
  harness h;
  ASSERT_FALSE(h.start_error());
  auto bot = h.server().attach("bot");
  ASSERT_TRUE(bot);
  auto alice = h.connect("alice", via::ws_json);
  ASSERT_TRUE(alice);
  const auto answer = bot->send("alice", "hello from the bot", "bot-1");
  ASSERT_TRUE(answer.has_sent()) << answer.DebugString();
  const auto got = next(*alice);
  ASSERT_TRUE(got.has_message());
  EXPECT_EQ(got.message().from(), "bot");
  EXPECT_EQ(got.message().from_connection(), bot->id());

  alice->send("bot", "hi bot");
  auto at_bot = bot->receive(5s);
  if (at_bot && at_bot->has_receipt()) at_bot = bot->receive(5s);
  ASSERT_TRUE(at_bot && at_bot->has_message());
  EXPECT_EQ(at_bot->message().text(), "hi bot");
  EXPECT_EQ(at_bot->message().from(), "alice");

  bot->close();
  EXPECT_FALSE(h.server().online("bot"));
  EXPECT_EQ(bot->send("alice", "after close").error().code(),
            v1::Error::UNAVAILABLE);
  EXPECT_EQ(h.server().attach("not valid"), nullptr);
}

}  // namespace
}  // namespace chat::test
