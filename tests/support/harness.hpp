// tests/support/harness.hpp: a real server on 127.0.0.1 (port 0) and clients
// of every transport, for the integration tests.
#pragma once

#include <chat/chat.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <sys/resource.h>

namespace chat::test {

using namespace std::chrono_literals;

/// How a test client reaches the server.
enum class via { ws_json, ws_proto, tcp };

inline std::string to_string(via v) {
  switch (v) {
    case via::ws_json:
      return "ws_json";
    case via::ws_proto:
      return "ws_proto";
    case via::tcp:
      return "tcp";
  }
  return "?";
}

/// Raises the soft open-file limit to the hard one (tests open thousands).
inline void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

inline config test_config() {
  config c;
  c.listen = "127.0.0.1:0";
  c.tcp_listen = "127.0.0.1:0";
  c.threads = 2;
  c.drain_timeout = 5s;
  return c;
}

/// A started server plus a client context shared by its clients.
class harness {
 public:
  explicit harness(config c = test_config()) : server_(std::move(c)) {
    raise_fd_limit();
    start_error_ = server_.start();
  }

  std::error_code start_error() const { return start_error_; }
  chat::server& server() { return server_; }
  client_context& context() { return ctx_; }

  client_options options(const std::string& user, via v) const {
    client_options o;
    o.user = user;
    if (v == via::tcp) {
      o.url = "tcp://127.0.0.1:" + std::to_string(server_.tcp_port());
      o.format = wire_format::protobuf;
    } else {
      o.url = "ws://127.0.0.1:" + std::to_string(server_.port()) + "/ws";
      o.format = v == via::ws_json ? wire_format::json : wire_format::protobuf;
    }
    return o;
  }

  /// A connected client, or null (with a test failure) when connecting fails.
  std::unique_ptr<client> connect(const std::string& user, via v) {
    auto c = std::make_unique<client>(options(user, v), &ctx_);
    const auto ec = c->connect();
    EXPECT_FALSE(ec) << user << " via " << to_string(v) << ": " << ec.message();
    return ec ? nullptr : std::move(c);
  }

  /// Waits until `user` has `n` live connections on the server.
  bool wait_connections(const std::string& user, std::size_t n,
                        std::chrono::milliseconds timeout = 5s) {
    return eventually([&] { return server_.connections(user) == n; }, timeout);
  }

  /// Polls `done` until it holds or `timeout` passes; its last answer.
  template <class Pred>
  static bool eventually(Pred done, std::chrono::milliseconds timeout = 5s) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) return done();
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

 private:
  client_context ctx_;  // outlives the server's connections to it
  chat::server server_;
  std::error_code start_error_;
};

/// The next frame, or an empty frame (FRAME_NOT_SET) after 5 s.
inline v1::ServerFrame next_any(client& c,
                                std::chrono::milliseconds timeout = 5s) {
  auto f = c.receive(timeout);
  return f ? std::move(*f) : v1::ServerFrame{};
}

/// The next frame that is not a receipt (the clients ack what they
/// receive, so senders get DELIVERED receipts that most tests ignore).
inline v1::ServerFrame next(client& c, std::chrono::milliseconds timeout = 5s) {
  for (;;) {
    v1::ServerFrame f = next_any(c, timeout);
    if (!f.has_receipt()) return f;
  }
}

/// Round-trips a ping: when the pong arrives, every frame routed to `c`
/// before the ping was sent has arrived before it. Returns the frames that
/// came first.
inline std::vector<v1::ServerFrame> drain_until_pong(
    client& c, const std::string& id = "barrier") {
  v1::ClientFrame ping;
  ping.mutable_ping()->set_id(id);
  c.send(ping);
  std::vector<v1::ServerFrame> before;
  for (;;) {
    auto f = c.receive(5s);
    if (!f) {
      ADD_FAILURE() << "no pong within 5 s";
      return before;
    }
    if (f->has_pong() && f->pong().id() == id) return before;
    before.push_back(std::move(*f));
  }
}

}  // namespace chat::test
