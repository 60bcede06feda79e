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

  std::string_view bytes(wire_format f) const {
    return env ? std::string_view(env->encoded(f)) : std::string_view(own);
  }
};

}  // namespace chat::detail
