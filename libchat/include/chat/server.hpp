// chat/server.hpp: the facade that runs a chat server.
//
// A `config` in; I/O threads, the router and the transports out. `chatd`,
// the Python bindings and C++ embedders all run the server through this
// class.
#pragma once

#include <chat/config.hpp>
#include <chat/endpoint.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

namespace chat {

/// A snapshot of a running server's counters.
struct server_stats {
  std::size_t connections = 0;        ///< Live connections, all transports.
  std::uint64_t messages_routed = 0;  ///< Messages delivered since start.
  std::size_t threads = 0;            ///< I/O threads.
};

/// Thread safety: `start()` and `stop()` are called by the owner, not
/// concurrently with each other; every other member may be called from any
/// thread once `start()` has succeeded.
class server {
 public:
  explicit server(config cfg);
  ~server();  ///< Stops the server if it runs.
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds the listeners and starts the I/O threads. On failure (a bad
  /// address, a port in use) nothing runs and the error says why.
  [[nodiscard]] std::error_code start();

  /// Stops accepting, closes every connection with
  /// `config::shutdown_close_code` (1001 "going away" unless set) after
  /// flushing what is queued for it (up to `drain_timeout`), joins the
  /// threads. Idempotent.
  void stop();

  /// The bound WebSocket port (the real one when configured as 0), or 0.
  std::uint16_t port() const noexcept;

  /// The bound raw TCP port, or 0 when TCP is off.
  std::uint16_t tcp_port() const noexcept;

  /// The bound API Gateway integration port, or 0 when apigw is off.
  std::uint16_t apigw_port() const noexcept;

  /// Registers an in-process connection for `user`. Frames for it go to
  /// `on_frame` (called on an I/O thread) when given, else to its
  /// `receive()` queue. Returns null for an invalid user name or when the
  /// server does not run.
  std::shared_ptr<endpoint> attach(
      std::string user,
      std::function<void(const v1::ServerFrame&)> on_frame = {});

  /// Routes `send` as `from_user`, a service user with no connection of its
  /// own (so it may also be a user that is online), and returns the answer
  /// (`sent` or `error`). Runs the on_message hook on the calling thread.
  v1::ServerFrame send(std::string_view from_user, v1::Send send);

  /// Closes the connection with this id, or else every connection of the
  /// user with this name, with 1008 "disconnected by the server". Returns
  /// how many connections were told to close.
  std::size_t disconnect(std::string_view user_or_connection);

  /// Counters of this server; cheap (a few atomic loads).
  server_stats stats() const;

  /// Live connections of `user` on this server.
  std::size_t connections(std::string_view user) const;
  /// Whether `user` has a live connection; in a cluster, on any node (then
  /// it may ask NATS and wait up to 2 s: not for an I/O thread).
  bool online(std::string_view user) const;

  /// Live connections in all.
  std::size_t connection_count() const;

  const config& settings() const noexcept;

  /// The server's metrics in the Prometheus text exposition format (what
  /// `GET /metrics` serves), for embedders that serve them elsewhere.
  std::string metrics_text() const;

  /// Running and not draining: what `GET /readyz` reports.
  bool ready() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace chat
