// chat/hooks.hpp: embedder callbacks.
//
// Every hook is optional: an empty one costs a branch and nothing else. Hooks
// run under `try`; an exception escaping one is reported through `log` and
// never reaches the I/O thread that called it.
#pragma once

#include <functional>
#include <string_view>

namespace chat {

class connection;

enum class log_level { trace, debug, info, warn, error, off };

/// The name of a level: "trace", "debug", "info", "warn", "error", "off".
std::string_view to_string(log_level l) noexcept;

struct hooks {
  /// Where the library reports what happened (it never prints). Called from
  /// any thread; must be thread-safe.
  std::function<void(log_level, std::string_view)> log;

  /// A connection was authenticated and registered. Runs on its I/O thread.
  std::function<void(const connection&)> on_connect;

  /// A registered connection went away. Runs on its I/O thread.
  std::function<void(const connection&)> on_disconnect;

  /// Messages below this level are not formatted at all.
  log_level min_level = log_level::info;
};

}  // namespace chat
