// Starting, stopping and hooks: graceful shutdown flushes what is queued and
// closes with 1001; start errors are reported; hooks see connects.
#include "support/harness.hpp"

#include <atomic>
#include <mutex>
#include <tuple>

namespace chat::test {
namespace {

TEST(Lifecycle, GracefulStopDeliversWhatWasQueuedThenCloses1001) {
  harness h;
  ASSERT_FALSE(h.start_error());
  auto alice = h.connect("alice", via::ws_json);
  auto bob = h.connect("bob", via::ws_proto);
  auto tom = h.connect("tom", via::tcp);
  ASSERT_TRUE(alice && bob && tom);

  // Big messages, so that bob's and tom's write queues are still full when
  // the stop begins.
  constexpr int n = 200;
  const std::string body(60 * 1024, 'q');
  for (int i = 0; i < n; ++i) {
    alice->send("bob", std::to_string(i) + body);
    alice->send("tom", std::to_string(i) + body);
  }
  for (int i = 0; i < 2 * n; ++i) ASSERT_TRUE(next(*alice).has_sent()) << i;
  h.server().stop();

  for (auto* c : {bob.get(), tom.get()}) {
    for (int i = 0; i < n; ++i) {
      const auto f = next(*c);
      ASSERT_TRUE(f.has_message()) << "message " << i << " lost in the stop";
      ASSERT_EQ(f.message().text(), std::to_string(i) + body);
    }
    ASSERT_TRUE(c->wait_closed(5s));
    EXPECT_EQ(c->closed_by().code, 1001);
  }
  ASSERT_TRUE(alice->wait_closed(5s));
  EXPECT_EQ(alice->closed_by().code, 1001);
  EXPECT_EQ(alice->closed_by().reason, "going away");
}

TEST(Lifecycle, StopIsIdempotentAndRefusesNewConnections) {
  harness h;
  ASSERT_FALSE(h.start_error());
  const auto port = h.server().port();
  h.server().stop();
  h.server().stop();
  client late(h.options("late", via::ws_json), &h.context());
  EXPECT_TRUE(late.connect());
  EXPECT_EQ(h.server().attach("bot"), nullptr);
  (void)port;
}

TEST(Lifecycle, BusyPortIsAStartError) {
  harness first;
  ASSERT_FALSE(first.start_error());
  config c = test_config();
  c.listen = "127.0.0.1:" + std::to_string(first.server().port());
  c.tcp_listen.clear();
  chat::server second(c);
  const auto ec = second.start();
  EXPECT_EQ(ec, std::errc::address_in_use) << ec.message();
  EXPECT_EQ(second.port(), 0);
}

TEST(Lifecycle, BadListenAddressIsAStartError) {
  for (const char* addr :
       {"nonsense", "127.0.0.1:", "127.0.0.1:99999", ":80"}) {
    config c = test_config();
    c.listen = addr;
    chat::server s(c);
    EXPECT_TRUE(s.start()) << addr;
  }
}

TEST(Lifecycle, TcpOnlyAndWebSocketOnly) {
  config c = test_config();
  c.listen.clear();
  harness tcp_only(c);
  ASSERT_FALSE(tcp_only.start_error());
  EXPECT_EQ(tcp_only.server().port(), 0);
  EXPECT_NE(tcp_only.server().tcp_port(), 0);
  EXPECT_TRUE(tcp_only.connect("a", via::tcp));

  harness ws_only([] {
    config d = test_config();
    d.tcp_listen.clear();
    return d;
  }());
  ASSERT_FALSE(ws_only.start_error());
  EXPECT_EQ(ws_only.server().tcp_port(), 0);
  EXPECT_TRUE(ws_only.connect("a", via::ws_json));
}

TEST(Lifecycle, HooksSeeConnectAndDisconnectAndMayThrow) {
  std::atomic<int> connects{0}, disconnects{0};
  std::mutex mu;
  std::vector<std::string> errors;
  config c = test_config();
  c.hooks.on_connect = [&](const connection& conn) {
    ++connects;
    if (conn.user() == "thrower") throw std::runtime_error("boom");
  };
  c.hooks.on_disconnect = [&](const connection&) { ++disconnects; };
  c.hooks.log = [&](log_level l, std::string_view text) {
    std::lock_guard lock(mu);
    if (l == log_level::error) errors.emplace_back(text);
  };
  harness h(c);
  ASSERT_FALSE(h.start_error());
  auto a = h.connect("alice", via::ws_json);
  auto t = h.connect("thrower", via::tcp);
  ASSERT_TRUE(a && t);
  EXPECT_EQ(connects.load(), 2);
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("boom"), std::string::npos) << errors[0];
  }
  // The throwing hook did not cost the connection anything.
  t->send("alice", "I am fine");
  EXPECT_TRUE(next(*t).has_sent());
  EXPECT_EQ(next(*a).message().text(), "I am fine");

  a->close();
  ASSERT_TRUE(h.wait_connections("alice", 0));
  // The hook runs just after the registry lets go of the connection.
  EXPECT_TRUE(harness::eventually([&] { return disconnects.load() >= 1; }));
  EXPECT_EQ(disconnects.load(), 1);
}

TEST(Hooks, AuthenticateMapsTokensToUsersAndRefusesWithTheHookStatus) {
  config c = test_config();
  c.hooks.authenticate = [](const handshake& hs) {
    if (hs.token == "secret-alice") return auth_result::accept("alice");
    if (hs.token == "boom") throw std::runtime_error("hook failure");
    if (hs.token.empty()) return auth_result::refuse(401, "token required");
    return auth_result::refuse(403, "bad token");
  };
  harness h(c);
  ASSERT_FALSE(h.start_error());

  auto opts = h.options("", via::ws_json);
  opts.url += "?token=secret-alice";
  client alice(opts, &h.context());
  ASSERT_FALSE(alice.connect());
  EXPECT_EQ(alice.user(), "alice");  // the hook's user, not a claimed one

  for (const auto& [token, status, reason] :
       std::vector<std::tuple<std::string, int, std::string>>{
           {"", 401, "token required"},
           {"nope", 403, "bad token"},
           {"boom", 403, "authentication failed"}}) {
    auto o = h.options("mallory", via::ws_json);
    if (!token.empty()) o.url += "?token=" + token;
    client c2(o, &h.context());
    EXPECT_TRUE(c2.connect()) << token;
    EXPECT_EQ(c2.closed_by().code, status) << token;
    EXPECT_NE(c2.closed_by().reason.find(reason), std::string::npos)
        << c2.closed_by().reason;
  }

  // Raw TCP: the hello carries the token.
  auto tcp =
      std::make_unique<client>(h.options("whoever", via::tcp), &h.context());
  EXPECT_TRUE(tcp->connect());  // no token: refused
  // connect() returns on the error frame; the close frame follows it.
  ASSERT_TRUE(tcp->wait_closed(5s));
  EXPECT_EQ(tcp->closed_by().code, 1008);
  EXPECT_FALSE(h.server().online("whoever"));
}

TEST(Hooks, OnMessageVetoRejectsAndTheRecipientGetsNothing) {
  config c = test_config();
  c.hooks.on_message = [](const v1::Message& m) {
    if (m.text() == "explode") throw std::runtime_error("moderator crashed");
    return m.text().find("spam") == std::string::npos;
  };
  harness h(c);
  ASSERT_FALSE(h.start_error());
  auto alice = h.connect("alice", via::ws_json);
  auto bob = h.connect("bob", via::tcp);
  ASSERT_TRUE(alice && bob);

  alice->send("bob", "buy spam now", "s-1");
  const auto refused = next(*alice);
  ASSERT_TRUE(refused.has_error()) << refused.DebugString();
  EXPECT_EQ(refused.error().code(), v1::Error::REJECTED);
  EXPECT_EQ(refused.error().id(), "s-1");
  alice->send("bob", "explode", "s-2");
  EXPECT_EQ(next(*alice).error().code(), v1::Error::REJECTED);
  EXPECT_TRUE(drain_until_pong(*bob).empty());

  alice->send("bob", "a fine message", "s-3");
  ASSERT_TRUE(next(*alice).has_sent());
  EXPECT_EQ(next(*bob).message().text(), "a fine message");
}

TEST(Lifecycle, StopClosesWithTheConfiguredCode) {
  config c = test_config();
  c.shutdown_close_code = close_code::service_restart;
  harness h(c);
  ASSERT_FALSE(h.start_error());
  auto ws = h.connect("alice", via::ws_json);
  auto tcp = h.connect("bob", via::tcp);
  ASSERT_TRUE(ws && tcp);
  ASSERT_TRUE(h.wait_connections("bob", 1));
  h.server().stop();
  for (auto* cl : {ws.get(), tcp.get()}) {
    ASSERT_TRUE(cl->wait_closed(5s));
    EXPECT_EQ(cl->closed_by().code, 1012);
    EXPECT_EQ(cl->closed_by().reason, "service restart");
  }
}

}  // namespace
}  // namespace chat::test
