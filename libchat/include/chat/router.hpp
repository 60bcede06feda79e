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
  /// `node` prefixes the message ids this router makes; `h`, when given,
  /// supplies the on_message hook and must outlive the router.
  router(registry& reg, std::string node, const hooks* h = nullptr);

  /// Routes one send and returns the sender's answer: a `sent` frame, or an
  /// `error` frame carrying the send's id.
  v1::ServerFrame route(const sender& from, v1::Send& send);

  /// Handles any client frame from an authenticated connection; returns the
  /// frame to answer with, or a frame with no `frame` set when none is due.
  v1::ServerFrame handle(const connection& from, v1::ClientFrame& frame);

  /// Refuses sends from now on with `unavailable` (during shutdown).
  void close() noexcept { closed_.store(true, std::memory_order_relaxed); }

  registry& connections() noexcept { return reg_; }

  /// Messages routed to at least one connection, since start.
  std::uint64_t delivered() const noexcept {
    return delivered_.load(std::memory_order_relaxed);
  }

  /// Messages handed to a recipient connection, since start: a send to a
  /// user with two connections counts two.
  std::uint64_t deliveries() const noexcept {
    return deliveries_.load(std::memory_order_relaxed);
  }

  /// True once close() was called.
  bool closed() const noexcept {
    return closed_.load(std::memory_order_relaxed);
  }

 private:
  std::string next_message_id();

  registry& reg_;
  std::string node_;
  const hooks* hooks_;
  std::atomic<std::uint64_t> seq_{0};
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> deliveries_{0};
  std::atomic<bool> closed_{false};
};

/// Makes an error frame answering the send with client id `id`.
v1::ServerFrame make_error(errc code, std::string message, std::string id = {});

}  // namespace chat
