// Envelopes: a frame built in place in an envelope's arena is the same
// frame, on the wire and field by field, as one built on the heap, whatever
// its size.
#include <chat/envelope.hpp>

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace chat {
namespace {

void fill(v1::Message& m, const std::string& text, const std::string& id) {
  m.set_message_id(id + "-mid");
  m.set_from("alice" + id);
  m.set_to("bob" + id);
  m.set_text(text);
  m.mutable_sent_at()->set_seconds(1'700'000'000);
  m.mutable_sent_at()->set_nanos(123'000'000);
  m.set_from_connection(id + "-conn");
  m.set_copy(true);
  m.set_id(id);
}

void expect_same(const std::string& text, const std::string& id) {
  const auto in_place = envelope::make();
  fill(*in_place->mutable_frame().mutable_message(), text, id);
  v1::ServerFrame heap;
  fill(*heap.mutable_message(), text, id);
  const envelope built(heap);

  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      in_place->frame(), heap));
  EXPECT_EQ(in_place->message().text(), text);
  EXPECT_EQ(in_place->message().from(), "alice" + id);
  for (const auto f : {wire_format::json, wire_format::protobuf}) {
    EXPECT_EQ(in_place->encoded(f), built.encoded(f));
    EXPECT_EQ(in_place->encoded(f), encode(heap, f));
  }
}

TEST(Envelope, AMessageBuiltInPlaceIsTheMessageBuiltOnTheHeap) {
  expect_same(std::string(64, 'x'), "c-1");
}

// 128 KiB of text and 1 KiB ids do not fit the block inside the envelope:
// the arena goes on in blocks of its own, and the frame is whole.
TEST(Envelope, AMessageLargerThanTheInlineBlockIsWhole) {
  std::string text(128 << 10, 'y');
  text[0] = 'a';
  text.back() = 'z';
  expect_same(text, std::string(1024, 'i'));
}

TEST(Envelope, ManyInPlaceEnvelopesLiveAndDieIndependently) {
  std::vector<envelope_ptr> kept;
  for (int i = 0; i < 1000; ++i) {
    auto e = envelope::make();
    fill(*e->mutable_frame().mutable_message(), std::to_string(i), "c");
    kept.push_back(std::move(e));
  }
  for (int i = 0; i < 1000; i += 2) kept[i].reset();
  for (int i = 1; i < 1000; i += 2)
    EXPECT_EQ(kept[i]->message().text(), std::to_string(i));
}

// Envelopes from make() are recycled: the one let go last on a thread is
// the next one made there, and it carries nothing of its last message.
TEST(Envelope, ARecycledEnvelopeKeepsNothingOfItsLastMessage) {
  auto first = envelope::make();
  fill(*first->mutable_frame().mutable_message(), "secret one", "c-1");
  ASSERT_NE(first->encoded(wire_format::json).find("secret one"),
            std::string::npos);
  ASSERT_FALSE(first->encoded(wire_format::protobuf).empty());
  const envelope* was = first.get();
  first.reset();

  auto again = envelope::make();
  EXPECT_EQ(again.get(), was);
  EXPECT_FALSE(again->frame().has_message());
  EXPECT_FALSE(again->frame().has_receipt());
  fill(*again->mutable_frame().mutable_message(), "two", "c-2");
  v1::ServerFrame heap;
  fill(*heap.mutable_message(), "two", "c-2");
  for (const auto f : {wire_format::json, wire_format::protobuf})
    EXPECT_EQ(again->encoded(f), encode(heap, f));
  EXPECT_EQ(again->encoded(wire_format::json).find("secret"),
            std::string::npos);
}

// set_body() takes the caller's body and gives back the storage of an
// earlier message's body, emptied: the next decode needs no allocation.
TEST(Envelope, SetBodyGivesBackAnEarlierBodysStorage) {
  std::string body(100, 'a');
  auto e = envelope::make();
  e->set_body(body, false);
  EXPECT_EQ(e->message().text(), std::string(100, 'a'));
  EXPECT_TRUE(body.empty());
  e.reset();

  std::string next(200, 'b');
  next.assign(100, 'b');
  auto e2 = envelope::make();
  e2->set_body(next, false);
  EXPECT_EQ(e2->message().text(), std::string(100, 'b'));
  EXPECT_TRUE(next.empty());
  EXPECT_GE(next.capacity(), 100u);  // the first message's storage

  std::string bytes("\x00\x01", 2);
  auto e3 = envelope::make();
  e3->set_body(bytes, true);
  EXPECT_EQ(e3->message().data(), std::string("\x00\x01", 2));
  EXPECT_FALSE(e3->message().has_text());
}

// A message or receipt built by reuse: every field set anew, nothing of the
// one the envelope carried before shows through.
TEST(Envelope, AReusedMessageAndReceiptAreWhollyNew) {
  {
    auto e = envelope::make();
    fill(e->reuse_message(), std::string(300, 'o'), "old");
    auto r = envelope::make();
    v1::Receipt& old = r->reuse_receipt();
    old.set_message_id("m-old");
    old.set_id("c-old");
    old.set_by("bob-old");
    old.set_status(v1::Receipt::READ);
    old.mutable_at()->set_seconds(5);
  }
  auto e = envelope::make();
  v1::Message& m = e->reuse_message();
  EXPECT_TRUE(m.message_id().empty());
  EXPECT_TRUE(m.from_connection().empty());
  EXPECT_TRUE(m.id().empty());
  EXPECT_FALSE(m.copy());
  EXPECT_EQ(m.sent_at().seconds(), 0);
  fill(m, "new", "c-2");
  m.set_copy(false);
  m.clear_id();
  v1::ServerFrame heap;
  fill(*heap.mutable_message(), "new", "c-2");
  heap.mutable_message()->set_copy(false);
  heap.mutable_message()->clear_id();
  EXPECT_EQ(e->encoded(wire_format::json), encode(heap, wire_format::json));

  auto r = envelope::make();
  v1::Receipt& rr = r->reuse_receipt();
  EXPECT_TRUE(rr.message_id().empty());
  EXPECT_TRUE(rr.by().empty());
  EXPECT_EQ(rr.status(), v1::Receipt::STATUS_UNSPECIFIED);
  EXPECT_EQ(rr.at().seconds(), 0);
}

// The control block lives in the envelope: while a weak holder keeps it,
// the envelope is not handed out again.
TEST(Envelope, AWeakHolderKeepsTheEnvelopeFromReuse) {
  auto e = envelope::make();
  const envelope* was = e.get();
  std::weak_ptr<envelope> weak = e;
  e.reset();
  EXPECT_TRUE(weak.expired());
  auto other = envelope::make();
  EXPECT_NE(other.get(), was);
  weak.reset();
  auto reused = envelope::make();
  EXPECT_EQ(reused.get(), was);
}

// A sender's thread makes envelopes and a recipient's thread lets them go:
// they come back to the sender's thread through the shared pool, empty.
TEST(Envelope, EnvelopesLetGoOnAnotherThreadComeBack) {
  // Whatever earlier tests left in the shared pool is taken out first.
  std::vector<std::shared_ptr<envelope>> drained;
  std::thread([&] {
    for (int i = 0; i < 4096; ++i) drained.push_back(envelope::make());
  }).join();

  std::vector<std::shared_ptr<envelope>> made;
  std::set<const envelope*> addresses;
  std::thread maker([&] {
    for (int i = 0; i < 1000; ++i) {
      auto e = envelope::make();
      fill(*e->mutable_frame().mutable_message(), std::to_string(i), "c");
      addresses.insert(e.get());
      made.push_back(std::move(e));
    }
  });
  maker.join();
  std::thread([&] { made.clear(); }).join();

  int reused = 0;
  int empty = 0;
  std::thread([&] {
    std::vector<std::shared_ptr<envelope>> again;
    for (int i = 0; i < 256; ++i) {
      again.push_back(envelope::make());
      reused += addresses.count(again.back().get()) ? 1 : 0;
      empty += again.back()->frame().has_message() ? 0 : 1;
    }
  }).join();
  EXPECT_EQ(reused, 256);
  EXPECT_EQ(empty, 256);
}

}  // namespace
}  // namespace chat
