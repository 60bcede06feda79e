// Envelopes: a frame built in place in an envelope's arena is the same
// frame, on the wire and field by field, as one built on the heap, whatever
// its size.
#include <chat/envelope.hpp>

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace chat
