// bench::stored: what the server routes through: a router with an
// in-memory mailbox (store until acked, dedup, receipts), 1,000 users with
// one sink each, and one message routed and acked the way chatd does it.
// Uses the private mailbox header, as store_bench does.
#pragma once

#include <chat/router.hpp>

#include "core/answers.hpp"
#include "sink.hpp"
#include "store/mailbox.hpp"

#include <charconv>
#include <memory>
#include <vector>

namespace bench {

struct stored {
  chat::registry reg;
  chat::detail::mailbox box{reg, {}};
  chat::router router{reg, nullptr, &box};
  std::vector<std::shared_ptr<sink>> sinks;

  stored() {
    for (int i = 0; i < 1'000; ++i) {
      sinks.push_back(std::make_shared<sink>(name('c', i), name('u', i)));
      if (!router.attach(sinks.back())) std::abort();
    }
  }
};

/// One sender's traffic to user u500 through the mailbox: each message is
/// routed from "alice" with a new client id (so that dedup does not answer
/// it), then acked as the recipient's client does.
class stored_traffic {
 public:
  stored_traffic() : bob_(*s_.sinks[500]), body_(64, 'x') {
    send_.set_to(bob_.user());
  }

  /// Puts the body in the send (the router moves it out each time).
  void load() { send_.set_text(body_); }

  /// Routes the loaded send and acks it; true when the sender was answered
  /// `sent` (the answer then goes back to the thread's spare, as the
  /// transports give it once encoded).
  bool route_and_ack() {
    char id[24];
    const auto end = std::to_chars(id, id + sizeof id, n_++).ptr;
    send_.set_id(id, static_cast<std::size_t>(end - id));
    auto answer = s_.router.route({"alice", "a1"}, send_);
    const bool sent = answer.has_sent();
    ack_.mutable_ack()->set_message_id(answer.sent().message_id());
    (void)s_.router.handle(bob_, ack_);
    chat::detail::recycle(answer);
    return sent;
  }

  /// True when one message goes through: answered, delivered once with its
  /// body, and gone from the inbox after the ack.
  bool check() {
    const auto before = bob_.delivered();
    load();
    return route_and_ack() && bob_.delivered() == before + 1 &&
           bob_.last()->message().text() == body_ && inbox_empty();
  }

  bool inbox_empty() const { return s_.box.inbox_size(bob_.user()) == 0; }

 private:
  stored s_;
  sink& bob_;
  std::string body_;
  chat::v1::Send send_;
  chat::v1::ClientFrame ack_;
  std::uint64_t n_ = 0;
};

}  // namespace bench
