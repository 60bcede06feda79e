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

  /// Stops accepting, closes every connection with 1001 "going away" after
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

  /// Live connections of `user` on this server.
  std::size_t connections(std::string_view user) const;
  bool online(std::string_view user) const { return connections(user) > 0; }

  /// Live connections in all.
  std::size_t connection_count() const;

  const config& settings() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace chat
