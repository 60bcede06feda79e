// How fast is a lookup in the registry (user -> connections, connection id
// -> connection) with 1k to 1M users, and under contention from several
// threads.
#include "population.hpp"

#include <benchmark/benchmark.h>

namespace {

// 1,024 names spread over the population; each thread starts elsewhere.
std::vector<std::string> keys(char prefix, std::int64_t users) {
  std::vector<std::string> out;
  for (std::int64_t k = 0; k < 1024; ++k)
    out.push_back(bench::name(prefix, (k * 7919) % users));
  return out;
}

// What a route to `to` does: the user's connections, copied out.
void BM_RegistrySnapshot(benchmark::State& state) {
  const auto users = state.range(0);
  const bench::population& p = bench::populated(users);
  const auto names = keys('u', users);
  std::vector<std::shared_ptr<chat::connection>> out;
  for (const auto& n : names) {
    if (p.reg.snapshot(n, out) != 1 || out[0]->user() != n) {
      state.SkipWithError("lookup found the wrong connections");
      return;
    }
  }
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 131;
  for (auto _ : state) {
    benchmark::DoNotOptimize(p.reg.snapshot(names[i++ & 1023], out));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RegistrySnapshot)
    ->RangeMultiplier(10)
    ->Range(1'000, 1'000'000)
    ->Threads(1)
    ->Threads(2);

// What a route to `toConnection` does.
void BM_RegistryFind(benchmark::State& state) {
  const auto users = state.range(0);
  const bench::population& p = bench::populated(users);
  const auto ids = keys('c', users);
  for (const auto& id : ids) {
    const auto c = p.reg.find(id);
    if (!c || c->id() != id) {
      state.SkipWithError("find returned the wrong connection");
      return;
    }
  }
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 131;
  for (auto _ : state) {
    benchmark::DoNotOptimize(p.reg.find(ids[i++ & 1023]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RegistryFind)
    ->RangeMultiplier(10)
    ->Range(1'000, 1'000'000)
    ->Threads(1)
    ->Threads(2);

}  // namespace
