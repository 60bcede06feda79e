// Bad input of every kind gets its documented error or close code, the
// connection (where the protocol allows) carries on, and other users are
// not disturbed.
#include "support/harness.hpp"
#include "support/raw_socket.hpp"

#include <boost/asio/read_until.hpp>

namespace chat::test {
namespace {

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(h.start_error());
    alice = h.connect("alice", via::ws_json);
    bob = h.connect("bob", via::ws_json);
    ASSERT_TRUE(alice && bob);
  }

  // The bystanders still chat after whatever the test did.
  void expect_others_unaffected() {
    auto carol = h.connect("carol", via::tcp);
    ASSERT_TRUE(carol);
    carol->send("bob", "still fine?");
    const auto sent = next(*carol);
    ASSERT_TRUE(sent.has_sent()) << sent.DebugString();
    const auto got = next(*bob);
    ASSERT_TRUE(got.has_message()) << got.DebugString();
    EXPECT_EQ(got.message().text(), "still fine?");
  }

  // Sends raw text on alice's connection and returns the error it got.
  v1::Error error_for(const std::string& text, bool binary = false) {
    alice->send_raw(text, binary);
    const auto f = next(*alice);
    EXPECT_TRUE(f.has_error()) << "for " << text << ": " << f.DebugString();
    return f.error();
  }

  harness h;
  std::unique_ptr<client> alice, bob;
};

TEST_F(BadInput, InvalidJsonIsMalformedAndTheConnectionCarriesOn) {
  EXPECT_EQ(error_for("{\"send\":").code(), v1::Error::MALFORMED_FRAME);
  EXPECT_EQ(error_for("not json at all").code(), v1::Error::MALFORMED_FRAME);
  alice->send("bob", "after the garbage", "ok-1");
  const auto sent = next(*alice);
  ASSERT_TRUE(sent.has_sent()) << sent.DebugString();
  EXPECT_EQ(next(*bob).message().text(), "after the garbage");
  expect_others_unaffected();
}

TEST_F(BadInput, JsonOfTheWrongShapeIsInvalidFrame) {
  EXPECT_EQ(error_for(R"({"send":{"to":5,"text":"x"}})").code(),
            v1::Error::INVALID_FRAME);
  EXPECT_EQ(error_for(R"(["send"])").code(), v1::Error::INVALID_FRAME);
  EXPECT_EQ(error_for(R"({"send":{"id":"s","to":"bob"}})").code(),
            v1::Error::INVALID_FRAME);
  EXPECT_EQ(error_for(R"({"send":{"id":"s","text":"no target"}})").code(),
            v1::Error::INVALID_FRAME);
  EXPECT_EQ(error_for(R"({"send":{"to":"bob","text":"a"},"ping":{}})").code(),
            v1::Error::INVALID_FRAME);
  EXPECT_EQ(error_for(R"({"hello":{"user":"mallory"}})").code(),
            v1::Error::INVALID_FRAME);
  expect_others_unaffected();
}

TEST_F(BadInput, UnknownFrameIsUnknownFrame) {
  const auto e = error_for(R"({"typing":{"to":"bob"}})");
  EXPECT_EQ(e.code(), v1::Error::UNKNOWN_FRAME);
  EXPECT_NE(e.message().find("typing"), std::string::npos) << e.message();
  EXPECT_EQ(error_for("{}").code(), v1::Error::UNKNOWN_FRAME);
  expect_others_unaffected();
}

TEST_F(BadInput, EmptyOrInvalidRecipientIsInvalidRecipient) {
  const auto e = error_for(R"({"send":{"id":"e1","to":"","text":"x"}})");
  EXPECT_EQ(e.code(), v1::Error::INVALID_RECIPIENT);
  EXPECT_EQ(e.id(), "e1");
  EXPECT_EQ(
      error_for(R"({"send":{"id":"e2","to":"bob smith","text":"x"}})").code(),
      v1::Error::INVALID_RECIPIENT);
  expect_others_unaffected();
}

TEST_F(BadInput, MessageToOneselfIsInvalidRecipient) {
  const auto e =
      error_for(R"({"send":{"id":"me","to":"alice","text":"note to self"}})");
  EXPECT_EQ(e.code(), v1::Error::INVALID_RECIPIENT);
  EXPECT_EQ(e.id(), "me");
  v1::ClientFrame f;
  f.mutable_send()->set_to_connection(alice->connection_id());
  f.mutable_send()->set_text("x");
  alice->send(f);
  EXPECT_EQ(next(*alice).error().code(), v1::Error::INVALID_RECIPIENT);
  expect_others_unaffected();
}

TEST_F(BadInput, MessageToAMissingConnectionIsRecipientOffline) {
  const auto e =
      error_for(R"({"send":{"id":"u1","toConnection":"n-0","text":"x"}})");
  EXPECT_EQ(e.code(), v1::Error::RECIPIENT_OFFLINE);
  EXPECT_EQ(e.id(), "u1");
  expect_others_unaffected();
}

TEST_F(BadInput, BinaryGarbageOnWebSocketIsMalformed) {
  EXPECT_EQ(error_for(std::string("\xff\xff\xff\xff", 4), true).code(),
            v1::Error::MALFORMED_FRAME);
  expect_others_unaffected();
}

TEST_F(BadInput, OversizedWebSocketMessageClosesWith1009) {
  const std::size_t limit = h.server().settings().max_message_bytes;
  alice->send_raw(R"({"send":{"to":"bob","text":")" + std::string(limit, 'x') +
                  "\"}}");
  ASSERT_TRUE(alice->wait_closed(5s));
  EXPECT_EQ(alice->closed_by().code, 1009);
  ASSERT_TRUE(h.wait_connections("alice", 0));
  EXPECT_TRUE(drain_until_pong(*bob).empty());  // nothing of it reached bob
  expect_others_unaffected();
}

// A client still writing a message far over the limit gets the 1009 close
// frame and a clean end, not a reset: the server reads the rest of the
// message before it closes the socket. (Browsers report a reset as 1006 and
// cannot say why the connection dropped.)
TEST_F(BadInput, OversizedMessageBeingWrittenGets1009NotAReset) {
  namespace net = boost::asio;
  net::io_context ioc;
  net::ip::tcp::socket s(ioc);
  s.connect({net::ip::make_address("127.0.0.1"), h.server().port()});
  net::write(s, net::buffer(upgrade_request("/ws?user=mallory")));
  std::string data;  // what the server sent and the test has not parsed
  data.erase(0, net::read_until(s, net::dynamic_buffer(data), "\r\n\r\n"));
  // One masked text frame of 4 MiB (mask 0: the payload as it is).
  const std::uint64_t size = 4 << 20;
  std::string frame = {'\x81', '\xff'};
  for (int shift = 56; shift >= 0; shift -= 8)
    frame.push_back(static_cast<char>((size >> shift) & 0xff));
  frame.append(4, '\0').append(size, 'x');
  boost::system::error_code ec;
  net::write(s, net::buffer(frame), ec);
  ASSERT_FALSE(ec) << "reset while writing: " << ec.message();
  // Server frames are unmasked: skip the welcome, up to the close frame.
  const auto need = [&](std::size_t n) {
    char buf[4096];
    while (data.size() < n && !ec)
      data.append(buf, s.read_some(net::buffer(buf), ec));
    return !ec;
  };
  for (;;) {
    ASSERT_TRUE(need(2)) << "no close frame: " << ec.message();
    const unsigned opcode = static_cast<unsigned char>(data[0]) & 0x0f;
    const std::size_t len = static_cast<unsigned char>(data[1]) & 0x7f;
    ASSERT_LT(len, 126u);  // the welcome and the close are short
    ASSERT_TRUE(need(2 + len)) << "no close frame: " << ec.message();
    if (opcode == 0x8) {
      ASSERT_GE(len, 2u);
      EXPECT_EQ((static_cast<unsigned char>(data[2]) << 8) |
                    static_cast<unsigned char>(data[3]),
                1009);
      break;
    }
    data.erase(0, 2 + len);
  }
  // Answer the close (masked, no payload); the server then ends the TCP
  // connection cleanly.
  net::write(s, net::buffer(std::string("\x88\x80\0\0\0\0", 6)), ec);
  ASSERT_FALSE(ec) << ec.message();
  char c;
  s.read_some(net::buffer(&c, 1), ec);
  EXPECT_EQ(ec, net::error::eof) << ec.message();
  ASSERT_TRUE(h.wait_connections("mallory", 0));
  expect_others_unaffected();
}

TEST_F(BadInput, MessageJustUnderTheLimitIsDelivered) {
  const std::size_t limit = h.server().settings().max_message_bytes;
  const std::string frame_head = R"({"send":{"to":"bob","text":")";
  const std::string text(limit - frame_head.size() - 3, 'y');
  alice->send_raw(frame_head + text + "\"}}");
  ASSERT_TRUE(next(*alice).has_sent());
  EXPECT_EQ(next(*bob).message().text(), text);
}

// ---- raw TCP ----

v1::ClientFrame hello(const std::string& user) {
  v1::ClientFrame f;
  f.mutable_hello()->set_user(user);
  return f;
}

TEST_F(BadInput, TcpGarbageFrameIsMalformedAndTheConnectionCarriesOn) {
  raw_socket s(h.server().tcp_port());
  s.write_frame(hello("mallory"));
  ASSERT_TRUE(s.read_frame()->has_welcome());
  s.write(
      std::string("\x03\xff\xff\xff", 4));  // a frame whose body is no protobuf
  const auto e = s.read_frame();
  ASSERT_TRUE(e && e->has_error());
  EXPECT_EQ(e->error().code(), v1::Error::MALFORMED_FRAME);
  v1::ClientFrame ping;
  ping.mutable_ping()->set_id("still-here");
  s.write_frame(ping);
  const auto pong = s.read_frame();
  ASSERT_TRUE(pong && pong->has_pong());
  EXPECT_EQ(pong->pong().id(), "still-here");
  expect_others_unaffected();
}

TEST_F(BadInput, TcpLengthPrefixPastTheLimitIsRefusedBeforeBuffering) {
  raw_socket s(h.server().tcp_port());
  s.write_frame(hello("mallory"));
  ASSERT_TRUE(s.read_frame()->has_welcome());
  s.write(std::string("\x80\x80\x80\x80\x10",
                      5));  // claims 4 GiB, sends none of it
  const auto e = s.read_frame();
  ASSERT_TRUE(e && e->has_error());
  EXPECT_EQ(e->error().code(), v1::Error::MESSAGE_TOO_LARGE);
  EXPECT_NE(e->error().message().find("4294967296"), std::string::npos)
      << e->error().message();
  const auto c = s.read_frame();
  ASSERT_TRUE(c && c->has_close());
  EXPECT_EQ(c->close().code(), 1009u);
  EXPECT_TRUE(s.closed_by_peer());
  expect_others_unaffected();
}

TEST_F(BadInput, TcpOverlongVarintIsMalformedAndCloses1002) {
  raw_socket s(h.server().tcp_port());
  s.write_frame(hello("mallory"));
  ASSERT_TRUE(s.read_frame()->has_welcome());
  s.write(std::string(11, '\x80'));
  const auto e = s.read_frame();
  ASSERT_TRUE(e && e->has_error());
  EXPECT_EQ(e->error().code(), v1::Error::MALFORMED_FRAME);
  const auto c = s.read_frame();
  ASSERT_TRUE(c && c->has_close());
  EXPECT_EQ(c->close().code(), 1002u);
  EXPECT_TRUE(s.closed_by_peer());
  expect_others_unaffected();
}

TEST_F(BadInput, TcpFirstFrameMustBeHello) {
  raw_socket s(h.server().tcp_port());
  v1::ClientFrame send;
  send.mutable_send()->set_to("bob");
  send.mutable_send()->set_text("who am I?");
  s.write_frame(send);
  const auto e = s.read_frame();
  ASSERT_TRUE(e && e->has_error());
  EXPECT_EQ(e->error().code(), v1::Error::UNAUTHENTICATED);
  const auto c = s.read_frame();
  ASSERT_TRUE(c && c->has_close());
  EXPECT_EQ(c->close().code(), 1008u);
  EXPECT_TRUE(s.closed_by_peer());
  EXPECT_TRUE(drain_until_pong(*bob).empty());
}

TEST_F(BadInput, TcpHelloWithAnInvalidUserIsUnauthenticated) {
  raw_socket s(h.server().tcp_port());
  s.write_frame(hello("no spaces allowed"));
  const auto e = s.read_frame();
  ASSERT_TRUE(e && e->has_error());
  EXPECT_EQ(e->error().code(), v1::Error::UNAUTHENTICATED);
  EXPECT_TRUE(s.read_frame()->has_close());
  expect_others_unaffected();
}

TEST_F(BadInput, TcpBinaryGarbageBeforeHelloIsRefused) {
  raw_socket s(h.server().tcp_port());
  s.write(std::string("\x04\xde\xad\xbe\xef", 5));
  const auto e = s.read_frame();
  ASSERT_TRUE(e && e->has_error());
  EXPECT_EQ(e->error().code(), v1::Error::MALFORMED_FRAME);
  const auto c = s.read_frame();
  ASSERT_TRUE(c && c->has_close());
  EXPECT_EQ(c->close().code(), 1008u);
  expect_others_unaffected();
}

// ---- HTTP handshake ----

TEST_F(BadInput, UpgradeWithoutUserIs400WithAReason) {
  const auto res = http_exchange(h.server().port(), upgrade_request("/ws"));
  EXPECT_TRUE(res.starts_with("HTTP/1.1 400")) << res;
  EXPECT_NE(res.find("missing user"), std::string::npos) << res;
}

TEST_F(BadInput, UpgradeWithInvalidUserIs400WithAReason) {
  const auto res =
      http_exchange(h.server().port(), upgrade_request("/ws?user=a%20b"));
  EXPECT_TRUE(res.starts_with("HTTP/1.1 400")) << res;
  EXPECT_NE(res.find("invalid user name"), std::string::npos) << res;
}

TEST_F(BadInput, UpgradeWithPercentEncodedUserWorks) {
  const auto res = http_exchange(h.server().port(),
                                 upgrade_request("/ws?user=dave%40example"));
  EXPECT_TRUE(res.starts_with("HTTP/1.1 101")) << res;
}

TEST_F(BadInput, UnsupportedSubprotocolIs400) {
  const auto res = http_exchange(
      h.server().port(),
      upgrade_request("/ws?user=dave", "Sec-WebSocket-Protocol: mqtt\r\n"));
  EXPECT_TRUE(res.starts_with("HTTP/1.1 400")) << res;
  EXPECT_NE(res.find("unsupported subprotocol"), std::string::npos) << res;
}

TEST_F(BadInput, ClientSeesTheRefusalReason) {
  auto opts = h.options("", via::ws_json);
  client c(opts, &h.context());
  EXPECT_TRUE(c.connect());
  EXPECT_EQ(c.closed_by().code, 400);
  EXPECT_NE(c.closed_by().reason.find("missing user"), std::string::npos);
}

TEST_F(BadInput, HttpRoutes) {
  const auto port = h.server().port();
  const auto health = http_exchange(
      port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(health.starts_with("HTTP/1.1 200")) << health;
  EXPECT_TRUE(health.ends_with("\r\n\r\nok\n")) << health;
  const auto missing = http_exchange(
      port, "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(missing.starts_with("HTTP/1.1 404")) << missing;
  const auto plain = http_exchange(
      port, "GET /ws?user=x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(plain.starts_with("HTTP/1.1 426")) << plain;
  const auto post =
      http_exchange(port,
                    "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: "
                    "0\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(post.starts_with("HTTP/1.1 405")) << post;
  const auto junk = http_exchange(port, "\x16\x03\x01 not http at all\r\n\r\n");
  EXPECT_EQ(junk.find("HTTP/1.1 200"), std::string::npos) << junk;
  expect_others_unaffected();
}

}  // namespace
}  // namespace chat::test
