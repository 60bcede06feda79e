// What the server tells its operator: structured events, metrics, and the
// timing and counting of every send.
#include "transport/transport.hpp"

#ifndef CHAT_VERSION
#define CHAT_VERSION "unknown"
#endif

namespace chat::detail {

void context::emit(const log_event& e) const noexcept {
  if (!wants(e.level)) return;
  const auto& h = cfg.hooks;
  try {
    if (h.on_event) return h.on_event(e);
    if (!h.log) return;
    std::string text(e.name);
    for (const auto& [key, value] : e.fields) {
      if (value.empty()) continue;
      text.append(" ").append(key).append("=").append(value);
    }
    h.log(e.level, text);
  } catch (...) {
    // A failing log hook has nowhere to report to; dropping is all we can do.
  }
}

void context::refused(transport_kind kind, std::string_view remote, refusal why,
                      unsigned status, std::string_view reason) {
  stats.refused(why);
  if (!wants(log_level::info)) return;
  const std::string status_text = std::to_string(status);
  emit({log_level::info,
        "handshake_refused",
        {{"transport", to_string(kind)},
         {"remote", remote},
         {"reason", to_string(why)},
         {"status", status_text},
         {"detail", reason}}});
}

v1::ServerFrame context::route_send(const sender& from, v1::Send& send) {
  // steady_clock::now() is a vDSO call of a few tens of nanoseconds: cheap
  // enough to time every send rather than a sample.
  const auto start = std::chrono::steady_clock::now();
  v1::ServerFrame answer = route.route(from, send);
  stats.route_latency.observe(std::chrono::steady_clock::now() - start);
  stats.sent(answer.has_error() ? static_cast<errc>(answer.error().code())
                                : errc{});
  return answer;
}

v1::ServerFrame context::handle(const connection& from,
                                v1::ClientFrame& frame) {
  if (frame.frame_case() == v1::ClientFrame::kSend)
    return route_send({from.user(), from.id()}, *frame.mutable_send());
  return route.handle(from, frame);
}

std::string context::metrics_text() const {
  return stats.render(node, CHAT_VERSION, route.deliveries());
}

}  // namespace chat::detail
