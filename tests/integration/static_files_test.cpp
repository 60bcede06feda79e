// config::files on the WebSocket port: GET and HEAD of a table of files,
// with their content types and security headers, 404 for what is not in it,
// while /ws, /healthz, /readyz and /metrics keep working.
#include "support/harness.hpp"
#include "support/raw_socket.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace chat::test {
namespace {

constexpr std::string_view index_html = "<!doctype html><title>t</title>\n";
constexpr std::string_view app_js = "export const x = 1;\n";

std::shared_ptr<const static_files> sample_files() {
  auto f = std::make_shared<static_files>();
  f->add("/index.html", std::string(index_html));
  f->add("/app.js", std::string(app_js));
  f->add("/style.css", "body{}");
  f->add("/icon.svg", "<svg/>");
  f->add("/blob.bin", std::string("\0\1\2", 3));
  f->add("/docs/index.html", "docs");
  return f;
}

config files_config() {
  config c = test_config();
  c.files = sample_files();
  return c;
}

// One HTTP response, split up; header names in lower case.
struct response {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
};

response parse(const std::string& raw) {
  response r;
  const auto end = raw.find("\r\n\r\n");
  EXPECT_NE(end, std::string::npos) << raw;
  if (end == std::string::npos) return r;
  r.status = std::stoi(raw.substr(9, 3));
  r.body = raw.substr(end + 4);
  std::size_t at = raw.find("\r\n") + 2;
  while (at < end) {
    const auto eol = raw.find("\r\n", at);
    const auto colon = raw.find(':', at);
    std::string name = raw.substr(at, colon - at);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    r.headers[name] = raw.substr(colon + 2, eol - colon - 2);
    at = eol + 2;
  }
  return r;
}

response request(std::uint16_t port, std::string_view method,
                 std::string_view target, std::string_view extra = {}) {
  return parse(http_exchange(
      port, std::string(method) + " " + std::string(target) +
                " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                std::string(extra) + "\r\n"));
}

TEST(StaticFiles, MimeTypeFollowsTheExtension) {
  EXPECT_EQ(mime_type("/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type("/a/app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type("/m.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type("/style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(mime_type("/icon.svg"), "image/svg+xml");
  EXPECT_EQ(mime_type("/x.png"), "image/png");
  EXPECT_EQ(mime_type("/blob.bin"), "application/octet-stream");
  EXPECT_EQ(mime_type("/dir.js/file"), "application/octet-stream");
  EXPECT_EQ(mime_type("/noext"), "application/octet-stream");
}

TEST(StaticFiles, TableFindsExactPathsAndIndexOfDirectories) {
  const auto f = sample_files();
  ASSERT_NE(f->find("/"), nullptr);
  EXPECT_EQ(f->find("/")->body, index_html);
  EXPECT_EQ(f->find("/docs/")->body, "docs");
  EXPECT_EQ(f->find("/docs"), nullptr);
  EXPECT_EQ(f->find("/APP.JS"), nullptr);
  EXPECT_EQ(f->find("/../app.js"), nullptr);
  EXPECT_EQ(f->find("/app.js")->content_type, "text/javascript; charset=utf-8");
  // The validator changes with the bytes, and only with them.
  EXPECT_NE(f->find("/app.js")->etag, f->find("/style.css")->etag);
  static_files again;
  again.add("/other.js", std::string(app_js));
  EXPECT_EQ(again.find("/other.js")->etag, f->find("/app.js")->etag);
  EXPECT_EQ(again.find("/other.js")->etag.front(), '"');
  again.add("/other.js", "changed", "text/plain");
  EXPECT_EQ(again.find("/other.js")->content_type, "text/plain");
  EXPECT_NE(again.find("/other.js")->etag, f->find("/app.js")->etag);
}

TEST(StaticFiles, GetServesEachFileWithItsTypeAndSecurityHeaders) {
  harness h(files_config());
  ASSERT_FALSE(h.start_error());
  const auto port = h.server().port();
  const auto root = request(port, "GET", "/");
  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(root.body, index_html);
  EXPECT_EQ(root.headers.at("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(root.headers.at("content-length"),
            std::to_string(index_html.size()));
  EXPECT_EQ(root.headers.at("x-content-type-options"), "nosniff");
  EXPECT_EQ(root.headers.at("cache-control"), "no-cache");
  EXPECT_EQ(root.headers.at("etag"), sample_files()->find("/")->etag);
  EXPECT_EQ(root.headers.at("referrer-policy"), "no-referrer");
  const std::string& csp = root.headers.at("content-security-policy");
  EXPECT_EQ(csp, static_files{}.content_security_policy);
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(csp.find("script-src 'self';"), std::string::npos);
  EXPECT_NE(csp.find("connect-src 'self' ws: wss:"), std::string::npos);

  const std::map<std::string, std::string> types = {
      {"/app.js", "text/javascript; charset=utf-8"},
      {"/style.css", "text/css; charset=utf-8"},
      {"/icon.svg", "image/svg+xml"},
      {"/blob.bin", "application/octet-stream"},
      {"/index.html", "text/html; charset=utf-8"},
      {"/app.js?v=2", "text/javascript; charset=utf-8"}};
  for (const auto& [path, type] : types) {
    auto r = request(port, "GET", path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.headers["content-type"], type) << path;
    EXPECT_EQ(r.headers["x-content-type-options"], "nosniff") << path;
  }
  EXPECT_EQ(request(port, "GET", "/blob.bin").body, std::string("\0\1\2", 3));
}

TEST(StaticFiles, UnknownPathsAre404AndOtherMethods405) {
  harness h(files_config());
  ASSERT_FALSE(h.start_error());
  const auto port = h.server().port();
  for (const char* path : {"/nope", "/index.htm", "/docs", "/%2e%2e/app.js",
                           "/../app.js", "/app.js/"}) {
    const auto r = request(port, "GET", path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body, "not found\n") << path;
    EXPECT_EQ(r.headers.count("content-security-policy"), 0u) << path;
  }
  EXPECT_EQ(request(port, "POST", "/", "Content-Length: 0\r\n").status, 405);
  EXPECT_EQ(request(port, "DELETE", "/app.js").status, 405);
}

TEST(StaticFiles, HeadHasTheHeadersOfGetAndNoBody) {
  harness h(files_config());
  ASSERT_FALSE(h.start_error());
  const auto port = h.server().port();
  const auto get = request(port, "GET", "/app.js");
  const auto head = request(port, "HEAD", "/app.js");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.headers.at("content-length"), std::to_string(app_js.size()));
  EXPECT_EQ(head.headers, get.headers);
  // The built-in routes answer HEAD the same way.
  const auto health = request(port, "HEAD", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "");
  EXPECT_EQ(health.headers.at("content-length"), "3");
  EXPECT_EQ(request(port, "HEAD", "/nope").status, 404);
}

TEST(StaticFiles, MatchingIfNoneMatchIs304WithoutBody) {
  harness h(files_config());
  ASSERT_FALSE(h.start_error());
  const auto port = h.server().port();
  const std::string etag = sample_files()->find("/app.js")->etag;
  const auto fresh =
      request(port, "GET", "/app.js", "If-None-Match: " + etag + "\r\n");
  EXPECT_EQ(fresh.status, 304);
  EXPECT_EQ(fresh.body, "");
  EXPECT_EQ(fresh.headers.at("etag"), etag);
  const auto stale =
      request(port, "GET", "/app.js", "If-None-Match: \"0000\"\r\n");
  EXPECT_EQ(stale.status, 200);
  EXPECT_EQ(stale.body, app_js);
}

TEST(StaticFiles, BuiltInRoutesWinAndWsStillUpgrades) {
  config c = files_config();
  auto shadow = std::make_shared<static_files>(*sample_files());
  shadow->add("/healthz", "shadowed");
  shadow->add("/ws", "shadowed");
  shadow->add("/metrics", "shadowed");
  c.files = shadow;
  harness h(std::move(c));
  ASSERT_FALSE(h.start_error());
  const auto port = h.server().port();
  EXPECT_EQ(request(port, "GET", "/healthz").body, "ok\n");
  EXPECT_EQ(request(port, "GET", "/readyz").body, "ready\n");
  EXPECT_EQ(request(port, "GET", "/ws").status, 426);
  const auto metrics = request(port, "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("chat_"), std::string::npos);
  // An upgrade anywhere but /ws is still refused.
  EXPECT_EQ(parse(http_exchange(port, upgrade_request("/?user=x"))).status,
            404);

  auto alice = h.connect("alice", via::ws_json);
  auto bob = h.connect("bob", via::ws_proto);
  ASSERT_TRUE(alice && bob);
  (void)alice->send("bob", "hello over a port that serves files");
  const auto answer = next(*alice);
  ASSERT_TRUE(answer.has_sent()) << answer.ShortDebugString();
  const auto got = next(*bob);
  ASSERT_TRUE(got.has_message()) << got.ShortDebugString();
  EXPECT_EQ(got.message().text(), "hello over a port that serves files");
}

TEST(StaticFiles, WithoutATableEveryOtherPathIs404) {
  harness h;  // config::files unset
  ASSERT_FALSE(h.start_error());
  const auto port = h.server().port();
  EXPECT_EQ(request(port, "GET", "/").status, 404);
  EXPECT_EQ(request(port, "GET", "/index.html").status, 404);
  EXPECT_EQ(request(port, "GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace chat::test
