// How fast does the router route one message: registry lookup, envelope,
// hand-off to the recipient's connection (a counting sink here, so the
// figure is the router's own cost, not a socket's).
#include <chat/chat.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <string>

namespace {

// "u42": appended rather than `"u" + to_string(n)`, which trips GCC 12's
// false -Wrestrict at -O2.
std::string name(char prefix, std::int64_t n) {
  std::string s(1, prefix);
  s += std::to_string(n);
  return s;
}

class sink final : public chat::connection {
 public:
  sink(std::string id, std::string user)
      : connection(std::move(id), std::move(user)) {}
  void deliver(chat::envelope_ptr env) override {
    last_ = std::move(env);
    delivered_.fetch_add(1, std::memory_order_relaxed);
  }
  void notify(chat::v1::ServerFrame) override {}
  void close(chat::close_code, std::string_view) override {}
  std::uint64_t delivered() const { return delivered_.load(); }

 private:
  chat::envelope_ptr last_;
  std::atomic<std::uint64_t> delivered_{0};
};

// Routes alice -> user k among `users` registered users.
void BM_Route(benchmark::State& state) {
  const auto users = static_cast<int>(state.range(0));
  chat::registry reg;
  chat::router router(reg, "bench");
  std::vector<std::shared_ptr<sink>> sinks;
  for (int i = 0; i < users; ++i) {
    sinks.push_back(std::make_shared<sink>(name('c', i), name('u', i)));
    if (!reg.add(sinks.back())) state.SkipWithError("duplicate id");
  }
  chat::v1::Send send;
  send.set_id("c-1");
  send.set_to(name('u', users / 2));
  const std::string body(64, 'x');

  // Make sure the data is right before timing it.
  send.set_text(body);
  const auto check = router.route({"alice", "a1"}, send);
  if (!check.has_sent() || sinks[users / 2]->delivered() != 1) {
    state.SkipWithError("route did not deliver");
    return;
  }
  for (auto _ : state) {
    send.set_text(body);
    auto answer = router.route({"alice", "a1"}, send);
    benchmark::DoNotOptimize(answer);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() *
                          static_cast<std::int64_t>(body.size()));
}
BENCHMARK(BM_Route)->Arg(1'000)->Arg(100'000);

// Registry lookup under contention from several threads.
void BM_RegistrySnapshot(benchmark::State& state) {
  static chat::registry reg;
  static std::vector<std::shared_ptr<sink>> sinks;
  if (state.thread_index() == 0 && sinks.empty()) {
    for (int i = 0; i < 100'000; ++i) {
      sinks.push_back(std::make_shared<sink>(name('c', i), name('u', i)));
      (void)reg.add(sinks.back());
    }
  }
  std::vector<std::shared_ptr<chat::connection>> out;
  std::uint64_t i = static_cast<std::uint64_t>(state.thread_index()) * 7919;
  std::vector<std::string> names;
  for (int k = 0; k < 1024; ++k) names.push_back(name('u', (k * 97) % 100'000));
  for (auto _ : state) {
    benchmark::DoNotOptimize(reg.snapshot(names[i++ & 1023], out));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RegistrySnapshot)->Threads(1)->Threads(2);

}  // namespace
