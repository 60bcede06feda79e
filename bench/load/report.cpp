// chat-load's report: a few lines for people, then one JSON line.
#include "report.hpp"

#include <cstdio>
#include <string>

namespace load {
namespace {

double us(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

// Bytes per connection between two RSS readings; -1 when unknown.
double per_conn(std::uint64_t before, std::uint64_t after, long n) {
  if (n <= 0 || before == 0 || after == 0) return -1;
  return (static_cast<double>(after) - static_cast<double>(before)) /
         static_cast<double>(n);
}

// One JSON object on one line, built key by key.
class json_line {
 public:
  json_line& num(const char* key, double v, int decimals = 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return raw(key, buf);
  }
  json_line& str(const char* key, const std::string& v) {
    return raw(key, "\"" + v + "\"");  // our own values: nothing to escape
  }
  json_line& boolean(const char* key, bool v) {
    return raw(key, v ? "true" : "false");
  }
  std::string done() { return s_ + "}"; }

 private:
  json_line& raw(const char* key, const std::string& v) {
    s_ += s_.size() == 1 ? "\"" : ",\"";
    s_.append(key).append("\":").append(v);
    return *this;
  }
  std::string s_ = "{";
};

std::string url(const options& o) {
  return (o.via == transport::ws ? "ws://" : "tcp://") + o.host + ":" + o.port +
         (o.via == transport::ws ? o.path : "");
}

}  // namespace

int report(const options& o, const readings& r) {
  const tally& t = r.total;
  const double rate =
      r.measured_s > 0 ? static_cast<double>(t.measured) / r.measured_s : 0;
  const double load_cpu =
      r.measured_s > 0 ? r.cpu_s / r.measured_s / o.threads : 0;
  const bool bottleneck = load_cpu >= 0.9;
  const double server_cpu = r.server_cpu_s >= 0 && r.measured_s > 0
                                ? r.server_cpu_s / r.measured_s
                                : -1;
  // Messages per CPU-second the server used: on a shared machine, where
  // other work takes some of the server's core, this is the steadier figure.
  const double per_server_cpu_s =
      r.server_cpu_s > 0 ? static_cast<double>(t.measured) / r.server_cpu_s
                         : -1;
  // Per connection only when every one was made: with failures, which
  // ones the server holds is not known.
  const bool all_made = t.connect_failed == 0;
  const double idle_bytes =
      all_made ? per_conn(r.rss_before, r.rss_idle, o.idle) : -1;
  const double conn_bytes =
      all_made ? per_conn(r.rss_idle, r.rss_active, 2L * o.pairs) : -1;
  const bool ok = r.connected && r.drained && all_made && t.closed == 0 &&
                  r.lost == 0 && t.out_of_order == 0 && t.misrouted == 0 &&
                  t.bad_frames == 0;
  const char* fmt = o.via == transport::tcp ? "protobuf"
                    : o.protobuf            ? "protobuf"
                                            : "json";

  std::printf(
      "chat-load: %s (%s), %d pairs, %zu-byte bodies, window %d, "
      "%d thread%s\n",
      url(o).c_str(), fmt, o.pairs, o.body, o.window, o.threads,
      o.threads == 1 ? "" : "s");
  std::printf("connected: %d pairs + %d idle in %.2f s, %llu failed\n", o.pairs,
              o.idle, r.connect_s,
              static_cast<unsigned long long>(t.connect_failed));
  std::printf("delivered: %llu messages in %.2f s = %.0f msgs/s\n",
              static_cast<unsigned long long>(t.measured), r.measured_s, rate);
  std::printf(
      "latency: p50 %.0f us, p90 %.0f us, p99 %.0f us, "
      "p99.9 %.0f us, max %.0f us\n",
      us(t.latency.quantile(0.5)), us(t.latency.quantile(0.9)),
      us(t.latency.quantile(0.99)), us(t.latency.quantile(0.999)),
      us(t.latency.max()));
  std::printf(
      "checks: %llu sent, %llu lost, %llu out of order or "
      "duplicate, %llu misrouted, %llu rejected, %llu other errors, "
      "%llu bad frames, %llu closed by the server%s\n",
      static_cast<unsigned long long>(t.sent),
      static_cast<unsigned long long>(r.lost),
      static_cast<unsigned long long>(t.out_of_order),
      static_cast<unsigned long long>(t.misrouted),
      static_cast<unsigned long long>(t.rejected),
      static_cast<unsigned long long>(t.other_errors),
      static_cast<unsigned long long>(t.bad_frames),
      static_cast<unsigned long long>(t.closed),
      r.drained ? "" : " (still in flight at the end)");
  for (const auto& [code, n] : t.error_codes)
    std::printf("  error code %d: %llu\n", code,
                static_cast<unsigned long long>(n));
  std::printf("chat-load CPU: %.0f%% of %d thread%s%s\n", 100 * load_cpu,
              o.threads, o.threads == 1 ? "" : "s",
              bottleneck ? ": chat-load was the bottleneck, the figures are "
                           "its limit, not the server's"
                         : " (not the bottleneck)");
  if (o.server_pid) {
    std::printf(
        "server pid %d: CPU %.0f%% of a core (%.0f msgs per "
        "CPU-second), RSS %.1f MB",
        o.server_pid, 100 * server_cpu, per_server_cpu_s,
        static_cast<double>(r.rss_active) / 1e6);
    if (idle_bytes >= 0)
      std::printf(", %.0f B per idle connection", idle_bytes);
    if (conn_bytes >= 0)
      std::printf(", %.0f B per connected client before traffic", conn_bytes);
    std::printf("\n");
  }
  json_line j;
  j.str("url", url(o)).str("format", fmt).num("pairs", o.pairs);
  j.num("body", o.body).num("window", o.window).num("rate", o.rate);
  j.num("threads", o.threads).num("idle", o.idle);
  j.num("seconds", r.measured_s, 3).num("messages", t.measured);
  j.num("msgs_per_s", rate);
  j.num("p50_us", us(t.latency.quantile(0.5)), 1);
  j.num("p90_us", us(t.latency.quantile(0.9)), 1);
  j.num("p99_us", us(t.latency.quantile(0.99)), 1);
  j.num("p999_us", us(t.latency.quantile(0.999)), 1);
  j.num("max_us", us(t.latency.max()), 1);
  j.num("sent", t.sent).num("lost", r.lost).num("out_of_order", t.out_of_order);
  j.num("misrouted", t.misrouted).num("rejected", t.rejected);
  j.num("other_errors", t.other_errors).num("bad_frames", t.bad_frames);
  j.num("closed", t.closed).num("connect_failed", t.connect_failed);
  j.num("acks", t.acks).num("load_cpu", load_cpu, 3);
  j.boolean("load_bottleneck", bottleneck).num("server_cpu", server_cpu, 3);
  j.num("msgs_per_server_cpu_s", per_server_cpu_s);
  j.num("server_rss", r.rss_active).num("rss_per_idle_conn", idle_bytes);
  j.num("rss_per_conn", conn_bytes).boolean("ok", ok);
  std::printf("%s\n", j.done().c_str());
  return ok ? 0 : 1;
}

}  // namespace load
