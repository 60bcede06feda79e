// What durability costs: routing a send to an offline user through the
// mailbox, memory only vs the SQLite journal (WAL, synchronous=FULL, one
// transaction per batch on the store thread). Timed until every answer is
// back, so the SQLite figure includes the fsync it waits for.
#include <chat/router.hpp>

#include "store/mailbox.hpp"
#include "store/sqlite_journal.hpp"

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <unistd.h>

namespace {

using namespace chat;

void run(benchmark::State& state, detail::journal* j) {
  registry reg;
  detail::mailbox box(
      reg,
      {.inbox_max_messages = 1u << 30, .inbox_max_bytes = std::size_t{1} << 40},
      j);
  router route(reg, nullptr, &box);
  std::atomic<std::uint64_t> answered{0};
  std::uint64_t issued = 0;
  const detail::reply_to later{{}, [&answered](v1::ServerFrame f) {
                                 if (f.has_sent()) answered.fetch_add(1);
                               }};
  for (auto _ : state) {
    v1::Send s;
    s.set_id("c-" + std::to_string(issued));
    s.set_to("bob");
    s.set_text("a 64-byte chat message body, about what people type a lot.");
    const auto now = route.route({"alice", ""}, s, &later);
    if (now.has_sent()) answered.fetch_add(1);
    ++issued;
  }
  while (answered.load() < issued) std::this_thread::yield();
  if (box.inbox_size("bob") != issued) state.SkipWithError("lost messages");
  state.SetItemsProcessed(static_cast<std::int64_t>(issued));
}

void BM_StoreMemory(benchmark::State& state) { run(state, nullptr); }
BENCHMARK(BM_StoreMemory)->UseRealTime();

void BM_StoreSqlite(benchmark::State& state) {
  char path[] = "/tmp/chat-store-bench-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return state.SkipWithError("mkstemp failed");
  ::close(fd);
  std::remove(path);
  std::string error;
  auto j = detail::sqlite_journal::open(path, error);
  if (!j) return state.SkipWithError(error.c_str());
  j->start();
  run(state, j.get());
  state.counters["commits"] = static_cast<double>(j->commits());
  state.counters["ms_per_commit"] =
      j->commits() ? static_cast<double>(j->commit_ns()) / 1e6 /
                         static_cast<double>(j->commits())
                   : 0;
  j->stop();
  j.reset();
  for (const char* ext : {"", "-wal", "-shm"})
    std::remove((std::string(path) + ext).c_str());
}
BENCHMARK(BM_StoreSqlite)->UseRealTime();

}  // namespace
