// The server facade used by embedders and the Python bindings: speaking as a
// service user, disconnecting, counters, and tokens from the client.
#include "support/harness.hpp"

#include <atomic>
#include <mutex>
#include <string>

namespace chat::test {
namespace {

v1::Send text_to(const std::string& to, const std::string& text,
                 const std::string& id = "s-1") {
  v1::Send s;
  s.set_id(id);
  s.set_to(to);
  s.set_text(text);
  return s;
}

TEST(Facade, SendSpeaksAsAServiceUser) {
  harness h;
  ASSERT_FALSE(h.start_error());
  auto bob = h.connect("bob", via::ws_json);
  ASSERT_TRUE(bob);

  const auto answer = h.server().send("system", text_to("bob", "welcome"));
  ASSERT_TRUE(answer.has_sent()) << answer.ShortDebugString();
  EXPECT_EQ(answer.sent().id(), "s-1");
  const auto f = next(*bob);
  ASSERT_TRUE(f.has_message());
  EXPECT_EQ(f.message().from(), "system");
  EXPECT_EQ(f.message().text(), "welcome");
  EXPECT_TRUE(f.message().from_connection().empty());
}

TEST(Facade, ServiceSendsAreCountedLikeAnyOther) {
  harness h;
  ASSERT_FALSE(h.start_error());
  auto bob = h.connect("bob", via::tcp);
  ASSERT_TRUE(bob);
  ASSERT_TRUE(h.server().send("system", text_to("bob", "hi")).has_sent());
  v1::Send gone;
  gone.set_to_connection("no-such-connection");
  gone.set_text("hi");
  ASSERT_TRUE(h.server().send("system", gone).has_error());
  const std::string text = h.server().metrics_text();
  EXPECT_NE(text.find("chat_sends_total{outcome=\"ACCEPTED\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("chat_sends_total{outcome=\"RECIPIENT_OFFLINE\"} 1\n"),
            std::string::npos)
      << text;
}

TEST(Facade, SendReportsRoutingErrors) {
  harness h;
  ASSERT_FALSE(h.start_error());
  auto offline = h.server().send("system", text_to("nobody", "hi"));
  ASSERT_TRUE(offline.has_sent()) << offline.ShortDebugString();
  EXPECT_EQ(offline.sent().status(), v1::Sent::QUEUED);
  auto self = h.server().send("system", text_to("system", "hi", "s-2"));
  ASSERT_TRUE(self.has_error());
  EXPECT_EQ(self.error().code(), v1::Error::INVALID_RECIPIENT);
  auto bad_sender = h.server().send("not a name", text_to("bob", "hi"));
  ASSERT_TRUE(bad_sender.has_error());
  EXPECT_EQ(bad_sender.error().code(), v1::Error::INVALID_FRAME);
  h.server().stop();
  auto stopped = h.server().send("system", text_to("bob", "hi"));
  ASSERT_TRUE(stopped.has_error());
  EXPECT_EQ(stopped.error().code(), v1::Error::UNAVAILABLE);
}

TEST(Facade, DisconnectByUserClosesEveryConnectionWith1008) {
  harness h;
  ASSERT_FALSE(h.start_error());
  auto a1 = h.connect("alice", via::ws_json);
  auto a2 = h.connect("alice", via::tcp);
  auto bob = h.connect("bob", via::ws_proto);
  ASSERT_TRUE(a1 && a2 && bob);
  ASSERT_TRUE(h.wait_connections("alice", 2));

  EXPECT_EQ(h.server().disconnect("alice"), 2u);
  for (auto* c : {a1.get(), a2.get()}) {
    ASSERT_TRUE(c->wait_closed(5s));
    EXPECT_EQ(c->closed_by().code, 1008);
    EXPECT_EQ(c->closed_by().reason, "disconnected by the server");
  }
  EXPECT_TRUE(h.wait_connections("alice", 0));
  EXPECT_FALSE(bob->closed());
  EXPECT_EQ(h.server().disconnect("nobody"), 0u);
}

TEST(Facade, DisconnectByConnectionIdClosesOnlyThatOne) {
  harness h;
  ASSERT_FALSE(h.start_error());
  auto a1 = h.connect("alice", via::ws_json);
  auto a2 = h.connect("alice", via::ws_json);
  ASSERT_TRUE(a1 && a2);
  EXPECT_EQ(h.server().disconnect(a1->connection_id()), 1u);
  ASSERT_TRUE(a1->wait_closed(5s));
  EXPECT_TRUE(h.wait_connections("alice", 1));
  EXPECT_FALSE(a2->closed());

  auto bot = h.server().attach("bot");
  ASSERT_TRUE(bot);
  EXPECT_EQ(h.server().disconnect(bot->id()), 1u);
  EXPECT_FALSE(h.server().online("bot"));
  EXPECT_TRUE(bot->closed());
}

TEST(Facade, StatsCountConnectionsAndRoutedMessages) {
  config c = test_config();
  c.threads = 3;
  harness h(c);
  ASSERT_FALSE(h.start_error());
  auto alice = h.server().attach("alice");
  auto bob = h.server().attach("bob");
  ASSERT_TRUE(alice && bob);
  EXPECT_EQ(h.server().stats().connections, 2u);
  EXPECT_EQ(h.server().stats().threads, 3u);
  EXPECT_EQ(h.server().stats().messages_routed, 0u);
  ASSERT_TRUE(alice->send("bob", "one").has_sent());
  ASSERT_TRUE(h.server().send("system", text_to("bob", "two")).has_sent());
  const auto queued = alice->send("nobody", "later");
  ASSERT_TRUE(queued.has_sent());
  EXPECT_EQ(queued.sent().status(), v1::Sent::QUEUED);
  EXPECT_EQ(h.server().stats().messages_routed, 2u);  // the queued one is not
}

TEST(Facade, ClientTokenReachesTheAuthenticateHook) {
  std::mutex mu;
  std::vector<std::string> tokens;
  config c = test_config();
  c.hooks.authenticate = [&](const handshake& hs) {
    std::lock_guard lock(mu);
    tokens.emplace_back(hs.token);
    return hs.token == "s3cret &=" ? auth_result::accept(std::string(hs.user))
                                   : auth_result::refuse(401, "bad token");
  };
  harness h(c);
  ASSERT_FALSE(h.start_error());
  for (const via v : {via::ws_json, via::tcp}) {
    auto opts = h.options("alice", v);
    opts.token = "s3cret &=";
    client good(opts, &h.context());
    EXPECT_FALSE(good.connect()) << to_string(v);
    opts.token = "wrong";
    client bad(opts, &h.context());
    EXPECT_TRUE(bad.connect()) << to_string(v);
  }
  std::lock_guard lock(mu);
  EXPECT_EQ(tokens, (std::vector<std::string>{"s3cret &=", "wrong",
                                              "s3cret &=", "wrong"}));
}

}  // namespace
}  // namespace chat::test
