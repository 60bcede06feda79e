// detail::delivery: what the router hands a send to a user to.
//
// On one node the mailbox implements it (memory or SQLite); in a cluster
// the NATS bus does (bus/cluster.hpp), with JetStream as the shared inbox.
// The router makes one virtual call per step and nothing else.
#pragma once

#include <chat/connection.hpp>
#include <chat/envelope.hpp>
#include <chat/v1/chat.pb.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace chat::detail {

/// Where an answer goes when it cannot be given at once: `fn` if set, else
/// the connection with this id, if it is still there.
struct reply_to {
  std::string connection_id;
  std::function<void(v1::ServerFrame)> fn;
};

/// Thread safety: every member may be called from any thread.
class delivery {
 public:
  virtual ~delivery() = default;

  /// If (sender, client id) was accepted before, the original answer; when
  /// that answer is still being made, nullopt with `deferred` set, and `to`
  /// gets it later.
  virtual std::optional<v1::ServerFrame> resend(std::string_view sender,
                                                const std::string& client_id,
                                                reply_to& to,
                                                bool& deferred) = 0;

  /// Stores the message in `env` for its recipient and hands it to the
  /// recipient's live connections. Returns the sender's answer, or nullopt
  /// when it comes later through `to`.
  virtual std::optional<v1::ServerFrame> submit(envelope_ptr env,
                                                std::string client_id,
                                                reply_to to) = 0;

  /// True when `connection_id` names a connection of another node.
  virtual bool remote(std::string_view /*connection_id*/) const {
    return false;
  }
  /// Hands a `toConnection` message to the node that has the connection;
  /// the answer comes through `to`.
  virtual void forward(envelope_ptr /*env*/,
                       const std::string& /*connection_id*/,
                       std::string /*client_id*/, reply_to /*to*/) {}

  /// Registers `c` and hands it what waits for its user; false when its id
  /// is taken (nothing done).
  [[nodiscard]] virtual bool attach(const std::shared_ptr<connection>& c) = 0;
  /// Unregisters `c`; false when it was not registered.
  virtual bool detach(const connection& c) = 0;

  virtual void ack(const connection& c, std::string_view message_id,
                   bool cumulative) = 0;
  virtual void read(const connection& c, std::string_view message_id) = 0;

  /// Whether `user` has a live connection anywhere (may ask the cluster:
  /// not for an I/O thread).
  virtual bool online(std::string_view user) const = 0;

  /// Messages handed to >= 1 live connection, and connections handed a
  /// message, since start (/metrics).
  virtual std::uint64_t delivered() const noexcept = 0;
  virtual std::uint64_t deliveries() const noexcept = 0;

  /// Empty while healthy; else why the node should take no new clients.
  virtual std::string problem() const = 0;
};

}  // namespace chat::detail
