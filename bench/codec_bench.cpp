// How fast are frames decoded and encoded, JSON and protobuf.
#include <chat/codec.hpp>

#include <benchmark/benchmark.h>

namespace {

const std::string json_send =
    R"({"send":{"id":"c-1","to":"bob","text":"0123456789012345678901234567890123456789"}})";

void BM_DecodeJsonSend(benchmark::State& state) {
  chat::v1::ClientFrame f;
  if (chat::decode(json_send, chat::wire_format::json, f) ||
      f.send().to() != "bob") {
    state.SkipWithError("decode failed");
    return;
  }
  for (auto _ : state) {
    auto err = chat::decode(json_send, chat::wire_format::json, f);
    benchmark::DoNotOptimize(err);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() *
                          static_cast<std::int64_t>(json_send.size()));
}
BENCHMARK(BM_DecodeJsonSend);

void BM_DecodeProtobufSend(benchmark::State& state) {
  chat::v1::ClientFrame f;
  (void)chat::decode(json_send, chat::wire_format::json, f);
  const std::string bytes = chat::encode(f, chat::wire_format::protobuf);
  chat::v1::ClientFrame g;
  if (chat::decode(bytes, chat::wire_format::protobuf, g) ||
      g.send().to() != "bob") {
    state.SkipWithError("decode failed");
    return;
  }
  for (auto _ : state) {
    auto err = chat::decode(bytes, chat::wire_format::protobuf, g);
    benchmark::DoNotOptimize(err);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeProtobufSend);

void BM_EncodeMessage(benchmark::State& state) {
  const auto fmt = static_cast<chat::wire_format>(state.range(0));
  chat::v1::ServerFrame f;
  auto* m = f.mutable_message();
  m->set_message_id("0badcafe-18c2a3b4c5d-2a");
  m->set_from("alice");
  m->set_to("bob");
  m->set_text(std::string(64, 'x'));
  m->mutable_sent_at()->set_seconds(1'795'000'000);
  m->mutable_sent_at()->set_nanos(123'000'000);
  chat::v1::ServerFrame back;
  if (chat::decode(chat::encode(f, fmt), fmt, back) ||
      back.message().text() != m->text()) {
    state.SkipWithError("round trip failed");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(chat::encode(f, fmt));
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(fmt == chat::wire_format::json ? "json" : "protobuf");
}
BENCHMARK(BM_EncodeMessage)->Arg(0)->Arg(1);

}  // namespace
