// chat/router.hpp: routes each send to exactly the addressed user.
//
// The router stamps the sender from the authenticated connection, finds the
// recipient's live connections in the registry, hands each of them the same
// envelope, and returns the one answer the sender gets. It does no I/O:
// delivery is the connection's `deliver()`, which only queues.
#pragma once

#include <chat/connection.hpp>
#include <chat/hooks.hpp>
#include <chat/registry.hpp>
#include <chat/v1/chat.pb.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace chat {
namespace detail {
class delivery;
struct reply_to;
}  // namespace detail

/// True for a name a user may have: 1 to 64 bytes of ASCII letters, digits
/// and `.`, `_`, `-`, `@`.
bool valid_user_name(std::string_view name) noexcept;

/// Who sends: the authenticated user, and the connection it sent on (empty
/// for a message the embedding program sends as a service user).
struct sender {
  std::string_view user;
  std::string_view connection_id;
};

/// Thread safety: every member may be called from any thread. Per sender
/// connection, sends routed one after another reach each recipient
/// connection in that order.
class router {
 public:
  /// `h`, when given, supplies the on_message hook and must outlive the
  /// router. With a mailbox (the server always has one), sends to a user
  /// are stored until acked, deduplicated and acknowledged by receipts;
  /// without one, a send reaches the live connections or is refused
  /// (RECIPIENT_OFFLINE). Message ids are the router's start time and a
  /// counter, at most 15 characters; `node`, when given, prefixes them,
  /// for routers of a cluster whose nodes may start in the same
  /// millisecond (a cluster's stored messages take the stream's sequence).
  explicit router(registry& reg, const hooks* h = nullptr,
                  detail::delivery* box = nullptr, std::string_view node = {});

  /// Routes one send and returns the sender's answer: a `sent` frame, or an
  /// `error` frame carrying the send's id. When the answer has to wait (for
  /// a durable store's write), returns a frame with no `frame` set and
  /// gives the answer later to `later`, or when that is null to the sending
  /// connection (`from.connection_id`).
  v1::ServerFrame route(const sender& from, v1::Send& send,
                        const detail::reply_to* later = nullptr);

  /// Registers `c` and hands it what is waiting for its user (queued and
  /// unacked messages, then receipts); false when its id is taken.
  [[nodiscard]] bool attach(const std::shared_ptr<connection>& c);

  /// Unregisters `c`; false when it was not registered.
  bool detach(const connection& c);

  /// The user of `c` acknowledges `message_id` (an in-process endpoint
  /// does so when it is handed a message).
  void ack(const connection& c, std::string_view message_id);

  /// Whether `user` has a live connection (in a cluster, on any node).
  bool online(std::string_view user) const;

  /// Empty while delivery is healthy; else why (for /readyz).
  std::string problem() const;

  /// Handles any client frame from an authenticated connection; returns the
  /// frame to answer with, or a frame with no `frame` set when none is due.
  v1::ServerFrame handle(const connection& from, v1::ClientFrame& frame);

  /// Refuses sends from now on with `unavailable` (during shutdown).
  void close() noexcept { closed_.store(true, std::memory_order_relaxed); }

  registry& connections() noexcept { return reg_; }

  /// Messages routed to at least one connection, since start.
  std::uint64_t delivered() const noexcept;

  /// Messages handed to a recipient connection, since start: a send to a
  /// user with two connections counts two.
  std::uint64_t deliveries() const noexcept;

  /// True once close() was called.
  bool closed() const noexcept {
    return closed_.load(std::memory_order_relaxed);
  }

 private:
  // Makes `id` a new message id, in place (keeping its storage).
  void next_message_id(std::string& id);
  void make_message(const sender& from, v1::Send& send, std::string_view to,
                    envelope& env);
  // The message for `send`, with a new message id, built in its envelope;
  // null when the embedder's policy hook refuses it.
  envelope_ptr build(const sender& from, v1::Send& send, std::string_view to);
  v1::ServerFrame store_and_forward(const sender& from, v1::Send& send,
                                    const detail::reply_to* later);
  v1::ServerFrame forward(const sender& from, v1::Send& send,
                          const detail::reply_to* later);

  registry& reg_;
  std::string id_prefix_;  // [node-] then the start time, 7 base-64 digits
  const hooks* hooks_;
  detail::delivery* box_;
  std::atomic<std::uint64_t> seq_{0};
  std::atomic<std::uint64_t> delivered_{0};
  // Deliveries beyond the first of each message (to a user's other
  // connections): one shared counter to bump per message, not two.
  std::atomic<std::uint64_t> extra_deliveries_{0};
  std::atomic<bool> closed_{false};
};

/// Makes an error frame answering the send with client id `id`.
v1::ServerFrame make_error(errc code, std::string message, std::string id = {});

}  // namespace chat
