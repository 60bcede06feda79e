// Prometheus text rendering of detail::metrics.
#include "core/metrics.hpp"

#include <algorithm>
#include <cstdio>

namespace chat::detail {
namespace {

void header(std::string& out, std::string_view name, std::string_view type,
            std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

template <typename T>
void sample(std::string& out, std::string_view name, std::string_view labels,
            T value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(std::to_string(value)).append("\n");
}

std::string label(std::string_view key, std::string_view value) {
  // Label values here are fixed names or a node id; none needs escaping.
  return std::string(key) + "=\"" + std::string(value) + "\"";
}

// Seconds with enough digits for a nanosecond count, without trailing noise.
std::string seconds(std::uint64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(ns) / 1e9);
  return buf;
}

}  // namespace

std::string_view to_string(transport_kind t) noexcept {
  switch (t) {
    case transport_kind::ws:
      return "ws";
    case transport_kind::tcp:
      return "tcp";
    case transport_kind::inproc:
      return "inproc";
    case transport_kind::apigw:
      return "apigw";
    default:
      return "unknown";
  }
}

std::string_view to_string(refusal r) noexcept {
  switch (r) {
    case refusal::invalid_user:
      return "invalid_user";
    case refusal::unauthorized:
      return "unauthorized";
    case refusal::forbidden:
      return "forbidden";
    case refusal::not_found:
      return "not_found";
    case refusal::bad_subprotocol:
      return "bad_subprotocol";
    case refusal::shutting_down:
      return "shutting_down";
    case refusal::no_hello:
      return "no_hello";
    case refusal::too_many:
      return "too_many";
    case refusal::bad_handshake:
      return "bad_handshake";
    default:
      return "unknown";
  }
}

void latency_histogram::observe(std::chrono::nanoseconds d) noexcept {
  const auto ns =
      static_cast<std::uint64_t>(std::max<std::int64_t>(0, d.count()));
  const auto it = std::lower_bound(bounds_ns.begin(), bounds_ns.end(), ns);
  buckets_[static_cast<std::size_t>(it - bounds_ns.begin())].fetch_add(
      1, std::memory_order_relaxed);
  sum_ns_.fetch_add(ns, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void latency_histogram::render(std::string& out, std::string_view name) const {
  // Buckets are stored apart and made cumulative here, so observe() touches
  // one bucket only.
  std::uint64_t cumulative = 0;
  const std::string bucket = std::string(name) + "_bucket";
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    const std::string le =
        i < bounds_ns.size() ? seconds(bounds_ns[i]) : std::string("+Inf");
    sample(out, bucket, label("le", le), cumulative);
  }
  out.append(name)
      .append("_sum ")
      .append(seconds(sum_ns_.load(std::memory_order_relaxed)))
      .append("\n");
  // The count is the +Inf bucket, so that the two always agree in a scrape.
  sample(out, std::string(name) + "_count", "", cumulative);
}

std::string metrics::render(std::string_view node, std::string_view version,
                            std::uint64_t deliveries) const {
  std::string out;
  out.reserve(4096);
  header(out, "chat_build_info", "gauge",
         "Version and node id of this server.");
  sample(out, "chat_build_info",
         label("version", version) + "," + label("node", node), 1);

  const auto up = std::chrono::steady_clock::now() - started;
  header(out, "chat_uptime_seconds", "gauge",
         "Seconds since the server was made.");
  out.append("chat_uptime_seconds ")
      .append(seconds(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(up).count())))
      .append("\n");

  constexpr auto kinds = static_cast<std::size_t>(transport_kind::count_);
  header(out, "chat_connections", "gauge", "Live connections, by transport.");
  for (std::size_t i = 0; i < kinds; ++i) {
    sample(out, "chat_connections",
           label("transport", to_string(static_cast<transport_kind>(i))),
           connections_open[i].value());
  }
  header(out, "chat_connections_opened_total", "counter",
         "Connections authenticated and registered, by transport.");
  for (std::size_t i = 0; i < kinds; ++i) {
    sample(out, "chat_connections_opened_total",
           label("transport", to_string(static_cast<transport_kind>(i))),
           connections_opened[i].value());
  }

  header(out, "chat_handshakes_refused_total", "counter",
         "Handshakes refused, by reason.");
  for (std::size_t i = 0; i < handshakes_refused.size(); ++i) {
    sample(out, "chat_handshakes_refused_total",
           label("reason", to_string(static_cast<refusal>(i))),
           handshakes_refused[i].value());
  }

  header(out, "chat_sends_total", "counter",
         "Sends answered, by outcome: ACCEPTED (delivered or queued) or the "
         "error code.");
  for (std::size_t i = 0; i < sends.size(); ++i) {
    const std::string_view outcome =
        i == 0 ? "ACCEPTED" : to_code_string(static_cast<errc>(i));
    sample(out, "chat_sends_total", label("outcome", outcome),
           sends[i].value());
  }

  header(out, "chat_deliveries_total", "counter",
         "Messages handed to a recipient connection (a send to a user with two "
         "connections is two).");
  sample(out, "chat_deliveries_total", "", deliveries);

  header(out, "chat_route_latency_seconds", "histogram",
         "Time to route one send and make its answer.");
  route_latency.render(out, "chat_route_latency_seconds");
  return out;
}

}  // namespace chat::detail
