// chat::check: the settings that are wrong together, said before anything
// starts.
#include <chat/config.hpp>

namespace chat {

std::string check(const config& c) {
  if ((c.rate_limit == 0) != (c.rate_burst == 0)) {
    return "rate_limit and rate_burst must be set together: both above 0, "
           "or both 0 (off)";
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return "tls_cert and tls_key must be set together";
  }
  if (c.max_send_queue_bytes < c.max_message_bytes) {
    return "max_send_queue_bytes must be at least max_message_bytes, or one "
           "message could never be queued";
  }
  if (c.handshake_timeout.count() <= 0 || c.write_timeout.count() <= 0 ||
      c.idle_timeout.count() <= 0 || c.ping_interval.count() <= 0) {
    return "handshake_timeout, idle_timeout, ping_interval and write_timeout "
           "must be above 0";
  }
  if (c.max_connection_lifetime.count() < 0) {
    return "max_connection_lifetime must not be negative (0: no limit)";
  }
  return {};
}

}  // namespace chat
