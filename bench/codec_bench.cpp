// How fast are frames decoded and encoded, JSON and protobuf: the frames a
// server handles for each message (a `send` in; a `message` and a `sent`
// out), with a 64-byte body.
#include <chat/codec.hpp>

#include <benchmark/benchmark.h>
#include <google/protobuf/util/message_differencer.h>

namespace {

using chat::wire_format;
namespace v1 = chat::v1;

const std::string body(64, 'x');

v1::ClientFrame send_frame() {
  v1::ClientFrame f;
  f.mutable_send()->set_id("c-1");
  f.mutable_send()->set_to("bob");
  f.mutable_send()->set_text(body);
  return f;
}

v1::ServerFrame message_frame() {
  v1::ServerFrame f;
  v1::Message* m = f.mutable_message();
  m->set_message_id("0badcafe-18c2a3b4c5d-2a");
  m->set_from("alice");
  m->set_to("bob");
  m->set_text(body);
  m->mutable_sent_at()->set_seconds(1'795'000'000);
  m->mutable_sent_at()->set_nanos(123'000'000);
  m->set_from_connection("0badcafe-00c0ffee00c0ffee");
  return f;
}

v1::ServerFrame sent_frame() {
  v1::ServerFrame f;
  f.mutable_sent()->set_id("c-1");
  f.mutable_sent()->set_message_id("0badcafe-18c2a3b4c5d-2a");
  f.mutable_sent()->set_status(v1::Sent::DELIVERED);
  return f;
}

wire_format format(const benchmark::State& state) {
  return static_cast<wire_format>(state.range(0));
}

const char* label(wire_format f) {
  return f == wire_format::json ? "json" : "protobuf";
}

// Decodes `bytes` into a reused frame, as a connection does.
template <class Frame>
void decode_loop(benchmark::State& state, const std::string& bytes,
                 wire_format f, const Frame& want) {
  Frame out;
  // Make sure the data is right before timing it.
  if (chat::decode(bytes, f, out) ||
      !google::protobuf::util::MessageDifferencer::Equals(out, want)) {
    state.SkipWithError("decoded the wrong frame");
    return;
  }
  for (auto _ : state) {
    auto err = chat::decode(bytes, f, out);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() *
                          static_cast<std::int64_t>(bytes.size()));
  state.SetLabel(label(f));
}

// {"send":{"id":"c-1","to":"bob","text":"xxxx…"}} and its protobuf form.
void BM_DecodeSend(benchmark::State& state) {
  const auto f = format(state);
  decode_loop(state, chat::encode(send_frame(), f), f, send_frame());
}
BENCHMARK(BM_DecodeSend)->Arg(0)->Arg(1);

// A send with a field this version does not know: JSON takes the generic
// path (Boost.JSON, then protobuf's parser), the cost of any unusual frame.
void BM_DecodeSendGenericPath(benchmark::State& state) {
  std::string json = chat::encode(send_frame(), wire_format::json);
  json.insert(json.size() - 2, R"(,"priority":1)");
  decode_loop(state, json, wire_format::json, send_frame());
}
BENCHMARK(BM_DecodeSendGenericPath);

// The client side: a delivered message.
void BM_DecodeMessage(benchmark::State& state) {
  const auto f = format(state);
  decode_loop(state, chat::encode(message_frame(), f), f, message_frame());
}
BENCHMARK(BM_DecodeMessage)->Arg(0)->Arg(1);

// Encodes into a reused buffer, as a connection's write buffer is.
void encode_loop(benchmark::State& state, const v1::ServerFrame& frame) {
  const auto f = format(state);
  std::string out;
  chat::encode(frame, f, out);
  v1::ServerFrame back;
  if (chat::decode(out, f, back) ||
      !google::protobuf::util::MessageDifferencer::Equals(back, frame)) {
    state.SkipWithError("round trip failed");
    return;
  }
  for (auto _ : state) {
    out.clear();
    chat::encode(frame, f, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() *
                          static_cast<std::int64_t>(out.size()));
  state.SetLabel(label(f));
}

void BM_EncodeMessage(benchmark::State& state) {
  encode_loop(state, message_frame());
}
BENCHMARK(BM_EncodeMessage)->Arg(0)->Arg(1);

void BM_EncodeSent(benchmark::State& state) {
  encode_loop(state, sent_frame());
}
BENCHMARK(BM_EncodeSent)->Arg(0)->Arg(1);

}  // namespace
