// chat/connection.hpp: the router's handle on one live connection.
//
// Whatever carries a connection (a WebSocket, a TCP socket, an in-process
// endpoint) implements this interface. The router calls it from any thread;
// the implementation moves the work onto the connection's own thread, so its
// state is never locked on the hot path.
#pragma once

#include <chat/envelope.hpp>
#include <chat/v1/chat.pb.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace chat {
namespace detail {
struct context;
}

/// WebSocket close codes (RFC 6455, section 7.4.1), used on every transport.
enum class close_code : std::uint16_t {
  normal = 1000,
  going_away = 1001,
  protocol_error = 1002,
  invalid_payload = 1007,
  policy_violation = 1008,
  too_big = 1009,
  internal_error = 1011,
  service_restart = 1012,
  try_again_later = 1013,
};

/// Thread safety: `id()` and `user()` are set before the connection is
/// registered and never change after; `deliver`, `notify` and `close` may be
/// called from any thread and never block.
class connection {
 public:
  virtual ~connection() = default;

  /// This connection's id, unique in the cluster; `toConnection` addresses it.
  const std::string& id() const noexcept { return id_; }

  /// The authenticated user this connection belongs to.
  const std::string& user() const noexcept { return user_; }

  /// Queues a routed message for this connection.
  virtual void deliver(envelope_ptr env) = 0;

  /// Queues any other server frame (an answer, an error, a pong).
  virtual void notify(v1::ServerFrame frame) = 0;

  /// Flushes what is queued, then closes with `code`.
  virtual void close(close_code code, std::string_view reason) = 0;

 protected:
  connection() = default;
  connection(std::string id, std::string user)
      : id_(std::move(id)), user_(std::move(user)) {}

  /// Names the connection before it is registered; the server's transports
  /// do this once they know the user.
  void bind(std::string id, std::string user) {
    id_ = std::move(id);
    user_ = std::move(user);
  }

 private:
  friend struct detail::context;

  std::string id_;
  std::string user_;
};

}  // namespace chat
