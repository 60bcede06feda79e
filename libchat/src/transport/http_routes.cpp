// Plain HTTP requests on the WebSocket port.
#include "transport/http_routes.hpp"

namespace chat::detail {

namespace http = boost::beast::http;

http_response text_response(unsigned version, http::status status,
                            std::string body) {
  http_response res{status, version};
  res.set(http::field::server, "chatd");
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

http_response answer_http(const context& ctx, const http_request& req) {
  const std::string_view target = req.target();
  const std::string_view path = target.substr(0, target.find('?'));
  const unsigned v = req.version();
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    return text_response(v, http::status::method_not_allowed,
                         "method not allowed\n");
  }
  if (path == "/healthz") return text_response(v, http::status::ok, "ok\n");
  if (path == "/readyz") {
    // Load balancers stop sending new clients once a drain begins, while
    // /healthz keeps the process from being killed before it finishes.
    if (!ctx.accepting())
      return text_response(v, http::status::service_unavailable, "draining\n");
    // A store that cannot write (or was found damaged) is a node that
    // should get no new clients: their sends would be refused.
    if (std::string why = ctx.box.problem(); !why.empty())
      return text_response(v, http::status::service_unavailable, why + "\n");
    return text_response(v, http::status::ok, "ready\n");
  }
  if (path == "/metrics") {
    auto res = text_response(v, http::status::ok, ctx.metrics_text());
    res.set(http::field::content_type, "text/plain; version=0.0.4");
    return res;
  }
  if (path == "/ws") {
    auto res = text_response(v, http::status::upgrade_required,
                             "WebSocket upgrade required\n");
    res.set(http::field::upgrade, "websocket");
    return res;
  }
  return text_response(v, http::status::not_found, "not found\n");
}

}  // namespace chat::detail
