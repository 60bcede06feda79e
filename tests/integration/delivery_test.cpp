// Delivery guarantees over real sockets: store-and-forward, acks and
// redelivery, receipts, dedup, multi-device copies and the inbox bounds.
#include "support/harness.hpp"

#include <thread>

namespace chat::test {
namespace {

using namespace std::chrono_literals;

class Delivery : public ::testing::Test {
 protected:
  explicit Delivery(config c = test_config()) : h(std::move(c)) {}

  void SetUp() override { ASSERT_FALSE(h.start_error()); }

  // A client that acks only when the test says so.
  std::unique_ptr<client> manual(const std::string& user) {
    client_options o = h.options(user, via::ws_json);
    o.auto_ack = false;
    auto c = std::make_unique<client>(o, &h.context());
    const auto ec = c->connect();
    EXPECT_FALSE(ec) << ec.message();
    return ec ? nullptr : std::move(c);
  }

  // The messages that reach `c` before a ping round trip ends.
  static std::vector<v1::Message> messages(client& c) {
    std::vector<v1::Message> out;
    for (auto& f : drain_until_pong(c))
      if (f.has_message()) out.push_back(f.message());
    return out;
  }

  std::int64_t metric(const std::string& name) {
    const std::string text = h.server().metrics_text();
    const auto at = text.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stoll(text.substr(at + name.size() + 2));
  }

  // Waits (bounded) until the metric reaches `want`; the metric's value.
  std::int64_t await_metric(const std::string& name, std::int64_t want) {
    for (int i = 0; i < 500 && metric(name) != want; ++i)
      std::this_thread::sleep_for(10ms);
    return metric(name);
  }

  harness h;
};

TEST_F(Delivery,
       ThousandQueuedArriveInOrderBeforeNewerOnesAndAcksEmptyTheStore) {
  auto alice = h.connect("alice", via::ws_json);
  ASSERT_TRUE(alice);
  constexpr int n = 1000;
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) {
    alice->send("bob", std::to_string(i));
    const auto f = next(*alice);
    ASSERT_TRUE(f.has_sent()) << f.DebugString();
    ASSERT_EQ(f.sent().status(), v1::Sent::QUEUED);
    ids.push_back(f.sent().message_id());
  }
  EXPECT_EQ(metric("chat_messages_stored"), n);

  auto bob = manual("bob");
  ASSERT_TRUE(bob);
  alice->send("bob", "newer");
  ASSERT_EQ(next(*alice).sent().status(), v1::Sent::DELIVERED);
  for (int i = 0; i < n; ++i) {
    const auto f = next(*bob);
    ASSERT_TRUE(f.has_message()) << i;
    ASSERT_EQ(f.message().text(), std::to_string(i));
    ASSERT_EQ(f.message().message_id(), ids[static_cast<std::size_t>(i)]);
  }
  const auto newer = next(*bob);
  ASSERT_TRUE(newer.has_message());
  EXPECT_EQ(newer.message().text(), "newer");

  bob->ack(newer.message().message_id(), /*cumulative=*/true);
  EXPECT_EQ(await_metric("chat_messages_stored", 0), 0);
  EXPECT_EQ(metric("chat_messages_acked_total"), n + 1);
  // Each ack is a DELIVERED receipt for alice, for every one of her sends.
  std::size_t receipts = 0;
  while (receipts < static_cast<std::size_t>(n + 1)) {
    const auto f = next_any(*alice);
    ASSERT_TRUE(f.has_receipt())
        << "after " << receipts << ": " << f.DebugString();
    ASSERT_EQ(f.receipt().status(), v1::Receipt::DELIVERED);
    ASSERT_EQ(f.receipt().by(), "bob");
    if (receipts < static_cast<std::size_t>(n)) {
      ASSERT_EQ(f.receipt().message_id(), ids[receipts]);
    }
    ++receipts;
  }
  // Reconnecting gets nothing: the store forgot what was acked.
  bob.reset();
  ASSERT_TRUE(h.wait_connections("bob", 0));
  auto again = manual("bob");
  ASSERT_TRUE(again);
  EXPECT_TRUE(messages(*again).empty());
}

TEST_F(Delivery, UnackedMessagesAreDeliveredAgainWithTheSameIds) {
  auto alice = h.connect("alice", via::ws_json);
  auto bob = manual("bob");
  ASSERT_TRUE(alice && bob);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    alice->send("bob", "m" + std::to_string(i));
    ids.push_back(next(*alice).sent().message_id());
  }
  const auto got = messages(*bob);
  ASSERT_EQ(got.size(), 5u);
  bob->ack(got[0].message_id());
  bob->ack(got[2].message_id());
  (void)drain_until_pong(*bob);  // the acks are in before the close
  bob->close();
  bob.reset();
  ASSERT_TRUE(h.wait_connections("bob", 0));

  auto back = manual("bob");
  ASSERT_TRUE(back);
  const auto again = messages(*back);
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[0].message_id(), ids[1]);
  EXPECT_EQ(again[1].message_id(), ids[3]);
  EXPECT_EQ(again[2].message_id(), ids[4]);
  EXPECT_EQ(again[0].text(), "m1");
  EXPECT_EQ(metric("chat_messages_redelivered_total"), 3);
}

TEST_F(Delivery, AnAckFromAnotherUserChangesNothing) {
  auto alice = h.connect("alice", via::ws_json);
  auto carol = manual("carol");
  ASSERT_TRUE(alice && carol);
  alice->send("bob", "for bob only");
  const std::string id = next(*alice).sent().message_id();
  carol->ack(id);
  v1::ClientFrame read;
  read.mutable_receipt()->set_message_id(id);
  read.mutable_receipt()->set_status(v1::Receipt::READ);
  carol->send(read);
  (void)drain_until_pong(*carol);
  auto bob = manual("bob");
  ASSERT_TRUE(bob);
  const auto got = messages(*bob);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].message_id(), id);
  EXPECT_TRUE(drain_until_pong(*alice).empty());  // no receipt for carol's
}

TEST_F(Delivery, AResendInsideTheWindowGetsTheOriginalAnswerAndNoSecondCopy) {
  auto bob = h.connect("bob", via::ws_json);
  std::string first_id;
  {
    auto alice = h.connect("alice", via::ws_json);
    ASSERT_TRUE(alice && bob);
    alice->send("bob", "once", "d-1");
    const auto f = next(*alice);
    ASSERT_TRUE(f.has_sent());
    first_id = f.sent().message_id();
  }
  // After a reconnect, as a client that never saw its answer would.
  auto alice = h.connect("alice", via::tcp);
  ASSERT_TRUE(alice);
  alice->send("bob", "once", "d-1");
  const auto f = next(*alice);
  ASSERT_TRUE(f.has_sent()) << f.DebugString();
  EXPECT_EQ(f.sent().message_id(), first_id);
  EXPECT_EQ(f.sent().id(), "d-1");
  EXPECT_EQ(f.sent().status(), v1::Sent::DELIVERED);
  const auto got = messages(*bob);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].message_id(), first_id);
  EXPECT_EQ(metric("chat_sends_deduplicated_total"), 1);
}

TEST_F(Delivery, MessagesAreCopiedToTheSendersOtherDevices) {
  auto phone = h.connect("alice", via::ws_json);
  auto laptop = h.connect("alice", via::tcp);
  auto bob = h.connect("bob", via::ws_proto);
  ASSERT_TRUE(phone && laptop && bob);
  phone->send("bob", "from my phone", "p-1");
  const auto sent = next(*phone);
  ASSERT_TRUE(sent.has_sent());
  const auto copy = next(*laptop);
  ASSERT_TRUE(copy.has_message()) << copy.DebugString();
  EXPECT_TRUE(copy.message().copy());
  EXPECT_EQ(copy.message().id(), "p-1");
  EXPECT_EQ(copy.message().from(), "alice");
  EXPECT_EQ(copy.message().to(), "bob");
  EXPECT_EQ(copy.message().message_id(), sent.sent().message_id());
  const auto got = next(*bob);
  ASSERT_TRUE(got.has_message());
  EXPECT_FALSE(got.message().copy());
  // The phone gets no copy of its own send, only bob's receipt.
  for (const auto& f : drain_until_pong(*phone)) EXPECT_TRUE(f.has_receipt());
}

TEST_F(Delivery, ReceiptsReachTheSenderLiveAndAfterItReconnects) {
  auto alice = h.connect("alice", via::ws_json);
  auto bob = manual("bob");
  ASSERT_TRUE(alice && bob);
  const std::string c1 = alice->send("bob", "one");
  const std::string c2 = alice->send("bob", "two");
  ASSERT_TRUE(next(*alice).has_sent());
  ASSERT_TRUE(next(*alice).has_sent());
  const auto got = messages(*bob);
  ASSERT_EQ(got.size(), 2u);

  bob->ack(got[0].message_id());
  auto r = next_any(*alice);
  ASSERT_TRUE(r.has_receipt()) << r.DebugString();
  EXPECT_EQ(r.receipt().message_id(), got[0].message_id());
  EXPECT_EQ(r.receipt().id(), c1);
  EXPECT_EQ(r.receipt().status(), v1::Receipt::DELIVERED);
  EXPECT_EQ(r.receipt().by(), "bob");
  EXPECT_GT(r.receipt().at().seconds(), 0);
  bob->read(got[0].message_id());
  r = next_any(*alice);
  ASSERT_TRUE(r.has_receipt());
  EXPECT_EQ(r.receipt().status(), v1::Receipt::READ);
  EXPECT_EQ(r.receipt().id(), c1);

  // Alice goes away; bob reads the second message meanwhile.
  alice->close();
  alice.reset();
  ASSERT_TRUE(h.wait_connections("alice", 0));
  bob->read(got[1].message_id());
  (void)drain_until_pong(*bob);
  auto back = h.connect("alice", via::tcp);
  ASSERT_TRUE(back);
  r = next_any(*back);
  ASSERT_TRUE(r.has_receipt()) << r.DebugString();
  EXPECT_EQ(r.receipt().message_id(), got[1].message_id());
  EXPECT_EQ(r.receipt().id(), c2);
  EXPECT_EQ(r.receipt().status(), v1::Receipt::READ);
  // Given once: a second connection does not get it again.
  auto third = h.connect("alice", via::ws_json);
  ASSERT_TRUE(third);
  EXPECT_TRUE(drain_until_pong(*third).empty());
}

TEST_F(Delivery, BadAcksAndReceiptsAreInvalidFrames) {
  auto bob = manual("bob");
  ASSERT_TRUE(bob);
  bob->send_raw(R"({"ack":{}})");
  auto e = next(*bob);
  ASSERT_TRUE(e.has_error());
  EXPECT_EQ(e.error().code(), v1::Error::INVALID_FRAME);
  bob->send_raw(R"({"receipt":{"messageId":"x","status":"DELIVERED"}})");
  e = next(*bob);
  ASSERT_TRUE(e.has_error());
  EXPECT_EQ(e.error().code(), v1::Error::INVALID_FRAME);
  // An ack of an id the server never made is ignored, and answers nothing.
  bob->ack("n-0-0");
  EXPECT_TRUE(drain_until_pong(*bob).empty());
}

config bounded() {
  config c = test_config();
  c.inbox_max_messages = 3;
  c.dedup_max_ids = 2;
  c.dedup_window = 300ms;
  c.message_ttl = 400ms;
  return c;
}

class Bounds : public Delivery {
 protected:
  Bounds() : Delivery(bounded()) {}
};

TEST_F(Bounds, AFullInboxRefusesWithInboxFullAndOtherUsersAreUnaffected) {
  auto alice = h.connect("alice", via::ws_json);
  auto carol = h.connect("carol", via::ws_json);
  ASSERT_TRUE(alice && carol);
  for (int i = 0; i < 3; ++i) {
    alice->send("bob", "q" + std::to_string(i));
    ASSERT_EQ(next(*alice).sent().status(), v1::Sent::QUEUED);
  }
  alice->send("bob", "one too many", "x-4");
  const auto f = next(*alice);
  ASSERT_TRUE(f.has_error()) << f.DebugString();
  EXPECT_EQ(f.error().code(), v1::Error::INBOX_FULL);
  EXPECT_EQ(f.error().id(), "x-4");
  EXPECT_NE(f.error().message().find("bob"), std::string::npos);
  // A refused send is not remembered: once there is room, the same id goes.
  carol->send("alice", "still fine");
  EXPECT_EQ(next(*carol).sent().status(), v1::Sent::DELIVERED);
  EXPECT_EQ(next(*alice).message().text(), "still fine");
  auto bob = h.connect("bob", via::ws_json);  // acks all three
  ASSERT_TRUE(bob);
  ASSERT_EQ(messages(*bob).size(), 3u);
  bob.reset();
  ASSERT_TRUE(h.wait_connections("bob", 0));
  ASSERT_EQ(await_metric("chat_messages_stored", 0), 0);
  alice->send("bob", "one too many", "x-4");
  const auto retry = next(*alice);
  EXPECT_EQ(retry.sent().status(), v1::Sent::QUEUED) << retry.DebugString();
}

TEST_F(Bounds, DedupForgetsBeyondTheLastIdsAndAfterTheWindow) {
  auto alice = h.connect("alice", via::ws_json);
  auto bob = h.connect("bob", via::ws_json);
  ASSERT_TRUE(alice && bob);
  std::size_t delivered = 0;  // bob acks as he goes: the inbox holds 3
  const auto send = [&](const std::string& id) {
    alice->send("bob", "x", id);
    const auto f = next(*alice);
    EXPECT_TRUE(f.has_sent()) << f.DebugString();
    delivered += messages(*bob).size();
    return f.sent().message_id();
  };
  const std::string a = send("a");
  const std::string b = send("b");
  EXPECT_EQ(send("a"), a);  // within the last 2 ids
  (void)send("c");
  EXPECT_EQ(send("b"), b);   // still within the last 2 (b, c)
  EXPECT_NE(send("a"), a);   // 'a' fell out: a new message
  EXPECT_EQ(delivered, 4u);  // a, b, c and the second a

  const std::string d = send("d");
  std::this_thread::sleep_for(350ms);  // past the 300 ms window
  EXPECT_NE(send("d"), d);
  EXPECT_EQ(delivered, 6u);
}

TEST_F(Bounds, MessagesExpireAtTheirTtl) {
  auto alice = h.connect("alice", via::ws_json);
  ASSERT_TRUE(alice);
  alice->send("bob", "stale");
  ASSERT_EQ(next(*alice).sent().status(), v1::Sent::QUEUED);
  std::this_thread::sleep_for(450ms);
  alice->send("bob", "fresh");
  ASSERT_EQ(next(*alice).sent().status(), v1::Sent::QUEUED);
  auto bob = h.connect("bob", via::ws_json);
  ASSERT_TRUE(bob);
  const auto got = messages(*bob);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].text(), "fresh");
  EXPECT_EQ(metric("chat_messages_expired_total"), 1);
}

}  // namespace
}  // namespace chat::test
