// detail::outgoing: one frame in a connection's write queue.
#pragma once

#include <chat/envelope.hpp>

#include <string>
#include <string_view>

namespace chat::detail {

/// Either a routed envelope, shared with the message's other recipients, or
/// a frame this connection owns (an answer, an error).
struct outgoing {
  envelope_ptr env;
  std::string own;
  /// Its bytes as counted against the send queue's bound: 0 for the inbox
  /// handed over when the connection attaches, which the bound exempts.
  std::size_t counted = 0;

  std::string_view bytes(wire_format f) const {
    return env ? std::string_view(env->encoded(f)) : std::string_view(own);
  }
};

}  // namespace chat::detail
