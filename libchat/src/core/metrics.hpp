// detail::metrics: the server's counters, gauges and the route latency
// histogram, rendered in the Prometheus text exposition format.
//
// Every update is one relaxed atomic add: nothing on the message path takes
// a lock, and a scrape reads each value once without stopping anyone. A
// scrape is therefore not a snapshot of one instant; each value is exact.
// A new metric is a member here and a few lines in render().
#pragma once

#include <chat/error.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace chat::detail {

/// A monotonically increasing count. Thread safety: any thread.
class counter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    v_.fetch_add(n, std::memory_order_relaxed);
  }
  std::uint64_t value() const noexcept {
    return v_.load(std::memory_order_relaxed);
  }

 private:
  // Own cache line, so counters bumped by different threads do not share one.
  alignas(64) std::atomic<std::uint64_t> v_{0};
};

/// A value that goes up and down. Thread safety: any thread.
class gauge {
 public:
  void add(std::int64_t n) noexcept {
    v_.fetch_add(n, std::memory_order_relaxed);
  }
  std::int64_t value() const noexcept {
    return v_.load(std::memory_order_relaxed);
  }

 private:
  alignas(64) std::atomic<std::int64_t> v_{0};
};

/// Fixed buckets of durations, from 5 µs to 100 ms and +Inf. Thread safety:
/// any thread.
class latency_histogram {
 public:
  static constexpr std::array<std::uint64_t, 14> bounds_ns{
      5'000,      10'000,     25'000,     50'000,     100'000,
      250'000,    500'000,    1'000'000,  2'500'000,  5'000'000,
      10'000'000, 25'000'000, 50'000'000, 100'000'000};

  void observe(std::chrono::nanoseconds d) noexcept;
  /// Appends the `_bucket`, `_sum` and `_count` lines of `name`.
  void render(std::string& out, std::string_view name) const;

 private:
  std::array<std::atomic<std::uint64_t>, bounds_ns.size() + 1> buckets_{};
  std::atomic<std::uint64_t> sum_ns_{0};
  std::atomic<std::uint64_t> count_{0};
};

/// Which transport carries a connection; the label of the connection metrics.
enum class transport_kind : std::uint8_t { ws, tcp, inproc, apigw, count_ };
std::string_view to_string(transport_kind t) noexcept;

/// Why a handshake was refused; the label of chat_handshakes_refused_total.
enum class refusal : std::uint8_t {
  invalid_user,     // missing or invalid user name (400)
  unauthorized,     // the authenticate hook said 401
  forbidden,        // the authenticate hook said 403
  not_found,        // an upgrade to a path other than /ws
  bad_subprotocol,  // none of the offered subprotocols is ours
  shutting_down,    // the server is draining
  no_hello,         // raw TCP: the first frame was not a hello, or none came
  too_many,         // over a per-address connection cap (429)
  bad_handshake,    // not a valid RFC 6455 opening handshake (400, 426)
  count_
};
std::string_view to_string(refusal r) noexcept;

/// Everything the server counts. Owned by the server; outlives transports.
struct metrics {
  std::chrono::steady_clock::time_point started =
      std::chrono::steady_clock::now();

  std::array<counter, static_cast<std::size_t>(transport_kind::count_)>
      connections_opened;
  std::array<gauge, static_cast<std::size_t>(transport_kind::count_)>
      connections_open;
  std::array<counter, static_cast<std::size_t>(refusal::count_)>
      handshakes_refused;
  /// Index 0 is "delivered"; the others are `chat::errc` values.
  std::array<counter, 12> sends;  // 0: accepted, else by errc
  latency_histogram route_latency;

  void opened(transport_kind t) noexcept {
    connections_opened[static_cast<std::size_t>(t)].add();
    connections_open[static_cast<std::size_t>(t)].add(1);
  }
  void closed(transport_kind t) noexcept {
    connections_open[static_cast<std::size_t>(t)].add(-1);
  }
  void refused(refusal r) noexcept {
    handshakes_refused[static_cast<std::size_t>(r)].add();
  }
  /// Counts one send's outcome: delivered (no error) or the error's code.
  void sent(errc code_or_zero) noexcept {
    const auto i = static_cast<std::size_t>(code_or_zero);
    sends[i < sends.size() ? i : 0].add();
  }

  /// The Prometheus text exposition of every metric; `node` and `version`
  /// label chat_build_info. `deliveries` is the router's count of messages
  /// handed to a recipient connection, which it keeps itself.
  std::string render(std::string_view node, std::string_view version,
                     std::uint64_t deliveries) const;
};

}  // namespace chat::detail
