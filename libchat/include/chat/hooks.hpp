// chat/hooks.hpp: embedder callbacks.
//
// Every hook is optional: an empty one costs a branch and nothing else. Hooks
// run under `try`; an exception escaping one is reported through `log` and
// never reaches the I/O thread that called it.
#pragma once

#include <chat/v1/chat.pb.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chat {

class connection;

/// What a client presented when it connected. Valid only during the call.
struct handshake {
  std::string_view transport;  ///< "ws", "tcp", "inproc" or "apigw".
  /// "127.0.0.1:50123"; empty in-process; on apigw, the peer that called
  /// the integration (API Gateway's VPC link), not the client.
  std::string_view remote_address;
  std::string_view target;  ///< HTTP request target; empty on raw TCP.
  std::string_view user;    ///< The name claimed (`?user=`, hello.user).
  std::string_view token;  ///< `?token=`, `Authorization: Bearer`, hello.token.
  /// HTTP request headers (name, value); empty on raw TCP.
  std::vector<std::pair<std::string_view, std::string_view>> headers;
};

/// An authenticate hook's verdict: a user to accept the connection as, or a
/// refusal with an HTTP status (401 or 403) and a reason for the client.
/// An accepted connection whose credential expires (a JWT's `exp`) carries
/// `expires_at`: the ws and tcp transports close it then with 1008 "token
/// expired".
struct auth_result {
  using time_point = std::chrono::system_clock::time_point;

  std::string user;
  unsigned status = 403;
  std::string reason;
  time_point expires_at = time_point::max();  ///< max: never

  static auth_result accept(std::string user,
                            time_point expires_at = time_point::max()) {
    return {std::move(user), 0, {}, expires_at};
  }
  static auth_result refuse(unsigned status, std::string reason) {
    return {{}, status, std::move(reason), time_point::max()};
  }
  /// Seconds since the epoch (a JWT's `exp`, Python's `time.time()`) as an
  /// `expires_at`, clamped to 1970..2100 so that no value can overflow.
  static time_point at_epoch_seconds(double seconds) noexcept {
    constexpr double latest = 4'102'444'800.0;  // 2100-01-01T00:00:00Z
    if (!(seconds < latest)) seconds = latest;  // NaN too
    if (seconds < 0) seconds = 0;
    return time_point(std::chrono::duration_cast<time_point::duration>(
        std::chrono::duration<double>(seconds)));
  }
};

enum class log_level { trace, debug, info, warn, error, off };

/// The name of a level: "trace", "debug", "info", "warn", "error", "off".
std::string_view to_string(log_level l) noexcept;

/// One thing that happened, with its fields as data, for structured logs.
/// Events: "connect" (connection, user, transport, remote), "disconnect"
/// (connection, user, transport) and "handshake_refused" (transport, remote,
/// reason, status, detail), all at info level. Fields never hold message
/// bodies or tokens. Valid only during the call.
struct log_event {
  log_level level = log_level::info;
  std::string_view name;
  std::vector<std::pair<std::string_view, std::string_view>> fields;
};

struct hooks {
  /// Where the library reports what happened (it never prints). Called from
  /// any thread; must be thread-safe.
  std::function<void(log_level, std::string_view)> log;

  /// Decides who a connecting client is. Unset, the claimed name is taken as
  /// it is (`--auth none`). Runs on the connection's I/O thread during the
  /// handshake; an exception refuses the connection with 403.
  std::function<auth_result(const handshake&)> authenticate;

  /// Sees every message before it is delivered; false refuses it (the
  /// sender gets REJECTED, the recipient nothing). Runs on the sender's I/O
  /// thread, so it must be quick; an exception refuses the message.
  std::function<bool(const v1::Message&)> on_message;

  /// A connection was authenticated and registered. Runs on its I/O thread.
  std::function<void(const connection&)> on_connect;

  /// A registered connection went away. Runs on its I/O thread (on apigw,
  /// the thread of the `$disconnect` request).
  std::function<void(const connection&)> on_disconnect;

  /// Receives connect, disconnect and refused-handshake events with their
  /// fields. Unset, those are reported through `log` as text instead. Called
  /// from any thread; must be thread-safe.
  std::function<void(const log_event&)> on_event;

  /// Messages and events below this level are not formatted at all.
  log_level min_level = log_level::info;
};

}  // namespace chat
