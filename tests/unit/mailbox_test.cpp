// The mailbox against journals that fail, delay or remember: no ack without
// a durable write, and what a journal holds comes back after a restart.
#include "store/mailbox.hpp"

#include <chat/router.hpp>

#include "core/string_map.hpp"
#include "support/fake_connection.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <mutex>

namespace chat::test {
namespace {

using detail::delivery_state;
using detail::journal;
using detail::mailbox;
using detail::stored_message;
using detail::stored_receipt;

// A journal double: holds puts until the test completes them, with the
// outcome the test chooses, and keeps what was put durably.
class held_journal final : public journal {
 public:
  void load(const std::function<void(stored_message)>& message,
            const std::function<void(stored_receipt)>&) override {
    for (const auto& m : durable) message(m);
  }
  void put(stored_message m, done_fn done) override {
    std::lock_guard lock(mu);
    held.emplace_back(std::move(m), std::move(done));
  }
  void progress(const std::string& id, delivery_state s) override {
    for (auto& m : durable) {
      if (m.message_id != id || m.state >= s) continue;
      m.state = s;
      m.frame.clear();
    }
  }
  void answered(const std::string& id, int status) override {
    for (auto& m : durable)
      if (m.message_id == id) m.status = status;
  }
  void erase(const std::string&) override {}
  void put_receipt(stored_receipt) override {}
  void erase_receipt(std::uint64_t) override {}
  std::string problem() const override { return failing ? "disk full" : ""; }

  // Completes the oldest held put.
  void complete(bool ok) {
    std::pair<stored_message, done_fn> p;
    {
      std::lock_guard lock(mu);
      p = std::move(held.front());
      held.pop_front();
    }
    if (ok) durable.push_back(p.first);
    failing = !ok;
    p.second(ok);
  }

  std::mutex mu;
  std::deque<std::pair<stored_message, done_fn>> held;
  std::vector<stored_message> durable;
  bool failing = false;
};

v1::Send text(const std::string& id, const std::string& to,
              const std::string& body) {
  v1::Send s;
  s.set_id(id);
  s.set_to(to);
  s.set_text(body);
  return s;
}

struct fixture {
  registry reg;
  held_journal j;
  mailbox box{reg, {}, &j};
  router route{reg, nullptr, &box};
  std::shared_ptr<fake_connection> alice =
      std::make_shared<fake_connection>("n1-a", "alice");
  std::shared_ptr<fake_connection> bob =
      std::make_shared<fake_connection>("n1-b", "bob");
  fixture() {
    EXPECT_TRUE(route.attach(alice));
    EXPECT_TRUE(route.attach(bob));
  }
  v1::ServerFrame send(const std::string& id, const std::string& body) {
    v1::Send s = text(id, "bob", body);
    return route.route({"alice", alice->id()}, s);
  }
};

TEST(Mailbox, NoAnswerAndNoDeliveryBeforeTheWriteIsDurable) {
  fixture f;
  EXPECT_EQ(f.send("c-1", "hi").frame_case(),
            v1::ServerFrame::FRAME_NOT_SET);  // the answer waits
  EXPECT_TRUE(f.bob->delivered().empty());
  EXPECT_TRUE(f.alice->notified().empty());
  f.j.complete(true);
  ASSERT_EQ(f.bob->delivered().size(), 1u);
  const auto notes = f.alice->notified();
  ASSERT_EQ(notes.size(), 1u);
  const auto& sent = notes[0];
  ASSERT_TRUE(sent.has_sent());
  EXPECT_EQ(sent.sent().status(), v1::Sent::DELIVERED);
  EXPECT_EQ(sent.sent().message_id(),
            f.bob->delivered()[0]->message().message_id());
}

TEST(Mailbox, AFailedWriteIsUnavailableDeliversNothingAndForgetsTheSend) {
  fixture f;
  (void)f.send("c-1", "lost?");
  f.j.complete(false);
  EXPECT_TRUE(f.bob->delivered().empty());
  const auto notes = f.alice->notified();
  ASSERT_EQ(notes.size(), 1u);
  const auto& e = notes[0];
  ASSERT_TRUE(e.has_error());
  EXPECT_EQ(e.error().code(), v1::Error::UNAVAILABLE);
  EXPECT_EQ(e.error().id(), "c-1");
  EXPECT_EQ(f.box.inbox_size("bob"), 0u);
  EXPECT_EQ(f.box.problem(), "disk full");
  EXPECT_EQ(f.box.stats().store_failures.load(), 1u);
  // The retry with the same id is a new send, not a replay of the failure.
  (void)f.send("c-1", "lost?");
  f.j.complete(true);
  ASSERT_EQ(f.bob->delivered().size(), 1u);
  EXPECT_TRUE(f.alice->notified()[1].has_sent());
}

TEST(Mailbox, AResendWhileTheFirstIsPendingGetsTheSameAnswer) {
  fixture f;
  (void)f.send("c-1", "x");
  EXPECT_EQ(f.send("c-1", "x").frame_case(), v1::ServerFrame::FRAME_NOT_SET);
  EXPECT_EQ(f.j.held.size(), 1u);  // nothing new to write
  f.j.complete(true);
  ASSERT_EQ(f.alice->notified().size(), 2u);
  EXPECT_EQ(f.alice->notified()[0].sent().message_id(),
            f.alice->notified()[1].sent().message_id());
  EXPECT_EQ(f.bob->delivered().size(), 1u);
}

TEST(Mailbox, WhatTheJournalHoldsComesBackAfterARestart) {
  fixture f;
  (void)f.send("c-1", "kept");
  (void)f.send("c-2", "acked");
  f.j.complete(true);
  f.j.complete(true);
  const auto delivered = f.bob->delivered();
  ASSERT_EQ(delivered.size(), 2u);
  f.box.ack(*f.bob, delivered[1]->message().message_id(), false);

  // A new mailbox over the same journal, as after a crash.
  registry reg;
  mailbox box{reg, {}, &f.j};
  box.load();
  router route{reg, nullptr, &box};
  auto bob = std::make_shared<fake_connection>("n2-b", "bob");
  ASSERT_TRUE(route.attach(bob));
  ASSERT_EQ(bob->delivered().size(), 1u);
  EXPECT_EQ(bob->delivered()[0]->message().text(), "kept");
  EXPECT_EQ(bob->delivered()[0]->message().message_id(),
            delivered[0]->message().message_id());
  // Dedup survived too: the resend of c-2 is answered, not stored again.
  v1::Send again = text("c-2", "bob", "acked");
  const auto answer = route.route({"alice", ""}, again);
  ASSERT_TRUE(answer.has_sent()) << answer.DebugString();
  EXPECT_EQ(answer.sent().message_id(), delivered[1]->message().message_id());
  EXPECT_EQ(bob->delivered().size(), 1u);
}

// The mailbox's stripe of a user, as mailbox.cpp picks it (64 stripes).
std::size_t stripe_of(std::string_view user) {
  return detail::string_hash{}(user)&63;
}

// A sender past its last-N bound forgets its own oldest sends; it must not
// push out the dedup records of the other senders of its stripe.
TEST(Mailbox, AHeavySenderDoesNotEvictOtherSendersDedupRecords) {
  registry reg;
  detail::mailbox_limits limits;
  limits.dedup_max_ids = 100;
  mailbox box{reg, limits, nullptr};
  router route{reg, nullptr, &box};
  // Offline: queued, then acked through a connection object of bob's.
  const auto bob = std::make_shared<fake_connection>("n1-b", "bob");
  std::string light = "light";
  for (int i = 0; stripe_of(light) != stripe_of("heavy"); ++i)
    light = "light" + std::to_string(i);

  v1::Send first = text("l-1", "bob", "once");
  const auto original = route.route({light, ""}, first);
  ASSERT_TRUE(original.has_sent()) << original.ShortDebugString();
  box.ack(*bob, original.sent().message_id(), false);
  // More sends than a stripe keeps dedup records for (65,536).
  for (int i = 0; i < 70'000; ++i) {
    v1::Send s = text("h-" + std::to_string(i), "bob", "x");
    const auto a = route.route({"heavy", ""}, s);
    ASSERT_TRUE(a.has_sent()) << i << ": " << a.ShortDebugString();
    box.ack(*bob, a.sent().message_id(), false);
  }
  v1::Send again = text("l-1", "bob", "once");
  const auto answer = route.route({light, ""}, again);
  ASSERT_TRUE(answer.has_sent()) << answer.ShortDebugString();
  EXPECT_EQ(answer.sent().message_id(), original.sent().message_id());
  EXPECT_EQ(box.stats().duplicates.load(), 1u);
  // The heavy sender's own bound still holds: its first send is forgotten.
  v1::Send old = text("h-0", "bob", "x");
  const auto fresh = route.route({"heavy", ""}, old);
  ASSERT_TRUE(fresh.has_sent());
  EXPECT_EQ(box.stats().duplicates.load(), 1u);
}

// A connection that sends from inside a delivery (as a bot's hook may)
// while the mailbox is still handing copies to the sender's devices.
TEST(Mailbox, SendsFromInsideADeliveredCopyAreRoutedAndCopied) {
  registry reg;
  mailbox box{reg, {}, nullptr};
  router route{reg, nullptr, &box};
  const auto a1 = std::make_shared<fake_connection>("n1-a1", "alice");
  const auto a2 = std::make_shared<fake_connection>("n1-a2", "alice");
  const auto a3 = std::make_shared<fake_connection>("n1-a3", "alice");
  const auto bob = std::make_shared<fake_connection>("n1-b", "bob");
  for (const auto& c : {a1, a2, a3, bob}) ASSERT_TRUE(route.attach(c));
  v1::ServerFrame inner;
  a2->on_deliver([&](const envelope_ptr& env) {
    if (env->message().text() != "hi") return;
    v1::Send s = text("c-2", "bob", "from a2");
    inner = route.route({"alice", a2->id()}, s);
  });
  v1::Send s = text("c-1", "bob", "hi");
  ASSERT_TRUE(route.route({"alice", a1->id()}, s).has_sent());
  ASSERT_TRUE(inner.has_sent()) << inner.ShortDebugString();
  std::vector<std::string> to_bob;
  for (const auto& e : bob->delivered()) to_bob.push_back(e->message().text());
  EXPECT_EQ(to_bob, (std::vector<std::string>{"hi", "from a2"}));
  // Each of alice's other devices got a copy of each message, once.
  const auto texts = [](const fake_connection& c) {
    std::vector<std::string> out;
    for (const auto& e : c.delivered()) {
      EXPECT_TRUE(e->message().copy());
      out.push_back(e->message().text());
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(texts(*a1), (std::vector<std::string>{"from a2"}));
  EXPECT_EQ(texts(*a2), (std::vector<std::string>{"hi"}));
  EXPECT_EQ(texts(*a3), (std::vector<std::string>{"from a2", "hi"}));
}

// Acks are looked for at the front of the inbox first and in the index
// after: either way each acks exactly its message, once.
TEST(Mailbox, AcksInAnyOrderAckExactlyTheirMessages) {
  registry reg;
  mailbox box{reg, {}, nullptr};
  router route{reg, nullptr, &box};
  const auto alice = std::make_shared<fake_connection>("n1-a", "alice");
  const auto bob = std::make_shared<fake_connection>("n1-b", "bob");
  ASSERT_TRUE(route.attach(alice));
  ASSERT_TRUE(route.attach(bob));
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    v1::Send s = text("c-" + std::to_string(i), "bob", "m");
    const auto answer = route.route({"alice", alice->id()}, s);
    ASSERT_TRUE(answer.has_sent());
    ids.push_back(answer.sent().message_id());
  }
  ASSERT_EQ(box.inbox_size("bob"), 10u);
  const auto ack = [&](const std::string& id, bool cumulative) {
    v1::ClientFrame f;
    f.mutable_ack()->set_message_id(id);
    f.mutable_ack()->set_cumulative(cumulative);
    (void)route.handle(*bob, f);
  };
  const auto receipts = [&] {
    std::vector<std::string> out;
    for (const auto& env : alice->delivered())
      if (env->frame().has_receipt())
        out.push_back(env->frame().receipt().message_id());
    return out;
  };
  ack(ids[7], false);  // past the front of the inbox
  EXPECT_EQ(box.inbox_size("bob"), 9u);
  ack(ids[1], false);  // near the front
  EXPECT_EQ(box.inbox_size("bob"), 8u);
  ack(ids[7], false);  // again: nothing
  ack(ids[1], false);
  EXPECT_EQ(box.inbox_size("bob"), 8u);
  EXPECT_EQ(receipts(), (std::vector<std::string>{ids[7], ids[1]}));
  ack(ids[5], true);  // everything up to it: 0, 2, 3, 4, 5
  EXPECT_EQ(box.inbox_size("bob"), 3u);
  EXPECT_EQ(receipts(),
            (std::vector<std::string>{ids[7], ids[1], ids[0], ids[2], ids[3],
                                      ids[4], ids[5]}));
  ack("no-such-id", false);
  ack(ids[9], false);  // the last, with 6 and 8 before it
  EXPECT_EQ(box.inbox_size("bob"), 2u);
  EXPECT_EQ(receipts().back(), ids[9]);
  EXPECT_EQ(receipts().size(), 8u);
}

// Stored entries and dedup records are recycled once the dedup window lets
// them go: what comes after is answered, delivered and deduplicated as its
// own, never as the send whose storage it reuses.
TEST(Mailbox, RecycledEntriesAndDedupRecordsKeepNothingOfTheirLastSend) {
  registry reg;
  detail::mailbox_limits limits;
  limits.dedup_window = std::chrono::milliseconds(1000);
  std::int64_t now = 1'000'000;
  mailbox box{reg, limits, nullptr, [&] { return now; }};
  router route{reg, nullptr, &box};
  const auto bob = std::make_shared<fake_connection>("n1-b", "bob");
  const auto send = [&](const std::string& id, const std::string& body) {
    v1::Send s = text(id, "bob", body);
    return route.route({"alice", ""}, s);
  };
  // A first generation, queued for offline bob, then acked and forgotten.
  std::vector<std::string> old_ids;
  for (int i = 0; i < 100; ++i) {
    const auto a = send("old-" + std::to_string(i), "old body");
    ASSERT_TRUE(a.has_sent()) << a.ShortDebugString();
    EXPECT_EQ(a.sent().status(), v1::Sent::QUEUED);
    old_ids.push_back(a.sent().message_id());
  }
  box.ack(*bob, old_ids.back(), true);
  EXPECT_EQ(box.inbox_size("bob"), 0u);
  now += 2000;
  box.sweep();  // entries and dedup records go back for reuse

  std::vector<std::string> new_ids;
  for (int i = 0; i < 100; ++i) {
    const auto a = send("new-" + std::to_string(i), "new " + std::to_string(i));
    ASSERT_TRUE(a.has_sent()) << a.ShortDebugString();
    EXPECT_EQ(a.sent().id(), "new-" + std::to_string(i));
    EXPECT_EQ(a.sent().status(), v1::Sent::QUEUED);
    new_ids.push_back(a.sent().message_id());
  }
  EXPECT_EQ(box.stats().duplicates.load(), 0u);
  // A resend is answered with its own message, not a recycled one's.
  const auto again = send("new-7", "new 7");
  ASSERT_TRUE(again.has_sent());
  EXPECT_EQ(again.sent().message_id(), new_ids[7]);
  EXPECT_EQ(box.stats().duplicates.load(), 1u);
  // An old client id, past the window, is a new send.
  const auto old = send("old-7", "old body");
  ASSERT_TRUE(old.has_sent());
  EXPECT_NE(old.sent().message_id(), old_ids[7]);
  EXPECT_EQ(std::count(new_ids.begin(), new_ids.end(), old.sent().message_id()),
            0);
  EXPECT_EQ(box.stats().duplicates.load(), 1u);

  // Bob gets exactly the new generation (and the late old-7), in order.
  ASSERT_TRUE(route.attach(bob));
  const auto got = bob->delivered();
  ASSERT_EQ(got.size(), 101u);
  for (int i = 0; i < 100; ++i) {
    const v1::Message& m = got[i]->message();
    EXPECT_EQ(m.message_id(), new_ids[i]);
    EXPECT_EQ(m.text(), "new " + std::to_string(i));
    EXPECT_EQ(m.from(), "alice");
  }
  EXPECT_EQ(got[100]->message().message_id(), old.sent().message_id());
  // Each is acked once.
  box.ack(*bob, new_ids[0], false);
  EXPECT_EQ(box.inbox_size("bob"), 100u);
  box.ack(*bob, new_ids[0], false);
  EXPECT_EQ(box.inbox_size("bob"), 100u);
  box.ack(*bob, old.sent().message_id(), true);
  EXPECT_EQ(box.inbox_size("bob"), 0u);
  EXPECT_EQ(box.stats().acked.load(), 201u);
}

}  // namespace
}  // namespace chat::test
