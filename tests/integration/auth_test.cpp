// The authentication matrix on real sockets: a server with the JWT hook,
// tokens good and bad in every place a client can put them, a token that
// expires during a live connection, and the Origin allow-list.
#include <chat/jwt.hpp>

#include "support/harness.hpp"
#include "support/jwt_maker.hpp"
#include "support/raw_socket.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

namespace chat::test {
namespace {

namespace websocket = boost::beast::websocket;

const std::string secret = "auth-test-secret-of-at-least-32-bytes";
const char* const iss = R"("iss":"https://issuer.example","aud":"chat")";

const test_key& rsa() {
  static const test_key k("RSA");
  return k;
}

config jwt_config(std::chrono::seconds leeway = 0s) {
  config c = test_config();
  jwt_options o;
  o.hs256_secret = secret;
  o.public_key_pem = rsa().public_pem();
  o.issuer = "https://issuer.example";
  o.audience = "chat";
  o.leeway = leeway;
  std::string error;
  c.hooks.authenticate = make_jwt_authenticator(o, error);
  EXPECT_TRUE(c.hooks.authenticate) << error;
  c.handshake_timeout = 1s;
  return c;
}

std::string good_token(const std::string& sub, std::chrono::seconds exp_in) {
  return hs256_token(secret, claims(sub, exp_in, iss));
}

// The status line of the answer to an upgrade request.
std::string answer_head(std::uint16_t port, const std::string& request) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket s(ioc);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  boost::asio::write(s, boost::asio::buffer(request));
  std::string head;
  boost::system::error_code ec;
  boost::asio::read_until(s, boost::asio::dynamic_buffer(head), "\r\n", ec);
  return head.substr(0, head.find("\r\n"));
}

// The whole answer to an upgrade with `token` in the query.
std::string refusal_for_token(harness& h, const std::string& token) {
  return http_exchange(h.server().port(),
                       upgrade_request("/ws?token=" + token));
}

void expect_401(harness& h, const std::string& token, const std::string& why) {
  const auto res = refusal_for_token(h, token);
  EXPECT_TRUE(res.starts_with("HTTP/1.1 401")) << res;
  EXPECT_TRUE(res.ends_with("\r\n\r\n" + why + "\n")) << res;
}

class Auth : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(h.start_error()); }

  std::unique_ptr<client> connect_with(const std::string& token, via v) {
    auto o = h.options("", v);
    o.token = token;
    auto c = std::make_unique<client>(o, &h.context());
    const auto ec = c->connect();
    EXPECT_FALSE(ec) << ec.message();
    return ec ? nullptr : std::move(c);
  }

  // Two users who got in with good tokens still chat.
  void expect_others_unaffected() {
    auto a = connect_with(good_token("amy", 3600s), via::ws_json);
    auto b = connect_with(good_token("ben", 3600s), via::tcp);
    ASSERT_TRUE(a && b);
    a->send("ben", "still here");
    EXPECT_TRUE(next(*a).has_sent());
    EXPECT_EQ(next(*b).message().text(), "still here");
  }

  harness h{jwt_config()};
};

TEST_F(Auth, TokenInQueryMakesSubTheUser) {
  auto c = connect_with(good_token("alice", 3600s), via::ws_json);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user(), "alice");
}

TEST_F(Auth, TokenInBearerHeaderIsAccepted) {
  const auto head = answer_head(
      h.server().port(),
      upgrade_request(
          "/ws?user=mallory",
          "Authorization: Bearer " +
              signed_token(rsa(), "RS256", claims("alice", 3600s, iss)) +
              "\r\n"));
  EXPECT_EQ(head, "HTTP/1.1 101 Switching Protocols");
}

TEST_F(Auth, TokenInTcpHelloIsAccepted) {
  auto c = connect_with(good_token("alice", 3600s), via::tcp);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user(), "alice");
}

TEST_F(Auth, TheMatrixOfBadTokensIs401WithAReason) {
  expect_401(h, "", "missing token");
  expect_401(h,
             hs256_token("another-secret-of-at-least-32-bytes!!",
                         claims("eve", 3600s, iss)),
             "bad signature");
  expect_401(
      h, signing_input(R"({"alg":"none"})", claims("eve", 3600s, iss)) + ".",
      "algorithm not allowed");
  // HS256 with the RSA public key's bytes as the secret.
  expect_401(h, hs256_token(rsa().public_pem(), claims("eve", 3600s, iss)),
             "bad signature");
  expect_401(h,
             hs256_token(secret, claims("eve", 3600s,
                                        R"("iss":"https://issuer.example",)"
                                        R"("aud":"other")")),
             "wrong audience");
  expect_401(h,
             hs256_token(secret, claims("eve", 3600s,
                                        R"("iss":"https://evil.example",)"
                                        R"("aud":"chat")")),
             "wrong issuer");
  expect_401(h, good_token("eve", -10s), "token expired");
  expect_401(h,
             hs256_token(secret, claims("eve", 3600s,
                                        std::string(iss) + R"(,"nbf":)" +
                                            std::to_string(epoch_in(30s)))),
             "token not yet valid");
  expect_401(h, "not-a-token", "malformed token");
  // A tcp hello with a bad token: an error frame, then close 1008.
  auto o = h.options("", via::tcp);
  o.token = good_token("eve", -10s);
  client c(o, &h.context());
  EXPECT_TRUE(c.connect());
  EXPECT_EQ(h.server().connections("eve"), 0u);
  expect_others_unaffected();
}

TEST(AuthLeeway, IsHonouredOnExpAndNbf) {
  harness h(jwt_config(30s));
  ASSERT_FALSE(h.start_error());
  auto o = h.options("", via::ws_json);
  o.token = good_token("late", -10s);
  client c(o, &h.context());
  ASSERT_FALSE(c.connect());
  EXPECT_EQ(c.user(), "late");
  expect_401(h, good_token("later", -40s), "token expired");
}

TEST_F(Auth, ATokenExpiringDuringAConnectionClosesItWith1008) {
  auto amy = connect_with(good_token("amy", 3600s), via::ws_json);
  // exp is whole seconds: this one ends in 1 to 2 s.
  auto ws = connect_with(good_token("short", 2s), via::ws_json);
  auto tcp = connect_with(good_token("short", 2s), via::tcp);
  ASSERT_TRUE(amy && ws && tcp);
  ASSERT_TRUE(ws->wait_closed(15s));
  ASSERT_TRUE(tcp->wait_closed(15s));
  EXPECT_EQ(ws->closed_by().code, 1008);
  EXPECT_EQ(ws->closed_by().reason, "token expired");
  EXPECT_EQ(tcp->closed_by().code, 1008);
  EXPECT_EQ(tcp->closed_by().reason, "token expired");
  EXPECT_TRUE(h.wait_connections("short", 0));
  EXPECT_FALSE(amy->closed());
  expect_others_unaffected();
}

// A ws client that can set neither a header nor the URL: the token in the
// first frame, within the handshake deadline.
class FirstFrame : public ::testing::Test {
 protected:
  static config first_frame_config() {
    config c = jwt_config();
    c.auth_in_first_frame = true;
    return c;
  }

  void SetUp() override {
    ASSERT_FALSE(h.start_error());
    boost::asio::ip::tcp::endpoint ep(
        boost::asio::ip::make_address("127.0.0.1"), h.server().port());
    ws.next_layer().connect(ep);
    ws.handshake("127.0.0.1", "/ws");
  }

  std::string read_text() {
    boost::beast::flat_buffer buf;
    ws.read(buf);
    return boost::beast::buffers_to_string(buf.data());
  }

  // The close frame the server sends, after any frames before it.
  websocket::close_reason read_close() {
    boost::beast::flat_buffer buf;
    boost::beast::error_code ec;
    while (!ec) ws.read(buf, ec);
    EXPECT_EQ(ec, websocket::error::closed);
    return ws.reason();
  }

  harness h{first_frame_config()};
  boost::asio::io_context ioc;
  websocket::stream<boost::asio::ip::tcp::socket> ws{ioc};
};

TEST_F(FirstFrame, AHelloWithAGoodTokenWelcomesItsSub) {
  ws.write(boost::asio::buffer(R"({"hello":{"token":")" +
                               good_token("alice", 3600s) + "\"}}"));
  const auto welcome = read_text();
  EXPECT_NE(welcome.find(R"("user":"alice")"), std::string::npos) << welcome;
  EXPECT_TRUE(h.wait_connections("alice", 1));
}

TEST_F(FirstFrame, AHelloWithABadTokenIsRefusedWith1008) {
  ws.write(boost::asio::buffer(R"({"hello":{"token":")" +
                               good_token("alice", -10s) + "\"}}"));
  const auto err = read_text();
  EXPECT_EQ(
      err, R"({"error":{"code":"UNAUTHENTICATED","message":"token expired"}})");
  const auto why = read_close();
  EXPECT_EQ(why.code, 1008);
  EXPECT_EQ(why.reason, "unauthenticated");
  EXPECT_EQ(h.server().connections("alice"), 0u);
}

TEST_F(FirstFrame, AnyOtherFirstFrameIsRefused) {
  ws.write(boost::asio::buffer(R"({"send":{"to":"bob","text":"hi"}})"));
  EXPECT_EQ(
      read_text(),
      R"({"error":{"code":"UNAUTHENTICATED","message":"the first frame must be a hello"}})");
  EXPECT_EQ(read_close().code, 1008);
}

TEST_F(FirstFrame, NoHelloBeforeTheDeadlineIsClosedWith1008) {
  const auto why = read_close();
  EXPECT_EQ(why.code, 1008);
  EXPECT_EQ(why.reason, "handshake timeout");
}

// The Origin allow-list: exact matches only; no Origin (not a browser) is
// let through.
class Origin : public ::testing::Test {
 protected:
  static config origin_config() {
    config c = test_config();
    c.allowed_origins = {"https://app.example.com", "http://localhost:8080"};
    return c;
  }
  void SetUp() override { ASSERT_FALSE(h.start_error()); }

  std::string answer(const std::string& origin_header) {
    return answer_head(h.server().port(),
                       upgrade_request("/ws?user=alice", origin_header));
  }

  harness h{origin_config()};
};

TEST_F(Origin, AllowedOriginsUpgrade) {
  EXPECT_EQ(answer("Origin: https://app.example.com\r\n"),
            "HTTP/1.1 101 Switching Protocols");
  EXPECT_EQ(answer("Origin: http://localhost:8080\r\n"),
            "HTTP/1.1 101 Switching Protocols");
}

TEST_F(Origin, NoOriginHeaderIsNotABrowserAndUpgrades) {
  EXPECT_EQ(answer(""), "HTTP/1.1 101 Switching Protocols");
}

TEST_F(Origin, ForeignAndLookAlikeOriginsGet403) {
  for (const char* o : {
           "https://evil.example",
           "https://app.example.com.evil.example",  // suffix added
           "https://evil-app.example.com",
           "https://xapp.example.com",
           "https://app.example.co",        // prefix of an entry
           "http://app.example.com",        // other scheme
           "https://app.example.com:8443",  // other port
           "https://app.example.com/",      // trailing slash
           "HTTPS://APP.EXAMPLE.COM",       // case
           "http://localhost:80800",
           "null",
           "",
       }) {
    const auto res =
        http_exchange(h.server().port(),
                      upgrade_request("/ws?user=alice",
                                      std::string("Origin: ") + o + "\r\n"));
    EXPECT_TRUE(res.starts_with("HTTP/1.1 403")) << o << ": " << res;
    EXPECT_TRUE(res.ends_with("\r\n\r\norigin not allowed\n"))
        << o << ": " << res;
  }
  EXPECT_EQ(h.server().connections("alice"), 0u);
  auto bob = h.connect("bob", via::ws_json);
  auto carol = h.connect("carol", via::tcp);
  ASSERT_TRUE(bob && carol);
  carol->send("bob", "origin checks leave others alone");
  EXPECT_TRUE(next(*carol).has_sent());
  EXPECT_EQ(next(*bob).message().text(), "origin checks leave others alone");
}

}  // namespace
}  // namespace chat::test
