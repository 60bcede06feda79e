// chat/client.hpp: a blocking client for chatd over WebSocket or raw TCP.
//
// Used by the tests, the load generator and the Python bindings. Network I/O
// runs on a `client_context` thread (shared by many clients when given);
// the public calls hand work to it and wait only where they say so.
#pragma once

#include <chat/codec.hpp>
#include <chat/v1/chat.pb.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace chat {

/// One I/O thread that many clients can share. Thread safety: any thread.
class client_context {
 public:
  client_context();
  ~client_context();  ///< Joins the thread; outlive every client using it.
  client_context(const client_context&) = delete;
  client_context& operator=(const client_context&) = delete;

  struct impl;
  impl& get() noexcept { return *impl_; }

 private:
  std::unique_ptr<impl> impl_;
};

struct client_options {
  /// "ws://host:port/ws", "wss://host:port/ws" (TLS) or "tcp://host:port".
  /// For ws a `user` adds `?user=NAME` to the path.
  std::string url;
  /// For wss://: a PEM file of the certificate authorities to trust; empty
  /// trusts the system's. The server's certificate must also name the host.
  std::string ca_file;
  /// The user to connect as (`--auth none`).
  std::string user;
  /// A credential for the server's authenticate hook: `?token=` on ws
  /// (percent-encoded), `hello.token` on raw TCP. Empty sends none.
  std::string token;
  /// JSON text frames or protobuf binary frames; raw TCP is always protobuf.
  wire_format format = wire_format::json;
  /// Limit for connecting plus the handshake.
  std::chrono::milliseconds connect_timeout{5'000};
  /// Largest frame the client accepts.
  std::size_t max_message_bytes = 16 * 1024 * 1024;
  /// Acknowledge each message as `receive()` returns it, so the server
  /// forgets it. Off, the application calls `ack()` itself once it has
  /// kept the message; what it never acks is delivered again on reconnect.
  bool auto_ack = true;
};

/// How the server ended the connection.
struct close_info {
  std::uint16_t code = 0;
  std::string reason;
};

/// Thread safety: every member may be called from any thread.
class client {
 public:
  /// Uses `ctx` for I/O when given, else a context of its own.
  explicit client(client_options opts, client_context* ctx = nullptr);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Connects, performs the handshake and waits for the welcome.
  [[nodiscard]] std::error_code connect();

  /// From the welcome.
  const std::string& connection_id() const noexcept;
  const std::string& user() const noexcept;

  /// Sends `text` to user `to`; returns the client id used (made up when
  /// `id` is empty). The answer arrives through `receive()`.
  std::string send(std::string_view to, std::string_view text,
                   std::string_view id = {});

  /// Sends any frame.
  void send(const v1::ClientFrame& frame);

  /// Sends bytes as they are: a text or binary WebSocket frame, or raw
  /// bytes on TCP. For tests of bad input.
  void send_raw(std::string bytes, bool binary = false);

  /// The next frame from the server, waiting up to `timeout`; nullopt on
  /// timeout or once the connection is closed and drained.
  std::optional<v1::ServerFrame> receive(std::chrono::milliseconds timeout);

  /// Acknowledges a received message (with `cumulative`, also every
  /// message received before it); the sender gets a DELIVERED receipt.
  void ack(std::string_view message_id, bool cumulative = false);

  /// Tells the sender of a received message that it was read (a READ
  /// receipt).
  void read(std::string_view message_id);

  /// Frames received but not yet taken.
  std::size_t pending() const;

  /// True once the connection has ended; `closed_by()` then says how.
  bool closed() const;
  close_info closed_by() const;

  /// Waits up to `timeout` for the connection to end; true if it has.
  bool wait_closed(std::chrono::milliseconds timeout) const;

  /// Closes with 1000 and waits for the server's close, up to 2 s.
  void close();

  struct impl;

 private:
  std::unique_ptr<client_context> own_;  // when no context was given
  std::shared_ptr<impl> impl_;
};

}  // namespace chat
