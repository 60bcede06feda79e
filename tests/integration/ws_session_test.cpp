// The WebSocket session's own framing seen from the wire: the opening
// handshake's checks, frames sent before the 101 arrived, many frames in
// one write, and the idle timeout with its pings.
#include "support/harness.hpp"
#include "support/raw_socket.hpp"

#include <thread>

namespace chat::test {
namespace {

// A masked client frame (key 0: the payload goes as is, and is masked).
std::string masked(unsigned char first, std::string_view payload) {
  std::string f;
  f.push_back(static_cast<char>(first));
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size()));
  }
  f.append(4, '\0');
  f.append(payload);
  return f;
}

std::string send_json(const std::string& to, const std::string& text,
                      const std::string& id) {
  return R"({"send":{"to":")" + to + R"(","text":")" + text + R"(","id":")" +
         id + R"("}})";
}

// Server frames in `wire` after the HTTP response head: (opcode, payload).
std::vector<std::pair<int, std::string>> frames_after_head(
    const std::string& wire) {
  std::vector<std::pair<int, std::string>> out;
  std::size_t p = wire.find("\r\n\r\n");
  if (p == std::string::npos) return out;
  p += 4;
  while (p + 2 <= wire.size()) {
    const int op = static_cast<unsigned char>(wire[p]) & 0x0F;
    std::size_t n = static_cast<unsigned char>(wire[p + 1]) & 0x7F;
    std::size_t h = 2;
    if (n == 126) {
      if (p + 4 > wire.size()) break;
      n = (static_cast<unsigned char>(wire[p + 2]) << 8) |
          static_cast<unsigned char>(wire[p + 3]);
      h = 4;
    }
    if (p + h + n > wire.size()) break;
    out.emplace_back(op, wire.substr(p + h, n));
    p += h + n;
  }
  return out;
}

TEST(WsSession, AHandshakeWithoutAValidKeyIs400) {
  harness h;
  ASSERT_FALSE(h.start_error());
  const std::string req =
      "GET /ws?user=alice HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
      "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n";
  for (const std::string key :
       {"", "Sec-WebSocket-Key: short\r\n",
        "Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!==\r\n"}) {
    const auto res = http_exchange(h.server().port(), req + key + "\r\n");
    EXPECT_EQ(res.substr(0, 12), "HTTP/1.1 400") << res;
    EXPECT_NE(res.find("bad Sec-WebSocket-Key"), std::string::npos) << res;
  }
  EXPECT_EQ(h.server().connections("alice"), 0u);
}

TEST(WsSession, AnotherProtocolVersionIs426NamingVersion13) {
  harness h;
  ASSERT_FALSE(h.start_error());
  std::string req = upgrade_request("/ws?user=alice");
  req.replace(req.find("Version: 13"), 11, "Version: 8");
  const auto res = http_exchange(h.server().port(), req);
  EXPECT_EQ(res.substr(0, 12), "HTTP/1.1 426") << res;
  EXPECT_NE(res.find("Sec-WebSocket-Version: 13"), std::string::npos) << res;
}

TEST(WsSession, TheAcceptKeyIsTheOneRfc6455Gives) {
  harness h;
  ASSERT_FALSE(h.start_error());
  // upgrade_request() carries the sample nonce of RFC 6455 section 1.3; a
  // close frame after it makes the server hang up once it has answered.
  const auto res =
      http_exchange(h.server().port(),
                    upgrade_request("/ws?user=bob") + masked(0x88, "\x03\xe8"));
  EXPECT_EQ(res.substr(0, 12), "HTTP/1.1 101") << res;
  EXPECT_NE(res.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
            std::string::npos)
      << res;
}

TEST(WsSession, FramesSentWithTheUpgradeRequestAreAnsweredInOrder) {
  harness h;
  ASSERT_FALSE(h.start_error());
  auto bob = h.connect("bob", via::ws_json);
  ASSERT_TRUE(bob);
  raw_socket s(h.server().port());
  // The request and 50 sends in one write: the server must not wait for
  // more, nor drop what came with the request.
  std::string wire = upgrade_request("/ws?user=alice");
  for (int i = 0; i < 50; ++i) {
    wire += masked(0x81, send_json("bob", "m" + std::to_string(i),
                                   "c" + std::to_string(i)));
  }
  wire += masked(0x88, std::string("\x03\xe8", 2));  // then close, 1000
  s.write(wire);
  bool eof = false;
  const auto frames = frames_after_head(s.read_all(&eof));
  EXPECT_TRUE(eof);
  ASSERT_EQ(frames.size(), 52u);  // welcome, 50 sent, close
  EXPECT_NE(frames[0].second.find("\"welcome\""), std::string::npos);
  for (int i = 0; i < 50; ++i) {
    EXPECT_NE(
        frames[1 + i].second.find("\"id\":\"c" + std::to_string(i) + "\""),
        std::string::npos)
        << frames[1 + i].second;
  }
  EXPECT_EQ(frames[51].first, 0x8);
  EXPECT_EQ(frames[51].second, std::string("\x03\xe8", 2));  // echoed
  for (int i = 0; i < 50; ++i) {
    const auto m = next(*bob);
    ASSERT_TRUE(m.has_message()) << m.DebugString();
    EXPECT_EQ(m.message().text(), "m" + std::to_string(i));
  }
}

TEST(WsSession, AnIdlePeerIsPingedThenDroppedWhileALiveOneStays) {
  config c = test_config();
  c.idle_timeout = std::chrono::milliseconds(600);
  harness h(c);
  ASSERT_FALSE(h.start_error());
  auto alice = h.connect("alice", via::ws_json);  // answers pings
  auto bob = h.connect("bob", via::ws_json);
  ASSERT_TRUE(alice && bob);

  raw_socket silent(h.server().port());  // never answers anything
  silent.write(upgrade_request("/ws?user=mute"));
  bool eof = false;
  const auto frames = frames_after_head(silent.read_all(&eof));
  EXPECT_TRUE(eof) << "the silent peer was not dropped";
  ASSERT_GE(frames.size(), 2u);
  EXPECT_NE(frames[0].second.find("\"welcome\""), std::string::npos);
  EXPECT_EQ(frames[1].first, 0x9) << "no ping before the drop";
  EXPECT_TRUE(h.wait_connections("mute", 0));

  // Three idle timeouts later, the clients that answer pings are still
  // there and still chat.
  std::this_thread::sleep_for(std::chrono::milliseconds(1800));
  EXPECT_EQ(h.server().connections("alice"), 1u);
  alice->send("bob", "still here");
  const auto m = next(*bob);
  ASSERT_TRUE(m.has_message()) << m.DebugString();
  EXPECT_EQ(m.message().text(), "still here");
}

}  // namespace
}  // namespace chat::test

namespace chat::test {
namespace {

TEST(WsSession, APeerSilentForThePingIntervalIsPingedAndKept) {
  config c = test_config();
  c.idle_timeout = std::chrono::seconds(60);
  c.ping_interval = std::chrono::milliseconds(300);
  harness h(c);
  ASSERT_FALSE(h.start_error());
  raw_socket silent(h.server().port());
  silent.write(upgrade_request("/ws?user=quiet"));
  bool eof = true;
  // read_all() gives up after 5 s without a byte: by then the ping came,
  // and (60 s idle timeout) the connection is still open.
  const auto frames = frames_after_head(silent.read_all(&eof));
  EXPECT_FALSE(eof);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_NE(frames[0].second.find("\"welcome\""), std::string::npos);
  EXPECT_EQ(frames[1].first, 0x9);
  EXPECT_EQ(h.server().connections("quiet"), 1u);
}

}  // namespace
}  // namespace chat::test
