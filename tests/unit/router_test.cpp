// Unit tests of the router: who gets a message, what the sender is answered,
// and the frames `handle()` answers, all over fake connections.
#include <chat/router.hpp>

#include "core/answers.hpp"
#include "core/clock.hpp"
#include "support/fake_connection.hpp"

#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace chat {
namespace {

using test::fake_connection;
using test::make_fake;
using fake_ptr = std::shared_ptr<fake_connection>;

v1::Send text_to(std::string to, std::string text, std::string id = "c-1") {
  v1::Send s;
  s.set_id(std::move(id));
  s.set_to(std::move(to));
  s.set_text(std::move(text));
  return s;
}

v1::Send text_to_connection(std::string conn, std::string text,
                            std::string id = "c-1") {
  v1::Send s;
  s.set_id(std::move(id));
  s.set_to_connection(std::move(conn));
  s.set_text(std::move(text));
  return s;
}

sender as(const connection& c) { return {c.user(), c.id()}; }

// alice (a1), bob on two devices (b1, b2), carol (c1), all registered.
class chat_room {
 public:
  chat_room() {
    for (const auto& c : {alice, bob1, bob2, carol}) {
      EXPECT_TRUE(reg.add(c));
    }
  }

  v1::ServerFrame send(const connection& from, v1::Send s) {
    return router.route(as(from), s);
  }

  registry reg;
  chat::router router{reg};
  fake_ptr alice = make_fake("a1", "alice");
  fake_ptr bob1 = make_fake("b1", "bob");
  fake_ptr bob2 = make_fake("b2", "bob");
  fake_ptr carol = make_fake("c1", "carol");
};

void expect_error(const v1::ServerFrame& answer, v1::Error::Code code,
                  const std::string& id = "c-1") {
  ASSERT_TRUE(answer.has_error()) << answer.ShortDebugString();
  EXPECT_EQ(answer.error().code(), code) << answer.ShortDebugString();
  EXPECT_EQ(answer.error().id(), id);
  EXPECT_FALSE(answer.error().message().empty());
}

void expect_nothing_delivered(const chat_room& room) {
  for (const auto& c : {room.alice, room.bob1, room.bob2, room.carol}) {
    EXPECT_EQ(c->delivered_count(), 0u) << c->id();
  }
}

// ---- delivery by user name ----

TEST(Router, DeliversOnlyToTheRecipient) {
  chat_room room;
  ASSERT_TRUE(room.send(*room.alice, text_to("bob", "hi bob")).has_sent());
  for (const auto& bob : {room.bob1, room.bob2}) {
    ASSERT_EQ(bob->delivered_count(), 1u) << bob->id();
    EXPECT_EQ(bob->delivered()[0]->message().text(), "hi bob");
  }
  EXPECT_EQ(room.carol->delivered_count(), 0u) << "carol got bob's message";
  EXPECT_EQ(room.alice->delivered_count(), 0u) << "the sender got a copy";
  for (const auto& c : {room.alice, room.bob1, room.bob2, room.carol}) {
    EXPECT_TRUE(c->notified().empty()) << "the answer is returned, not sent";
    EXPECT_TRUE(c->closes().empty());
  }
}

TEST(Router, AnswersSentWithTheDeliveredMessageId) {
  chat_room room;
  const auto answer = room.send(*room.alice, text_to("carol", "hi", "c-42"));
  ASSERT_TRUE(answer.has_sent()) << answer.ShortDebugString();
  EXPECT_EQ(answer.sent().id(), "c-42");
  EXPECT_EQ(answer.sent().status(), v1::Sent::DELIVERED);
  EXPECT_FALSE(answer.sent().message_id().empty());
  ASSERT_EQ(room.carol->delivered_count(), 1u);
  EXPECT_EQ(room.carol->delivered()[0]->message().message_id(),
            answer.sent().message_id());
  EXPECT_EQ(room.router.delivered(), 1u);
}

TEST(Router, StampsTheSenderFromItsConnection) {
  chat_room room;
  room.send(*room.alice, text_to("carol", "hi"));
  ASSERT_EQ(room.carol->delivered_count(), 1u);
  const v1::Message& m = room.carol->delivered()[0]->message();
  EXPECT_EQ(m.from(), "alice");
  EXPECT_EQ(m.from_connection(), "a1");
  EXPECT_EQ(m.to(), "carol");
  EXPECT_TRUE(room.carol->delivered()[0]->frame().has_message());
}

TEST(Router, ServiceSenderHasNoFromConnection) {
  chat_room room;
  v1::Send s = text_to("carol", "maintenance at noon");
  room.router.route({"system", ""}, s);
  ASSERT_EQ(room.carol->delivered_count(), 1u);
  const v1::Message& m = room.carol->delivered()[0]->message();
  EXPECT_EQ(m.from(), "system");
  EXPECT_TRUE(m.from_connection().empty());
}

TEST(Router, SharesOneEnvelopeAcrossDevices) {
  chat_room room;
  const auto answer = room.send(*room.alice, text_to("bob", "hi bob"));
  ASSERT_TRUE(answer.has_sent());
  ASSERT_EQ(room.bob1->delivered_count(), 1u);
  ASSERT_EQ(room.bob2->delivered_count(), 1u);
  const envelope_ptr one = room.bob1->delivered()[0];
  const envelope_ptr two = room.bob2->delivered()[0];
  EXPECT_EQ(one.get(), two.get()) << "the body was copied per recipient";
  EXPECT_EQ(one->message().text(), "hi bob");
  EXPECT_EQ(room.carol->delivered_count(), 0u);
  EXPECT_EQ(room.router.delivered(), 1u) << "counts messages, not copies";
}

TEST(Router, DeliversDataAsData) {
  chat_room room;
  const std::string bytes("\x00\xff\x01", 3);
  v1::Send s;
  s.set_to("carol");
  s.set_data(bytes);
  ASSERT_TRUE(room.send(*room.alice, s).has_sent());
  ASSERT_EQ(room.carol->delivered_count(), 1u);
  const v1::Message& m = room.carol->delivered()[0]->message();
  EXPECT_EQ(m.body_case(), v1::Message::kData);
  EXPECT_EQ(m.data(), bytes);
}

TEST(Router, StampsSentAtWithTheCurrentTime) {
  chat_room room;
  using std::chrono::system_clock;
  const auto before = system_clock::now();
  room.send(*room.alice, text_to("carol", "hi"));
  const auto after = system_clock::now();
  ASSERT_EQ(room.carol->delivered_count(), 1u);
  const auto& ts = room.carol->delivered()[0]->message().sent_at();
  const auto sent_at = system_clock::time_point(
      std::chrono::duration_cast<system_clock::duration>(
          std::chrono::nanoseconds(
              google::protobuf::util::TimeUtil::TimestampToNanoseconds(ts))));
  // Millisecond precision: truncation may put it up to 1 ms before `before`.
  EXPECT_GE(sent_at, before - std::chrono::milliseconds(1));
  EXPECT_LE(sent_at, after + std::chrono::seconds(2));
  EXPECT_EQ(ts.nanos() % 1'000'000, 0) << "not millisecond precision";
}

// Inside a transport's read, every message is stamped with the time of the
// read that brought it (the clock is read once per read); the scope ends
// with the read, and scopes nest.
TEST(Router, StampsSentAtWithTheTimeOfTheReadThatBroughtIt) {
  chat_room room;
  {
    const detail::received_at read(1'700'000'000'123);
    room.send(*room.alice, text_to("carol", "one"));
    {
      const detail::received_at inner(1'700'000'009'999);
      room.send(*room.alice, text_to("carol", "two"));
    }
    room.send(*room.alice, text_to("carol", "three"));
  }
  room.send(*room.alice, text_to("carol", "after"));
  ASSERT_EQ(room.carol->delivered_count(), 4u);
  const auto at = [&](std::size_t i) {
    return google::protobuf::util::TimeUtil::TimestampToMilliseconds(
        room.carol->delivered()[i]->message().sent_at());
  };
  EXPECT_EQ(at(0), 1'700'000'000'123);
  EXPECT_EQ(at(1), 1'700'000'009'999);
  EXPECT_EQ(at(2), 1'700'000'000'123);
  EXPECT_GE(at(3), detail::wall_ms() - 2'000);  // the clock again
}

// ---- delivery by connection id ----

TEST(Router, ToConnectionReachesOnlyThatConnection) {
  chat_room room;
  const auto answer =
      room.send(*room.alice, text_to_connection("b2", "just the laptop"));
  ASSERT_TRUE(answer.has_sent()) << answer.ShortDebugString();
  EXPECT_EQ(room.bob1->delivered_count(), 0u);
  ASSERT_EQ(room.bob2->delivered_count(), 1u);
  const v1::Message& m = room.bob2->delivered()[0]->message();
  EXPECT_EQ(m.to(), "bob");
  EXPECT_EQ(m.text(), "just the laptop");
  EXPECT_EQ(m.message_id(), answer.sent().message_id());
}

TEST(Router, ToOwnOtherConnectionIsDelivered) {
  chat_room room;
  const auto answer = room.send(*room.bob1, text_to_connection("b2", "sync"));
  ASSERT_TRUE(answer.has_sent()) << answer.ShortDebugString();
  EXPECT_EQ(room.bob1->delivered_count(), 0u);
  ASSERT_EQ(room.bob2->delivered_count(), 1u);
  EXPECT_EQ(room.bob2->delivered()[0]->message().from(), "bob");
  EXPECT_EQ(room.bob2->delivered()[0]->message().from_connection(), "b1");
}

// ---- errors ----

TEST(Router, UnknownUserIsOffline) {
  chat_room room;
  expect_error(room.send(*room.alice, text_to("zoe", "hi", "c-7")),
               v1::Error::RECIPIENT_OFFLINE, "c-7");
  expect_nothing_delivered(room);
  EXPECT_EQ(room.router.delivered(), 0u);
}

TEST(Router, UserWhoLeftIsOffline) {
  chat_room room;
  ASSERT_TRUE(room.reg.remove(*room.carol));
  expect_error(room.send(*room.alice, text_to("carol", "hi")),
               v1::Error::RECIPIENT_OFFLINE);
  expect_nothing_delivered(room);
}

TEST(Router, UnknownConnectionIsOffline) {
  chat_room room;
  expect_error(room.send(*room.alice, text_to_connection("nope", "hi")),
               v1::Error::RECIPIENT_OFFLINE);
  expect_nothing_delivered(room);
}

TEST(Router, SendToSelfIsAnInvalidRecipient) {
  chat_room room;
  expect_error(room.send(*room.bob1, text_to("bob", "me?")),
               v1::Error::INVALID_RECIPIENT);
  expect_nothing_delivered(room);
}

TEST(Router, SendToOwnConnectionIsAnInvalidRecipient) {
  chat_room room;
  expect_error(room.send(*room.bob1, text_to_connection("b1", "me?")),
               v1::Error::INVALID_RECIPIENT);
  expect_nothing_delivered(room);
}

TEST(Router, InvalidUserNameIsAnInvalidRecipient) {
  chat_room room;
  for (const std::string& to : {std::string(), std::string("a b"),
                                std::string(65, 'a'), std::string("bob\n")}) {
    SCOPED_TRACE('"' + to + '"');
    expect_error(room.send(*room.alice, text_to(to, "hi")),
                 v1::Error::INVALID_RECIPIENT);
  }
  expect_nothing_delivered(room);
}

TEST(Router, SendWithoutTargetIsInvalid) {
  chat_room room;
  v1::Send s;
  s.set_id("c-1");
  s.set_text("to whom?");
  expect_error(room.send(*room.alice, s), v1::Error::INVALID_FRAME);
  expect_nothing_delivered(room);
}

TEST(Router, SendWithoutBodyIsInvalid) {
  chat_room room;
  v1::Send s;
  s.set_id("c-1");
  s.set_to("carol");
  expect_error(room.send(*room.alice, s), v1::Error::INVALID_FRAME);
  s.set_to_connection("c1");
  expect_error(room.send(*room.alice, s), v1::Error::INVALID_FRAME);
  expect_nothing_delivered(room);
}

TEST(Router, RefusesSendsOnceClosed) {
  chat_room room;
  room.router.close();
  expect_error(room.send(*room.alice, text_to("carol", "late")),
               v1::Error::UNAVAILABLE);
  expect_nothing_delivered(room);
}

// ---- order and ids ----

TEST(Router, KeepsOrderFromOneSender) {
  chat_room room;
  constexpr int n = 1000;
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(
        room.send(*room.alice, text_to("bob", std::to_string(i))).has_sent());
  }
  for (const auto& bob : {room.bob1, room.bob2}) {
    const auto got = bob->delivered();
    ASSERT_EQ(got.size(), static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      ASSERT_EQ(got[i]->message().text(), std::to_string(i)) << bob->id();
    }
  }
}

TEST(Router, MessageIdsAreUniqueAcrossThreads) {
  chat_room room;
  constexpr int threads = 4;
  constexpr int sends = 10'000 / threads;
  std::vector<std::vector<std::string>> ids(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      const auto from = make_fake("s" + std::to_string(t), "sender");
      for (int i = 0; i < sends; ++i) {
        const auto answer = room.send(*from, text_to("carol", "x"));
        ASSERT_TRUE(answer.has_sent());
        ids[t].push_back(answer.sent().message_id());
      }
    });
  }
  for (auto& th : pool) th.join();
  std::set<std::string> unique;
  for (const auto& v : ids) unique.insert(v.begin(), v.end());
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(threads * sends));
  EXPECT_EQ(room.carol->delivered_count(),
            static_cast<std::size_t>(threads * sends));
  EXPECT_EQ(room.router.delivered(),
            static_cast<std::uint64_t>(threads * sends));
}

// Message ids fit std::string's inline buffer (copying one allocates
// nothing), never repeat, and differ between routers, even two made at once.
TEST(Router, MessageIdsAreShortAndNeverRepeat) {
  chat_room room;
  chat_room again;  // a second router, made within the same millisecond
  std::set<std::string> ids;
  std::string last;
  for (int i = 0; i < 200; ++i) {
    for (chat_room* r : {&room, &again}) {
      const auto answer = r->send(*r->alice, text_to("carol", "hi"));
      ASSERT_TRUE(answer.has_sent());
      const std::string& id = answer.sent().message_id();
      EXPECT_LE(id.size(), 15u) << id;
      EXPECT_TRUE(ids.insert(id).second) << "repeated: " << id;
      if (r == &room) {
        // One router's ids of one length sort in the order they were made.
        if (id.size() == last.size()) {
          EXPECT_LT(last, id);
        }
        last = id;
      }
    }
  }
}

// The transports give an encoded answer's `Sent` back (recycle); the
// thread's next answer reuses it, field by field, and one not given back
// is left alone.
// A cluster's routers prefix their node: two nodes started in the same
// millisecond still never make the same id.
TEST(Router, ANodesIdsStartWithItsNode) {
  registry reg;
  router with_node{reg, nullptr, nullptr, "n9"};
  router without{reg};
  const auto alice = std::make_shared<fake_connection>("c-a", "alice");
  const auto carol = std::make_shared<fake_connection>("c-c", "carol");
  ASSERT_TRUE(with_node.attach(alice));
  ASSERT_TRUE(with_node.attach(carol));
  v1::Send s = text_to("carol", "hi");
  const auto a = with_node.route({"alice", "c-a"}, s);
  s = text_to("carol", "hi");
  const auto b = without.route({"alice", "c-a"}, s);
  ASSERT_TRUE(a.has_sent());
  ASSERT_TRUE(b.has_sent());
  EXPECT_EQ(a.sent().message_id().rfind("n9-", 0), 0u) << a.sent().message_id();
  EXPECT_NE(b.sent().message_id().rfind("n9-", 0), 0u);
  EXPECT_NE(a.sent().message_id(), b.sent().message_id());
}

TEST(Router, AGivenBackAnswerIsReusedAndOneKeptIsLeftAlone) {
  chat_room room;
  v1::ServerFrame first = room.send(*room.alice, text_to("carol", "one"));
  ASSERT_TRUE(first.has_sent());
  const v1::Sent* reused = &first.sent();
  detail::recycle(first);
  EXPECT_FALSE(first.has_sent());

  v1::ServerFrame second =
      room.send(*room.alice, text_to("carol", "two", "c-22"));
  ASSERT_TRUE(second.has_sent());
  EXPECT_EQ(&second.sent(), reused);  // the same object, refilled
  EXPECT_EQ(second.sent().id(), "c-22");
  EXPECT_EQ(second.sent().status(), v1::Sent::DELIVERED);

  // Kept (not given back): the next answer is another object.
  const std::string second_id = second.sent().message_id();
  const v1::ServerFrame third =
      room.send(*room.alice, text_to("carol", "three", "c-33"));
  ASSERT_TRUE(third.has_sent());
  EXPECT_NE(&third.sent(), &second.sent());
  EXPECT_EQ(third.sent().id(), "c-33");
  EXPECT_EQ(second.sent().id(), "c-22");  // untouched by the third
  EXPECT_EQ(second.sent().message_id(), second_id);
  EXPECT_NE(third.sent().message_id(), second_id);
}

TEST(Router, RoutesFromInsideADelivery) {
  // A recipient that answers from within deliver(), as a hook might, while
  // the router is still delivering to the recipient's other device.
  chat_room room;
  v1::ServerFrame inner;
  room.bob1->on_deliver([&](const envelope_ptr& env) {
    if (env->message().from() != "alice") return;
    inner = room.send(*room.bob1, text_to("alice", "auto-reply"));
  });
  ASSERT_TRUE(room.send(*room.alice, text_to("bob", "hi")).has_sent());
  EXPECT_TRUE(inner.has_sent()) << inner.ShortDebugString();
  ASSERT_EQ(room.alice->delivered_count(), 1u);
  EXPECT_EQ(room.alice->delivered()[0]->message().text(), "auto-reply");
  for (const auto& bob : {room.bob1, room.bob2}) {
    ASSERT_EQ(bob->delivered_count(), 1u) << bob->id();
    EXPECT_EQ(bob->delivered()[0]->message().text(), "hi");
  }
}

// ---- handle() ----

TEST(Router, HandleAnswersPingWithPong) {
  chat_room room;
  v1::ClientFrame f;
  f.mutable_ping()->set_id("p1");
  const auto answer = room.router.handle(*room.alice, f);
  ASSERT_TRUE(answer.has_pong()) << answer.ShortDebugString();
  EXPECT_EQ(answer.pong().id(), "p1");
}

TEST(Router, HandleIgnoresPong) {
  chat_room room;
  v1::ClientFrame f;
  f.mutable_pong()->set_id("p1");
  EXPECT_EQ(room.router.handle(*room.alice, f).frame_case(),
            v1::ServerFrame::FRAME_NOT_SET);
}

TEST(Router, HandleRefusesHello) {
  chat_room room;
  v1::ClientFrame f;
  f.mutable_hello()->set_user("mallory");
  const auto answer = room.router.handle(*room.alice, f);
  expect_error(answer, v1::Error::INVALID_FRAME, "");
}

TEST(Router, HandleRefusesAnEmptyFrame) {
  chat_room room;
  v1::ClientFrame f;
  expect_error(room.router.handle(*room.alice, f), v1::Error::UNKNOWN_FRAME,
               "");
}

TEST(Router, HandleRoutesSendAsTheConnection) {
  chat_room room;
  v1::ClientFrame f;
  *f.mutable_send() = text_to("carol", "via handle", "c-9");
  const auto answer = room.router.handle(*room.alice, f);
  ASSERT_TRUE(answer.has_sent()) << answer.ShortDebugString();
  EXPECT_EQ(answer.sent().id(), "c-9");
  ASSERT_EQ(room.carol->delivered_count(), 1u);
  EXPECT_EQ(room.carol->delivered()[0]->message().from(), "alice");
  EXPECT_EQ(room.carol->delivered()[0]->message().from_connection(), "a1");
}

// ---- user names ----

TEST(Router, ValidUserName) {
  const std::vector<std::pair<std::string, bool>> rows = {
      {"alice", true},
      {"a", true},
      {"A.Z_0-9@x", true},
      {"a@b.org", true},
      {std::string(64, 'a'), true},
      {"", false},
      {std::string(65, 'a'), false},
      {"a b", false},
      {"a/b", false},
      {"a:b", false},
      {"a+b", false},
      {"bob\n", false},
      {std::string("a\0b", 3), false},
      {"\xc3\xa9", false},  // é: not ASCII
  };
  for (const auto& [name, ok] : rows) {
    EXPECT_EQ(valid_user_name(name), ok) << '"' << name << '"';
  }
}

}  // namespace
}  // namespace chat
