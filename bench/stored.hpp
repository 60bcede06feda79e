// bench::stored: what the server routes through: a router with an
// in-memory mailbox (store until acked, dedup, receipts), 1,000 users with
// one sink each, and one message routed and acked the way chatd does it.
// Uses the private mailbox header, as store_bench does.
#pragma once

#include <chat/router.hpp>

#include "sink.hpp"
#include "store/mailbox.hpp"

#include <charconv>
#include <memory>
#include <vector>

namespace bench {

struct stored {
  chat::registry reg;
  chat::detail::mailbox box{reg, {}};
  chat::router router{reg, "bench", nullptr, &box};
  std::vector<std::shared_ptr<sink>> sinks;

  stored() {
    for (int i = 0; i < 1'000; ++i) {
      sinks.push_back(std::make_shared<sink>(name('c', i), name('u', i)));
      if (!router.attach(sinks.back())) std::abort();
    }
  }
};

/// Routes send number `n` from "alice" to `to` (a new client id each time,
/// so that dedup does not answer it) and acks it as the recipient's client
/// does; returns the sender's answer.
inline chat::v1::ServerFrame route_and_ack(stored& s, sink& to,
                                           chat::v1::Send& send,
                                           chat::v1::ClientFrame& ack,
                                           std::uint64_t n) {
  char id[24];
  const auto end = std::to_chars(id, id + sizeof id, n).ptr;
  send.set_id(id, static_cast<std::size_t>(end - id));
  auto answer = s.router.route({"alice", "a1"}, send);
  ack.mutable_ack()->set_message_id(answer.sent().message_id());
  (void)s.router.handle(to, ack);
  return answer;
}

}  // namespace bench
