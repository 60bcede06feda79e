// Production limits, each attacked: the rate limit (flood), the bounded
// send queue (a reader that stops reading), the connection lifetime, the
// handshake deadline (slowloris) and the config check. Every test also
// shows that the other users were not disturbed.
#include "support/harness.hpp"
#include "support/raw_socket.hpp"
#include "support/ws_raw.hpp"

#include <vector>

namespace chat::test {
namespace {

// The text of the next message to `c`, past answers and receipts.
std::string next_message(client& c) {
  for (;;) {
    const auto f = next(c);
    if (f.has_message()) return f.message().text();
    if (f.frame_case() == v1::ServerFrame::FRAME_NOT_SET) return "(none)";
  }
}

// A fresh pair exchanges `n` messages each way; every one arrives. (Fresh
// names: a last ack may not have reached the server before a client goes,
// and would be delivered again to the same user.)
void expect_pair_chats(harness& h, int n = 20) {
  static int pairs = 0;
  const std::string tag = std::to_string(++pairs);
  auto bob = h.connect("bob" + tag, via::ws_proto);
  auto carol = h.connect("carol" + tag, via::tcp);
  ASSERT_TRUE(bob && carol);
  for (int i = 0; i < n; ++i) {
    bob->send("carol" + tag, "b" + std::to_string(i));
    carol->send("bob" + tag, "c" + std::to_string(i));
  }
  for (int i = 0; i < n; ++i) {
    const auto to_carol = next_message(*carol);
    const auto to_bob = next_message(*bob);
    ASSERT_EQ(to_carol, "b" + std::to_string(i));
    ASSERT_EQ(to_bob, "c" + std::to_string(i));
  }
}

config limited() {
  config c = test_config();
  c.rate_limit = 50;
  c.rate_burst = 20;
  return c;
}

// ---- config check ----

TEST(Limits, RateWithoutBurstIsAConfigError) {
  config c = test_config();
  c.rate_limit = 10;
  EXPECT_EQ(check(c),
            "rate_limit and rate_burst must be set together: both above 0, "
            "or both 0 (off)");
  server s(c);
  EXPECT_EQ(s.start(), std::make_error_code(std::errc::invalid_argument));
  c.rate_limit = 0;
  c.rate_burst = 10;
  EXPECT_FALSE(check(c).empty());
  c.rate_limit = 10;
  EXPECT_EQ(check(c), "");
  c.max_send_queue_bytes = c.max_message_bytes - 1;
  EXPECT_EQ(check(c),
            "max_send_queue_bytes must be at least max_message_bytes, or one "
            "message could never be queued");
}

// ---- flood ----

class Flood : public ::testing::TestWithParam<via> {};

// A client sending as fast as it can gets RATE_LIMITED (with its send's id)
// once the burst is spent, then close 1008; the pair next to it chats on.
TEST_P(Flood, IsRateLimitedThenClosed1008) {
  harness h(limited());
  ASSERT_FALSE(h.start_error());
  auto mallory = h.connect("mallory", GetParam());
  ASSERT_TRUE(mallory);
  for (int i = 0; i < 2000 && !mallory->closed(); ++i)
    mallory->send("nobody", "x", "f" + std::to_string(i));
  ASSERT_TRUE(mallory->wait_closed(10s));
  EXPECT_EQ(mallory->closed_by().code, 1008);
  EXPECT_EQ(mallory->closed_by().reason, "rate limit exceeded");
  // Every send it made before the close has one answer, in order: sent
  // while tokens last (the burst, and refills), RATE_LIMITED after; the
  // last `rate_burst` answers are refusals in a row.
  std::vector<v1::ServerFrame> answers;
  while (auto f = mallory->receive(0ms)) {
    if (f->has_sent() || f->has_error()) answers.push_back(std::move(*f));
  }
  ASSERT_GE(answers.size(), 40u);
  int limited = 0;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    const auto& f = answers[i];
    const std::string id = f.has_sent() ? f.sent().id() : f.error().id();
    ASSERT_EQ(id, "f" + std::to_string(i)) << f.DebugString();
    if (i < 20) {
      EXPECT_TRUE(f.has_sent()) << "within the burst: " << i;
    }
    if (f.has_error()) {
      EXPECT_EQ(f.error().code(), v1::Error::RATE_LIMITED);
      ++limited;
    }
    if (i + 20 >= answers.size()) {
      EXPECT_TRUE(f.has_error()) << i;
    }
  }
  EXPECT_GE(limited, 20);
  ASSERT_TRUE(h.wait_connections("mallory", 0));
  expect_pair_chats(h);
}

INSTANTIATE_TEST_SUITE_P(Transports, Flood,
                         ::testing::Values(via::ws_json, via::tcp),
                         [](const auto& p) { return to_string(p.param); });

// Acks, receipts and pings answer what the server sent: a receiver acking
// far more than its rate is never throttled.
TEST(Limits, AcksAndPingsAreNotRateLimited) {
  config c = test_config();
  c.rate_limit = 1;
  c.rate_burst = 2;
  harness h(c);
  ASSERT_FALSE(h.start_error());
  auto dave = h.connect("dave", via::ws_json);  // acks each message
  ASSERT_TRUE(dave);
  std::vector<std::unique_ptr<client>> senders;
  for (int s = 0; s < 10; ++s) {
    senders.push_back(h.connect("s" + std::to_string(s), via::tcp));
    ASSERT_TRUE(senders.back());
    senders.back()->send("dave", "one");
    senders.back()->send("dave", "two");
  }
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(next(*dave).has_message());
  for (int i = 0; i < 20; ++i) {
    v1::ClientFrame ping;
    ping.mutable_ping()->set_id("p" + std::to_string(i));
    dave->send(ping);
  }
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(next(*dave).pong().id(), "p" + std::to_string(i));
  EXPECT_FALSE(dave->closed());
  // Each sender got its 20 receipts' worth of DELIVERED answers too.
  EXPECT_EQ(h.server().connections("dave"), 1u);
}

// ---- slow reader ----

class SlowReader : public ::testing::TestWithParam<via> {};

// Connects `user` over raw bytes with a tiny receive buffer and never reads.
std::unique_ptr<ws_raw> stalled_reader(harness& h, via v,
                                       const std::string& user) {
  if (v == via::tcp) {
    auto s = std::make_unique<ws_raw>(h.server().tcp_port(), 4096);
    v1::ClientFrame hello;
    hello.mutable_hello()->set_user(user);
    std::string out;
    append_delimited(out, hello.SerializeAsString());
    s->write(out);
    return s;
  }
  auto s = std::make_unique<ws_raw>(h.server().port(), 4096);
  EXPECT_TRUE(s->upgrade("/ws?user=" + user));
  return s;
}

// The close code the stalled reader finally reads: a close frame on ws,
// a Close frame on tcp, past everything queued before it.
unsigned final_close_code(ws_raw& s, via v) {
  if (v != via::tcp) return s.close_code();
  delimited_reader reader(1 << 20);
  std::string_view payload;
  char buf[16384];
  for (;;) {
    while (reader.next(payload) == delimited_reader::status::frame) {
      v1::ServerFrame f;
      f.ParseFromArray(payload.data(), static_cast<int>(payload.size()));
      if (f.has_close()) return f.close().code();
    }
    const auto n = ::recv(s.socket().native_handle(), buf, sizeof buf, 0);
    if (n <= 0) return 1006;
    reader.feed({buf, static_cast<std::size_t>(n)});
  }
}

// A reader that stops reading is cut off once its queue passes the bound,
// with 1013; alice and the others chat on; when it comes back, every
// message sent to it is delivered, in order.
TEST_P(SlowReader, IsCutOffAtTheQueueBoundAndGetsEverythingLater) {
  config c = test_config();
  c.max_message_bytes = 16 * 1024;
  c.max_send_queue_bytes = 64 * 1024;
  c.write_timeout = 20s;
  harness h(c);
  ASSERT_FALSE(h.start_error());
  auto slow = stalled_reader(h, GetParam(), "slow");
  ASSERT_TRUE(h.wait_connections("slow", 1));
  auto alice = h.connect("alice", via::ws_proto);
  ASSERT_TRUE(alice);
  const std::string body(4096, 'z');
  int sent = 0;
  // Loopback buffers take a few MiB before the queue grows; bounded by count.
  while (sent < 4000 && h.server().connections("slow") == 1) {
    for (int i = 0; i < 50; ++i, ++sent)
      alice->send("slow", std::to_string(sent) + ":" + body);
    drain_until_pong(*alice);  // paced by the server's answers
  }
  ASSERT_TRUE(h.wait_connections("slow", 0)) << "not cut off after " << sent;
  EXPECT_EQ(final_close_code(*slow, GetParam()), 1013u);
  expect_pair_chats(h);
  // Back, and reading: all of it, in order (none was acked).
  auto back = h.connect("slow", via::ws_json);
  ASSERT_TRUE(back);
  for (int i = 0; i < sent; ++i) {
    const auto text = next_message(*back);
    ASSERT_EQ(text.substr(0, text.find(':')), std::to_string(i));
  }
}

INSTANTIATE_TEST_SUITE_P(Transports, SlowReader,
                         ::testing::Values(via::ws_json, via::tcp),
                         [](const auto& p) { return to_string(p.param); });

// ---- lifetime ----

TEST(Limits, MaxLifetimeClosesWith1001) {
  config c = test_config();
  c.max_connection_lifetime = 500ms;
  harness h(c);
  ASSERT_FALSE(h.start_error());
  auto ws = h.connect("old_ws", via::ws_json);
  auto tcp = h.connect("old_tcp", via::tcp);
  ASSERT_TRUE(ws && tcp);
  for (auto* cl : {ws.get(), tcp.get()}) {
    ASSERT_TRUE(cl->wait_closed(10s));
    EXPECT_EQ(cl->closed_by().code, 1001);
    EXPECT_EQ(cl->closed_by().reason, "max connection lifetime");
  }
}

// ---- slowloris ----

// Hundreds of connections trickling the upgrade a byte at a time are closed
// at the handshake deadline while others keep chatting.
TEST(Limits, SlowlorisIsClosedAtTheHandshakeDeadline) {
  config c = test_config();
  c.handshake_timeout = 1s;
  harness h(c);
  ASSERT_FALSE(h.start_error());
  const std::string request = upgrade_request("/ws?user=loris");
  std::vector<std::unique_ptr<ws_raw>> loris;
  for (int i = 0; i < 300; ++i)
    loris.push_back(std::make_unique<ws_raw>(h.server().port()));
  // A byte a round; the request never completes within the deadline. A
  // write fails once the server has closed (the first after it resets).
  bool all_closed = false;
  for (std::size_t round = 0; round < 60 && !all_closed; ++round) {
    all_closed = true;
    for (auto& s : loris)
      all_closed = !s->write(request.substr(round, 1)) && all_closed;
    if (round == 2) expect_pair_chats(h, 5);
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(all_closed);
  for (auto& s : loris) EXPECT_EQ(s->close_code(), 1006u);
  expect_pair_chats(h);
}

// Connections that send nothing are closed at the handshake deadline (they
// wait for their request without a read pending); one whose request comes
// late, but in time, is upgraded; others keep chatting.
TEST(Limits, SilentConnectionsAreClosedAtTheHandshakeDeadline) {
  config c = test_config();
  c.handshake_timeout = 1s;
  harness h(c);
  ASSERT_FALSE(h.start_error());
  std::vector<std::unique_ptr<ws_raw>> silent;
  for (int i = 0; i < 200; ++i)
    silent.push_back(std::make_unique<ws_raw>(h.server().port()));
  ws_raw late(h.server().port());
  std::this_thread::sleep_for(400ms);
  EXPECT_TRUE(late.upgrade("/ws?user=late")) << late.status();
  expect_pair_chats(h, 5);
  // Each read ends when the server closes (1006: no close frame), within
  // the reader's 10 s timeout (0: still open).
  for (auto& s : silent) EXPECT_EQ(s->close_code(), 1006u);
  expect_pair_chats(h);
}

// ---- per-address caps ----

// The answer to an upgrade on a fresh connection: its status line.
std::string upgrade_status(std::uint16_t port, const std::string& user) {
  ws_raw s(port);
  s.upgrade("/ws?user=" + user);
  return s.status();
}

TEST(Limits, ConcurrentConnectionsPerAddressAreCapped) {
  config c = test_config();
  c.max_connections_per_ip = 3;
  harness h(c);
  ASSERT_FALSE(h.start_error());
  std::vector<std::unique_ptr<client>> ws, tcp;
  for (int i = 0; i < 3; ++i) {
    ws.push_back(h.connect("w" + std::to_string(i), via::ws_json));
    tcp.push_back(h.connect("t" + std::to_string(i), via::tcp));
    ASSERT_TRUE(ws.back() && tcp.back());
  }
  EXPECT_EQ(upgrade_status(h.server().port(), "w3"),
            "HTTP/1.1 429 Too Many Requests");
  raw_socket refused(h.server().tcp_port());
  v1::ClientFrame hello;
  hello.mutable_hello()->set_user("t3");
  refused.write_frame(hello);
  EXPECT_EQ(refused.read_frame(), std::nullopt);  // closed, no welcome
  // Those already in chat on.
  ws[0]->send("t0", "fine");
  EXPECT_EQ(next_message(*tcp[0]), "fine");
  // A place freed is a place to take (once the server has seen it go).
  ws[2]->close();
  ASSERT_TRUE(h.wait_connections("w2", 0));
  std::unique_ptr<client> again;
  for (int i = 0; i < 100 && !again; ++i) {
    auto cl =
        std::make_unique<client>(h.options("w4", via::ws_json), &h.context());
    if (!cl->connect())
      again = std::move(cl);
    else
      std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(again);
}

TEST(Limits, NewConnectionsPerSecondPerAddressAreCapped) {
  config c = test_config();
  c.connect_rate_per_ip = 3;
  harness h(c);
  ASSERT_FALSE(h.start_error());
  // Twenty upgrades as fast as they go: the first three within the second
  // pass, and some of the rest are refused.
  std::vector<std::string> statuses;
  for (int i = 0; i < 20; ++i)
    statuses.push_back(
        upgrade_status(h.server().port(), "r" + std::to_string(i)));
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(statuses[i], "HTTP/1.1 101 Switching Protocols") << i;
  EXPECT_EQ(statuses[3], "HTTP/1.1 429 Too Many Requests");
}

}  // namespace
}  // namespace chat::test
