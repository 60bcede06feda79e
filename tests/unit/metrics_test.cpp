// detail::metrics without a server: bucket placement, cumulative rendering,
// labels and the exposition format's HELP/TYPE lines.
#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace chat::detail {
namespace {

using namespace std::chrono_literals;

bool has_line(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(MetricsRegistry, HistogramBucketsAreCumulativeAndBoundsInclusive) {
  metrics m;
  m.route_latency.observe(5us);    // on the first bound: counted in it
  m.route_latency.observe(6us);    // the second bucket
  m.route_latency.observe(200ms);  // above every bound: +Inf only
  m.route_latency.observe(-1ns);   // a clock going back counts as zero
  const std::string t = m.render("n1", "0.1.0", 0);
  EXPECT_TRUE(has_line(t, "chat_route_latency_seconds_bucket{le=\"5e-06\"} 2"));
  EXPECT_TRUE(has_line(t, "chat_route_latency_seconds_bucket{le=\"1e-05\"} 3"));
  EXPECT_TRUE(has_line(t, "chat_route_latency_seconds_bucket{le=\"0.1\"} 3"));
  EXPECT_TRUE(has_line(t, "chat_route_latency_seconds_bucket{le=\"+Inf\"} 4"));
  EXPECT_TRUE(has_line(t, "chat_route_latency_seconds_count 4"));
  EXPECT_TRUE(has_line(t, "chat_route_latency_seconds_sum 0.200011"));
}

TEST(MetricsRegistry, EveryFamilyHasHelpAndType) {
  metrics m;
  const std::string t = m.render("n1", "0.1.0", 0);
  for (const char* name :
       {"chat_build_info", "chat_uptime_seconds", "chat_connections",
        "chat_connections_opened_total", "chat_handshakes_refused_total",
        "chat_sends_total", "chat_deliveries_total",
        "chat_route_latency_seconds"}) {
    EXPECT_NE(t.find(std::string("# HELP ") + name + " "), std::string::npos)
        << name;
    EXPECT_NE(t.find(std::string("# TYPE ") + name + " "), std::string::npos)
        << name;
  }
  EXPECT_TRUE(has_line(t, "chat_build_info{version=\"0.1.0\",node=\"n1\"} 1"));
}

TEST(MetricsRegistry, LabelsNameTransportsReasonsAndOutcomes) {
  metrics m;
  m.opened(transport_kind::tcp);
  m.opened(transport_kind::tcp);
  m.closed(transport_kind::tcp);
  m.refused(refusal::bad_subprotocol);
  m.sent(errc{});
  m.sent(errc::rejected);
  const std::string t = m.render("n1", "0.1.0", 9);
  EXPECT_TRUE(has_line(t, "chat_connections{transport=\"tcp\"} 1"));
  EXPECT_TRUE(
      has_line(t, "chat_connections_opened_total{transport=\"tcp\"} 2"));
  EXPECT_TRUE(has_line(t, "chat_connections{transport=\"ws\"} 0"));
  EXPECT_TRUE(has_line(
      t, "chat_handshakes_refused_total{reason=\"bad_subprotocol\"} 1"));
  EXPECT_TRUE(has_line(t, "chat_sends_total{outcome=\"ACCEPTED\"} 1"));
  EXPECT_TRUE(has_line(t, "chat_sends_total{outcome=\"REJECTED\"} 1"));
  EXPECT_TRUE(has_line(t, "chat_deliveries_total 9"));
}

TEST(MetricsRegistry, ConcurrentUpdatesLoseNothing) {
  metrics m;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 10'000; ++j) {
        m.sent(errc{});
        m.route_latency.observe(1us);
      }
    });
  }
  for (auto& t : threads) t.join();
  const std::string t = m.render("n1", "0.1.0", 0);
  EXPECT_TRUE(has_line(t, "chat_sends_total{outcome=\"ACCEPTED\"} 40000"));
  EXPECT_TRUE(has_line(t, "chat_route_latency_seconds_count 40000"));
}

}  // namespace
}  // namespace chat::detail
