// How many heap allocations does one routed message cost in steady state?
// This binary replaces the global operator new to count them; the figure is
// the `allocs/msg` counter (the target is zero).
#include <chat/codec.hpp>

#include "population.hpp"
#include "stored.hpp"

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {

std::atomic<std::uint64_t> allocations{0};

void* counted(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}

void* counted_aligned(std::size_t n, std::align_val_t a) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  const auto align = static_cast<std::size_t>(a);
  if (void* p = std::aligned_alloc(align, (n + align - 1) / align * align))
    return p;
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t n) { return counted(n); }
void* operator new[](std::size_t n) { return counted(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  return counted_aligned(n, a);
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return counted_aligned(n, a);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}

namespace {

using chat::wire_format;

std::uint64_t count() { return allocations.load(std::memory_order_relaxed); }

void report(benchmark::State& state, std::uint64_t allocs) {
  state.SetItemsProcessed(state.iterations());
  state.counters["allocs/msg"] = benchmark::Counter(
      static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
}

// Decoding a send into the connection's reused frame, JSON and protobuf.
void BM_AllocsPerDecode(benchmark::State& state) {
  const auto f = static_cast<wire_format>(state.range(0));
  chat::v1::ClientFrame frame;
  frame.mutable_send()->set_id("c-1");
  frame.mutable_send()->set_to("u500");
  frame.mutable_send()->set_text(std::string(64, 'x'));
  const std::string in = chat::encode(frame, f);
  chat::v1::ClientFrame out;
  if (chat::decode(in, f, out) || out.send().text() != frame.send().text()) {
    state.SkipWithError("decode failed");
    return;
  }
  std::uint64_t allocs = 0;
  for (auto _ : state) {
    const std::uint64_t before = count();
    benchmark::DoNotOptimize(chat::decode(in, f, out));
    allocs += count() - before;
  }
  report(state, allocs);
  state.SetLabel(f == wire_format::json ? "json" : "protobuf");
}
BENCHMARK(BM_AllocsPerDecode)->Arg(0)->Arg(1);

// The router alone: lookup, envelope, enqueue, the sender's answer; from
// a short sender name and connection id (held inline by std::string), and
// from long ones (on the heap, so a copy made on the way would allocate).
void BM_AllocsPerRoute(benchmark::State& state) {
  const bool long_names = state.range(0) != 0;
  const std::string alice =
      long_names ? "alice.liddell@wonderland.example" : "alice";
  const std::string a1 = long_names ? "node-7-0123456789abcdefXYZ" : "a1";
  bench::population& p = bench::populated(1'000);
  bench::sink& bob = *p.sinks[500];
  chat::v1::Send send;
  send.set_id("c-1");
  send.set_to(bob.user());
  const std::string body(64, 'x');
  send.set_text(body);
  if (!p.router.route({alice, a1}, send).has_sent() ||
      bob.last()->message().text() != body ||
      bob.last()->message().from() != alice ||
      bob.last()->message().from_connection() != a1) {
    state.SkipWithError("route did not deliver");
    return;
  }
  std::uint64_t allocs = 0;
  for (auto _ : state) {
    send.set_text(body);  // the harness's copy, not counted
    const std::uint64_t before = count();
    auto answer = p.router.route({alice, a1}, send);
    benchmark::DoNotOptimize(answer);
    chat::detail::recycle(answer);  // as the transports do once encoded
    allocs += count() - before;
  }
  report(state, allocs);
}
BENCHMARK(BM_AllocsPerRoute)->ArgName("long_names")->Arg(0)->Arg(1);

// Traffic through a mailbox whose bounded state is full, so that what is
// counted is the steady state: one sender's dedup records at the most a
// stripe keeps (2 x 65,536, forgotten ones included), the recipient's acked
// messages at the most a stripe retains for READ receipts (16,384). Until
// then each message adds to them. Shared by every run of the benchmark.
bench::stored_traffic& steady_traffic() {
  static bench::stored_traffic* t = [] {
    auto* fresh = new bench::stored_traffic;
    for (int i = 0; i < 140'000; ++i) {
      fresh->load();
      fresh->route_and_ack();
    }
    return fresh;
  }();
  return *t;
}

// The server's route: through the in-memory mailbox, then the recipient's
// ack (which also sends the sender a receipt).
void BM_AllocsPerRouteStored(benchmark::State& state) {
  bench::stored_traffic& t = steady_traffic();
  if (!t.check()) {
    state.SkipWithError("route + ack did not deliver and clear the inbox");
    return;
  }
  std::uint64_t allocs = 0;
  for (auto _ : state) {
    t.load();  // the harness's copy of the body, not counted
    const std::uint64_t before = count();
    benchmark::DoNotOptimize(t.route_and_ack());
    allocs += count() - before;
  }
  report(state, allocs);
}
BENCHMARK(BM_AllocsPerRouteStored);

// What a server does per message, short of the socket: decode the JSON
// send into the connection's reused frame, route it, encode the sender's
// answer and the recipient's message into reused write buffers.
void BM_AllocsPerMessage(benchmark::State& state) {
  bench::population& p = bench::populated(1'000);
  bench::sink& bob = *p.sinks[500];
  const std::string in = R"({"send":{"id":"c-1","to":"u500","text":")" +
                         std::string(64, 'x') + R"("}})";
  chat::v1::ClientFrame frame;
  std::string to_alice, to_bob;
  to_alice.reserve(4096);
  to_bob.reserve(4096);
  const auto one = [&] {
    to_alice.clear();
    to_bob.clear();
    if (chat::decode(in, wire_format::json, frame)) return false;
    auto answer = p.router.route({"alice", "a1"}, *frame.mutable_send());
    chat::encode(answer, wire_format::json, to_alice);
    to_bob.append(bob.last()->encoded(wire_format::json));
    const bool sent = answer.has_sent();
    chat::detail::recycle(answer);  // as the transports do
    return sent;
  };
  const auto before_check = bob.delivered();
  if (!one() || bob.delivered() != before_check + 1 ||
      to_bob.find(std::string(64, 'x')) == std::string::npos ||
      to_alice.find("DELIVERED") == std::string::npos) {
    state.SkipWithError("the message did not go through");
    return;
  }
  std::uint64_t allocs = 0;
  for (auto _ : state) {
    const std::uint64_t before = count();
    benchmark::DoNotOptimize(one());
    allocs += count() - before;
  }
  report(state, allocs);
}
BENCHMARK(BM_AllocsPerMessage);

}  // namespace
