// How fast does the router route one message: registry lookup, envelope,
// enqueue on the recipient's connection (a queue without a socket here, so
// the figure is the router's own cost); alone, and the way the server
// routes, through the mailbox, with the recipient's ack.
#include "core/clock.hpp"
#include "population.hpp"
#include "stored.hpp"

#include <benchmark/benchmark.h>

#include <optional>

namespace {

// Each thread routes from its own sender to its own recipient among `users`
// registered users, with a 64-byte body, `per_read` messages for each read
// of the clock: 1 where each read from a socket brings one frame (the
// router's cost plus a clock read), 16 where a read brings a connection's
// window of 16 at once (the clock's cost shared, as the transports share
// it: detail::received_at).
void BM_Route(benchmark::State& state) {
  const auto users = state.range(0);
  const auto per_read = state.range(1);
  bench::population& p = bench::populated(users);
  const auto to = users / 2 + state.thread_index();
  bench::sink& recipient = *p.sinks[static_cast<std::size_t>(to)];
  const std::string sender = bench::name('s', state.thread_index());
  const std::string body(64, 'x');
  chat::v1::Send send;
  send.set_id("c-1");
  send.set_to(recipient.user());

  // Make sure the data is right before timing it.
  send.set_text(body);
  const auto before = recipient.delivered();
  const auto check = p.router.route({sender, "a1"}, send);
  if (!check.has_sent() || recipient.delivered() != before + 1 ||
      recipient.last()->message().text() != body ||
      recipient.last()->message().from() != sender) {
    state.SkipWithError("route did not deliver");
    return;
  }
  std::optional<chat::detail::received_at> read;
  std::int64_t in_read = 0;
  for (auto _ : state) {
    if (in_read-- == 0) {
      read.reset();
      read.emplace();
      in_read = per_read - 1;
    }
    send.set_text(body);
    auto answer = p.router.route({sender, "a1"}, send);
    benchmark::DoNotOptimize(answer);
    chat::detail::recycle(answer);  // as the transports do once encoded
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() *
                          static_cast<std::int64_t>(body.size()));
}
BENCHMARK(BM_Route)
    ->ArgNames({"users", "per_read"})
    ->ArgsProduct({{1'000, 1'000'000}, {1, 16}})
    ->Threads(1)
    ->Threads(2);

// Route + ack through an in-memory mailbox (what chatd does): the message
// is stored until the recipient acks it, the ack removes it and sends the
// sender a DELIVERED receipt.
void BM_RouteStored(benchmark::State& state) {
  bench::stored_traffic t;
  if (!t.check()) {
    state.SkipWithError("route + ack did not deliver and clear the inbox");
    return;
  }
  for (auto _ : state) {
    t.load();
    benchmark::DoNotOptimize(t.route_and_ack());
  }
  if (!t.inbox_empty()) state.SkipWithError("the inbox grew");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouteStored);

}  // namespace
