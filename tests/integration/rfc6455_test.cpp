// RFC 6455 strictness through raw sockets: each violation gets the close
// code the RFC names for it. The same checker run against a deliberately
// lax server must report every case, so the suite is shown able to fail.
#include "support/harness.hpp"
#include "support/ws_raw.hpp"

#include <boost/asio/read_until.hpp>

#include <atomic>
#include <thread>

namespace chat::test {
namespace {

struct violation {
  std::string name;
  std::string bytes;  // sent after the upgrade
  unsigned expected;  // the close code the RFC calls for
};

std::string be16(unsigned v) {
  return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
}

std::vector<violation> violations() {
  const auto f = [](unsigned char first, const std::string& payload) {
    return ws_client_frame(first, payload);
  };
  return {
      {"unmasked client frame", ws_client_frame(0x81, "{}", {}, false), 1002},
      {"reserved data opcode 0x3", f(0x83, ""), 1002},
      {"reserved control opcode 0xB", f(0x8b, ""), 1002},
      {"RSV1 without an extension", f(0xc1, "{}"), 1002},
      {"RSV2 set", f(0xa1, "{}"), 1002},
      {"RSV3 set", f(0x91, "{}"), 1002},
      {"fragmented ping", f(0x09, ""), 1002},
      {"ping over 125 bytes", f(0x89, std::string(126, 'p')), 1002},
      {"close over 125 bytes", f(0x88, be16(1000) + std::string(124, 'r')),
       1002},
      {"one-byte close payload", f(0x88, "\x03"), 1002},
      {"close code 999", f(0x88, be16(999)), 1002},
      {"close code 1004 (reserved)", f(0x88, be16(1004)), 1002},
      {"close code 1005 (never sent)", f(0x88, be16(1005)), 1002},
      {"close code 1006 (never sent)", f(0x88, be16(1006)), 1002},
      {"close code 1100 (reserved)", f(0x88, be16(1100)), 1002},
      {"close code 2999 (reserved)", f(0x88, be16(2999)), 1002},
      {"invalid UTF-8 in text", f(0x81, "\xc3\x28"), 1007},
      {"invalid UTF-8 across fragments", f(0x01, "\"\xc3") + f(0x80, "\x28"),
       1007},
      // RFC 6455 section 8.1: data that is not UTF-8 where UTF-8 is
      // required fails the connection as invalid data, 1007 (Autobahn's
      // case 7.5.1 accepts it, as it does 1002).
      {"invalid UTF-8 in the close reason", f(0x88, be16(1000) + "\xff\xfe"),
       1007},
      {"continuation without a start", f(0x80, "{}"), 1002},
      {"data frame inside a fragmented message", f(0x01, "{") + f(0x81, "}"),
       1002},
      {"64-bit length with the top bit set (2^63)",
       ws_client_frame(0x82, std::string(1024, 'x'), std::uint64_t{1} << 63),
       1002},
      {"length claiming 2^63-1 bytes",
       ws_client_frame(0x82, std::string(1024, 'x'),
                       (std::uint64_t{1} << 63) - 1),
       1009},
  };
}

/// Runs every violation on a fresh connection to `port`; returns one line
/// per case that did not get its close code.
std::vector<std::string> strictness_failures(std::uint16_t port) {
  std::vector<std::string> failures;
  for (const auto& v : violations()) {
    ws_raw ws(port);
    if (!ws.upgrade("/ws?user=strict")) {
      failures.push_back(v.name + ": upgrade refused");
      continue;
    }
    ws.write(v.bytes);
    const unsigned got = ws.close_code();
    if (got != v.expected) {
      failures.push_back(v.name + ": expected " + std::to_string(v.expected) +
                         ", got " + std::to_string(got));
    }
  }
  return failures;
}

TEST(Rfc6455, EveryViolationGetsTheRfcCloseCode) {
  harness h;
  ASSERT_FALSE(h.start_error());
  auto alice = h.connect("alice", via::ws_json);
  auto bob = h.connect("bob", via::ws_proto);
  ASSERT_TRUE(alice && bob);
  const auto failures = strictness_failures(h.server().port());
  for (const auto& f : failures) ADD_FAILURE() << f;
  EXPECT_TRUE(h.wait_connections("strict", 0));
  // The bystanders were not disturbed.
  alice->send("bob", "still here");
  EXPECT_EQ(next(*bob).message().text(), "still here");
}

// A server that completes the upgrade and then answers anything with a
// normal close: what a lax implementation does.
class lax_server {
 public:
  lax_server()
      : acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { run(); });
  }
  ~lax_server() {
    stop_ = true;
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket poke(ioc_);
    poke.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  void run() {
    while (!stop_) {
      boost::system::error_code ec;
      auto s = acceptor_.accept(ec);
      if (ec || stop_) continue;
      std::string in;
      boost::asio::read_until(s, boost::asio::dynamic_buffer(in), "\r\n\r\n",
                              ec);
      if (ec) continue;
      const std::string answer =
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
          "Connection: Upgrade\r\nSec-WebSocket-Accept: "
          "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
      char buf[4096];
      boost::asio::write(s, boost::asio::buffer(answer), ec);
      s.read_some(boost::asio::buffer(buf), ec);
      boost::asio::write(s, boost::asio::buffer("\x88\x02\x03\xe8", 4), ec);
    }
  }

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(Rfc6455, TheCheckerFailsEveryCaseAgainstALaxServer) {
  lax_server lax;
  const auto failures = strictness_failures(lax.port());
  EXPECT_EQ(failures.size(), violations().size());
  ASSERT_FALSE(failures.empty());
  EXPECT_EQ(failures.front(), "unmasked client frame: expected 1002, got 1000");
}

}  // namespace
}  // namespace chat::test
