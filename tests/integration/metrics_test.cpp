// GET /metrics after a known workload: every counter holds exactly what the
// workload did, in the Prometheus text format.
#include "support/harness.hpp"
#include "support/raw_socket.hpp"

#include <map>
#include <sstream>

namespace chat::test {
namespace {

std::string get(std::uint16_t port, const std::string& path) {
  return http_exchange(port, "GET " + path +
                                 " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                 "Connection: close\r\n\r\n");
}

// "name{labels} value" lines of a scrape, keyed by "name{labels}".
std::map<std::string, double> samples(const std::string& response) {
  std::map<std::string, double> out;
  std::istringstream in(response.substr(response.find("\r\n\r\n") + 4));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

// Sends and waits for the answer; true when it was `sent`.
bool send_and_wait(client& c, const std::string& to, const std::string& text) {
  (void)c.send(to, text);
  return next(c).has_sent();
}

TEST(Metrics, ScrapeAfterKnownWorkloadHasExactCounts) {
  harness h;
  ASSERT_FALSE(h.start_error());
  auto alice = h.connect("alice", via::ws_json);
  auto bob_ws = h.connect("bob", via::ws_proto);
  auto bob_tcp = h.connect("bob", via::tcp);
  auto carol = h.server().attach("carol");
  ASSERT_TRUE(alice && bob_ws && bob_tcp && carol);

  // 3 sends to bob's two connections: 3 delivered, 6 deliveries.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(send_and_wait(*alice, "bob", "m"));
  v1::ClientFrame gone;  // toConnection is live-only: RECIPIENT_OFFLINE
  gone.mutable_send()->set_to_connection("no-such-connection");
  gone.mutable_send()->set_text("x");
  alice->send(gone);
  EXPECT_EQ(next(*alice).error().code(), v1::Error::RECIPIENT_OFFLINE);
  EXPECT_FALSE(send_and_wait(*alice, "alice", "myself"));  // INVALID_RECIPIENT
  ASSERT_TRUE(carol->send("alice", "from inproc", "c1").has_sent());

  // Refused handshakes, one of each kind a client can cause here.
  const auto port = h.server().port();
  EXPECT_NE(http_exchange(port, upgrade_request("/ws")).find(" 400 "),
            std::string::npos);
  EXPECT_NE(
      http_exchange(port, upgrade_request("/elsewhere?user=x")).find(" 404 "),
      std::string::npos);
  EXPECT_NE(http_exchange(port, upgrade_request("/ws?user=x",
                                                "Sec-WebSocket-Protocol: "
                                                "mqtt\r\n"))
                .find(" 400 "),
            std::string::npos);
  {
    raw_socket raw(h.server().tcp_port());
    v1::ClientFrame ping;
    ping.mutable_ping()->set_id("p");
    raw.write_frame(ping);
    const auto answer = raw.read_frame();
    ASSERT_TRUE(answer && answer->has_error());
  }

  const std::string scrape = get(port, "/metrics");
  ASSERT_NE(scrape.find("HTTP/1.1 200"), std::string::npos) << scrape;
  EXPECT_NE(scrape.find("Content-Type: text/plain; version=0.0.4"),
            std::string::npos);
  for (const char* family :
       {"chat_connections gauge", "chat_connections_opened_total counter",
        "chat_handshakes_refused_total counter", "chat_sends_total counter",
        "chat_deliveries_total counter", "chat_route_latency_seconds histogram",
        "chat_uptime_seconds gauge", "chat_build_info gauge"}) {
    EXPECT_NE(scrape.find(std::string("# TYPE ") + family), std::string::npos)
        << family;
  }
  auto m = samples(scrape);
  EXPECT_EQ(m["chat_connections{transport=\"ws\"}"], 2);
  EXPECT_EQ(m["chat_connections{transport=\"tcp\"}"], 1);
  EXPECT_EQ(m["chat_connections{transport=\"inproc\"}"], 1);
  EXPECT_EQ(m["chat_connections_opened_total{transport=\"ws\"}"], 2);
  EXPECT_EQ(m["chat_sends_total{outcome=\"ACCEPTED\"}"], 4);
  EXPECT_EQ(m["chat_sends_total{outcome=\"RECIPIENT_OFFLINE\"}"], 1);
  EXPECT_EQ(m["chat_sends_total{outcome=\"INVALID_RECIPIENT\"}"], 1);
  EXPECT_EQ(m["chat_sends_total{outcome=\"REJECTED\"}"], 0);
  EXPECT_EQ(m["chat_deliveries_total"], 7);
  EXPECT_EQ(m["chat_handshakes_refused_total{reason=\"invalid_user\"}"], 1);
  EXPECT_EQ(m["chat_handshakes_refused_total{reason=\"not_found\"}"], 1);
  EXPECT_EQ(m["chat_handshakes_refused_total{reason=\"bad_subprotocol\"}"], 1);
  EXPECT_EQ(m["chat_handshakes_refused_total{reason=\"no_hello\"}"], 1);
  EXPECT_EQ(m["chat_handshakes_refused_total{reason=\"forbidden\"}"], 0);
  EXPECT_EQ(m["chat_route_latency_seconds_count"], 6);
  EXPECT_EQ(m["chat_route_latency_seconds_bucket{le=\"+Inf\"}"], 6);
  EXPECT_GT(m["chat_route_latency_seconds_sum"], 0);
  EXPECT_LE(m["chat_route_latency_seconds_bucket{le=\"5e-06\"}"],
            m["chat_route_latency_seconds_bucket{le=\"0.1\"}"]);

  // A disconnect lowers the gauge and leaves the counter.
  // The registry lets go of a connection just before the gauge is lowered,
  // so poll the scrape rather than the registry.
  alice->close();
  const auto until = std::chrono::steady_clock::now() + 5s;
  do {
    m = samples(get(port, "/metrics"));
  } while (m["chat_connections{transport=\"ws\"}"] != 1 &&
           std::chrono::steady_clock::now() < until);
  EXPECT_EQ(m["chat_connections{transport=\"ws\"}"], 1);
  EXPECT_EQ(m["chat_connections_opened_total{transport=\"ws\"}"], 2);

  // Embedders read the same text without HTTP.
  EXPECT_NE(h.server().metrics_text().find(
                "chat_sends_total{outcome=\"ACCEPTED\"} 4\n"),
            std::string::npos);
}

TEST(Metrics, ReadyzIsReadyWhileRunning) {
  harness h;
  ASSERT_FALSE(h.start_error());
  EXPECT_TRUE(h.server().ready());
  const auto r = get(h.server().port(), "/readyz");
  EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos) << r;
  EXPECT_NE(r.find("ready\n"), std::string::npos);
  h.server().stop();
  EXPECT_FALSE(h.server().ready());
}

}  // namespace
}  // namespace chat::test
