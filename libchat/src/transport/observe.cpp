// What the server tells its operator: structured events, metrics, and the
// timing and counting of every send.
#include "transport/transport.hpp"

#include <future>

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

v1::ServerFrame context::route_send(const sender& from, v1::Send& send,
                                    const reply_to* later) {
  // steady_clock::now() is a vDSO call of a few tens of nanoseconds: cheap
  // enough to time every send rather than a sample.
  const auto start = std::chrono::steady_clock::now();
  v1::ServerFrame answer = route.route(from, send, later);
  stats.route_latency.observe(std::chrono::steady_clock::now() - start);
  // A deferred answer (a durable store's) is counted as accepted; a failed
  // write shows in chat_store_failures_total.
  stats.sent(answer.has_error() ? static_cast<errc>(answer.error().code())
                                : errc{});
  return answer;
}

v1::ServerFrame context::route_send_wait(const sender& from, v1::Send& send) {
  auto answer = std::make_shared<std::promise<v1::ServerFrame>>();
  const reply_to later{
      {}, [answer](v1::ServerFrame f) { answer->set_value(std::move(f)); }};
  v1::ServerFrame now = route_send(from, send, &later);
  if (now.frame_case() != v1::ServerFrame::FRAME_NOT_SET) return now;
  return answer->get_future().get();
}

v1::ServerFrame context::handle(const connection& from,
                                v1::ClientFrame& frame) {
  if (frame.frame_case() == v1::ClientFrame::kSend)
    return route_send({from.user(), from.id()}, *frame.mutable_send());
  return route.handle(from, frame);
}

std::string context::metrics_text() const {
  std::string out = stats.render(node, CHAT_VERSION, route.deliveries());
  const mailbox_stats& m = box.stats();
  const auto counter = [&out](const char* name, const char* help,
                              const std::atomic<std::uint64_t>& v,
                              const char* type = "counter") {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    out.append(name).append(" ").append(
        std::to_string(v.load(std::memory_order_relaxed)));
    out.append("\n");
  };
  counter("chat_messages_stored", "Messages in inboxes: queued or unacked.",
          m.stored, "gauge");
  counter("chat_messages_queued_total",
          "Messages stored for a recipient with no live connection.", m.queued);
  counter("chat_messages_redelivered_total",
          "Stored messages handed to a connection when it connected.",
          m.redelivered);
  counter("chat_messages_acked_total", "Messages acknowledged by recipients.",
          m.acked);
  counter("chat_messages_expired_total",
          "Messages dropped unacked at their TTL.", m.expired);
  counter("chat_sends_deduplicated_total",
          "Resends answered with the original answer.", m.duplicates);
  counter("chat_store_failures_total",
          "Sends refused because the store could not write them.",
          m.store_failures);
  if (const journal* j = box.durable()) {
    const std::atomic<std::uint64_t> commits{j->commits()};
    counter("chat_store_commits_total",
            "Store transactions (each a batch of writes) committed.", commits);
    const std::atomic<std::uint64_t> ns{j->commit_ns()};
    counter("chat_store_commit_nanoseconds_total",
            "Time spent committing store transactions, fsync included.", ns);
  }
  return out;
}

}  // namespace chat::detail
