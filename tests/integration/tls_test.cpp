// TLS on both listeners, with a self-signed certificate the test makes:
// a wss round trip, a TLS-TCP round trip, plaintext to the TLS port closed,
// and TLS 1.1 refused by the server.
#include "support/harness.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>

namespace chat::test {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// A P-256 key and a self-signed certificate for 127.0.0.1, as PEM files in
// a fresh directory.
struct test_cert {
  std::filesystem::path dir, cert, key;

  test_cert() {
    char tmpl[] = "/tmp/chat-tls-XXXXXX";
    dir = ::mkdtemp(tmpl);
    cert = dir / "cert.pem";
    key = dir / "key.pem";
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pkey);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(
        name, "CN", MBSTRING_ASC,
        reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
    for (const auto& [nid, value] :
         {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
          std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
      X509_add_ext(x, ext, -1);
      X509_EXTENSION_free(ext);
    }
    X509_sign(x, pkey, EVP_sha256());
    FILE* f = std::fopen(cert.c_str(), "w");
    PEM_write_X509(f, x);
    std::fclose(f);
    f = std::fopen(key.c_str(), "w");
    PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(x);
    EVP_PKEY_free(pkey);
  }
  ~test_cert() { std::filesystem::remove_all(dir); }
};

// A client context that trusts only the test's certificate.
ssl::context trusting(const test_cert& c) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.load_verify_file(c.cert.string());
  ctx.set_verify_mode(ssl::verify_peer);
  return ctx;
}

class Tls : public ::testing::Test {
 protected:
  static config tls_config(const test_cert& c) {
    config cfg = test_config();
    cfg.tls_cert = c.cert.string();
    cfg.tls_key = c.key.string();
    return cfg;
  }

  test_cert cert;
  harness h{tls_config(cert)};
  net::io_context ioc;
  ssl::context client_tls = trusting(cert);
  tcp::endpoint ws_at{net::ip::make_address("127.0.0.1"), h.server().port()};
  tcp::endpoint tcp_at{net::ip::make_address("127.0.0.1"),
                       h.server().tcp_port()};
};

using wss = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

std::unique_ptr<wss> connect_wss(net::io_context& ioc, ssl::context& tls,
                                 const tcp::endpoint& at,
                                 const std::string& user) {
  auto ws = std::make_unique<wss>(ioc, tls);
  beast::get_lowest_layer(*ws).connect(at);
  ws->next_layer().handshake(ssl::stream_base::client);
  ws->handshake("127.0.0.1", "/ws?user=" + user);
  ws->text(true);  // JSON frames
  return ws;
}

std::string read_text(wss& ws) {
  beast::flat_buffer b;
  ws.read(b);
  return beast::buffers_to_string(b.data());
}

v1::ServerFrame read_frame(ssl::stream<tcp::socket>& s,
                           delimited_reader& reader) {
  std::string_view payload;
  char buf[4096];
  while (reader.next(payload) != delimited_reader::status::frame) {
    const auto n = s.read_some(net::buffer(buf));
    reader.feed({buf, n});
  }
  v1::ServerFrame f;
  f.ParseFromArray(payload.data(), static_cast<int>(payload.size()));
  return f;
}

TEST_F(Tls, WssAndTlsTcpRoundTrip) {
  ASSERT_FALSE(h.start_error());
  auto alice = connect_wss(ioc, client_tls, ws_at, "alice");
  auto bob = connect_wss(ioc, client_tls, ws_at, "bob");
  EXPECT_NE(read_text(*alice).find("\"welcome\""), std::string::npos);
  EXPECT_NE(read_text(*bob).find("\"welcome\""), std::string::npos);

  ssl::stream<tcp::socket> carol(ioc, client_tls);
  carol.lowest_layer().connect(tcp_at);
  carol.handshake(ssl::stream_base::client);
  v1::ClientFrame hello;
  hello.mutable_hello()->set_user("carol");
  std::string out;
  append_delimited(out, hello.SerializeAsString());
  net::write(carol, net::buffer(out));
  delimited_reader reader(1 << 20);
  EXPECT_EQ(read_frame(carol, reader).welcome().user(), "carol");

  alice->write(net::buffer(
      std::string(R"({"send":{"id":"1","to":"bob","text":"over wss"}})")));
  alice->write(net::buffer(
      std::string(R"({"send":{"id":"2","to":"carol","text":"over tls"}})")));
  for (;;) {
    const auto text = read_text(*bob);
    if (text.find("\"message\"") == std::string::npos) continue;
    EXPECT_NE(text.find("\"text\":\"over wss\""), std::string::npos) << text;
    break;
  }
  for (;;) {
    const auto f = read_frame(carol, reader);
    if (!f.has_message()) continue;
    EXPECT_EQ(f.message().text(), "over tls");
    EXPECT_EQ(f.message().from(), "alice");
    break;
  }
}

// chat::client over wss://, trusting the test's certificate; without it
// (the system's CAs only) the certificate is refused.
TEST_F(Tls, ChatClientSpeaksWss) {
  ASSERT_FALSE(h.start_error());
  const auto options = [&](const std::string& user, bool trust) {
    client_options o;
    o.url = "wss://127.0.0.1:" + std::to_string(h.server().port()) + "/ws";
    o.user = user;
    if (trust) o.ca_file = cert.cert.string();
    return o;
  };
  client dan(options("dan", true), &h.context());
  client erin(options("erin", true), &h.context());
  ASSERT_FALSE(dan.connect());
  ASSERT_FALSE(erin.connect());
  dan.send("erin", "hello over wss");
  EXPECT_EQ(next(erin).message().text(), "hello over wss");
  EXPECT_TRUE(next(dan).has_sent());

  client mallory(options("mallory", false), &h.context());
  const auto ec = mallory.connect();
  ASSERT_TRUE(ec);
  EXPECT_NE(ec.message().find("certificate verify failed"), std::string::npos)
      << ec.message();
}

// What a plaintext client gets from a TLS port: no HTTP, and the end of the
// connection (after at most a TLS alert).
void expect_plaintext_refused(std::uint16_t port, const std::string& bytes) {
  net::io_context ioc;
  tcp::socket s(ioc);
  s.connect({net::ip::make_address("127.0.0.1"), port});
  timeval tv{10, 0};
  setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  net::write(s, net::buffer(bytes));
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(s.native_handle(), buf, sizeof buf, 0)) > 0)
    got.append(buf, static_cast<std::size_t>(n));
  EXPECT_TRUE(n == 0 || errno == ECONNRESET) << "still open: " << errno;
  EXPECT_EQ(got.find("HTTP/"), std::string::npos) << got;
  EXPECT_EQ(got.find("welcome"), std::string::npos) << got;
}

TEST_F(Tls, PlaintextToTheTlsPortsIsClosed) {
  ASSERT_FALSE(h.start_error());
  expect_plaintext_refused(h.server().port(),
                           "GET /ws?user=eve HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string hello_bytes;
  v1::ClientFrame hello;
  hello.mutable_hello()->set_user("eve");
  append_delimited(hello_bytes, hello.SerializeAsString());
  expect_plaintext_refused(h.server().tcp_port(), hello_bytes);
  EXPECT_EQ(h.server().connections("eve"), 0u);
}

TEST_F(Tls, Tls11IsRefusedByTheServer) {
  ASSERT_FALSE(h.start_error());
  ssl::context old(ssl::context::tls_client);
  // Let the client offer TLS 1.1 (OpenSSL 3 would not by itself), so the
  // refusal is the server's: a protocol_version alert.
  SSL_CTX_set_security_level(old.native_handle(), 0);
  SSL_CTX_set_cipher_list(old.native_handle(), "DEFAULT:@SECLEVEL=0");
  SSL_CTX_set_min_proto_version(old.native_handle(), TLS1_1_VERSION);
  SSL_CTX_set_max_proto_version(old.native_handle(), TLS1_1_VERSION);
  ssl::stream<tcp::socket> s(ioc, old);
  s.lowest_layer().connect(ws_at);
  boost::system::error_code ec;
  s.handshake(ssl::stream_base::client, ec);
  ASSERT_TRUE(ec);
  EXPECT_NE(ec.message().find("protocol version"), std::string::npos)
      << ec.message();
}

TEST(TlsConfig, CertWithoutKeyAndUnreadableFilesAreRefused) {
  config c = test_config();
  c.tls_cert = "/nonexistent/cert.pem";
  EXPECT_EQ(check(c), "tls_cert and tls_key must be set together");
  c.tls_key = "/nonexistent/key.pem";
  EXPECT_EQ(check(c), "");
  server s(c);
  EXPECT_EQ(s.start(), std::make_error_code(std::errc::invalid_argument));
}

}  // namespace
}  // namespace chat::test
