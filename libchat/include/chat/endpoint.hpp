// chat/endpoint.hpp: an in-process connection, for embedding and tests.
//
// `server::attach(user)` registers an endpoint like any other connection:
// users reach it by name or by its connection id, and it sends through the
// same router, without a socket or an encoding step.
#pragma once

#include <chat/v1/chat.pb.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace chat {

/// Thread safety: every member may be called from any thread.
class endpoint {
 public:
  virtual ~endpoint() = default;

  virtual const std::string& id() const noexcept = 0;
  virtual const std::string& user() const noexcept = 0;

  /// Routes one send and returns its answer (`sent` or `error`).
  virtual v1::ServerFrame send(v1::Send send) = 0;

  /// Sends `text` to `to`; `id` is the client id echoed in the answer.
  v1::ServerFrame send(std::string_view to, std::string_view text,
                       std::string_view id = {});

  /// The next frame for this endpoint, waiting up to `timeout`. Frames go
  /// here unless the endpoint was attached with a handler.
  virtual std::optional<v1::ServerFrame> receive(
      std::chrono::milliseconds timeout) = 0;

  /// Unregisters the endpoint; later sends fail with `unavailable`.
  virtual void close() = 0;

  /// True once the endpoint was closed (by `close()`, the server's
  /// `disconnect()` or its stop).
  virtual bool closed() const = 0;
};

}  // namespace chat
