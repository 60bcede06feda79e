// The apigw transport: chatd as the HTTP backend of an API Gateway WebSocket
// API. API Gateway holds the sockets and calls three integrations here, one
// per route; the connectionId arrives in the `connectionid` header (mapped
// from context.connectionId, see docs/aws.md). Frames for clients go back
// through `@connections` (apigw_connection).
#include "aws/connections_client.hpp"
#include "aws/xray.hpp"
#include "transport/apigw_integrations.hpp"
#include "transport/listener.hpp"
#include "transport/transport.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <optional>

namespace chat::detail {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

using request = apigw_request;
using response = apigw_response;

// One keep-alive HTTP connection from API Gateway (or a load balancer).
class apigw_session final : public session_base,
                            public std::enable_shared_from_this<apigw_session> {
 public:
  apigw_session(context& ctx, apigw_integrations& api, tcp::socket&& s)
      : ctx_(ctx), api_(api), ex_(s.get_executor()), stream_(std::move(s)) {}
  ~apigw_session() override { ctx_.sessions.remove(this); }

  void run() {
    net::dispatch(ex_, [self = shared_from_this()] { self->do_read(); });
  }
  void shutdown() override { terminate(); }
  void terminate() override {
    net::post(ex_, [self = shared_from_this()] { self->stream_.close(); });
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(ctx_.cfg.max_message_bytes + 1);
    stream_.expires_after(ctx_.cfg.idle_timeout);
    http::async_read(
        stream_, buf_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          self->on_read(ec);
        });
  }

  void on_read(beast::error_code ec) {
    if (ec) return stream_.close();
    auto req = std::make_shared<const request>(parser_->release());
    const std::string remote = peer_address(stream_.socket());
    api_.handle(std::move(req), remote,
                [self = shared_from_this()](response r) {
                  net::post(self->ex_, [self, r = std::move(r)]() mutable {
                    self->write(std::move(r));
                  });
                });
  }

  void write(response r) {
    auto res = std::make_shared<response>(std::move(r));
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res](beast::error_code wec, std::size_t) {
          if (wec || !res->keep_alive()) return self->stream_.close();
          self->do_read();
        });
  }

  context& ctx_;
  apigw_integrations& api_;
  net::any_io_executor ex_;
  beast::tcp_stream stream_;
  beast::flat_buffer buf_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

class apigw_transport final : public listening_transport {
 public:
  explicit apigw_transport(context& ctx)
      : listening_transport(ctx, "apigw", ctx.cfg.apigw_listen,
                            [this](listener::socket s, ip_limits::ticket) {
                              // API Gateway is one peer: the per-address caps
                              // are its own throttling's job, not ours.
                              start_session<apigw_session>(ctx_, std::move(s),
                                                           *api_);
                            }) {}

  std::error_code start() override {
    const auto url = parse_aws_url(ctx_.cfg.apigw_callback);
    if (!url) return std::make_error_code(std::errc::invalid_argument);
    connections_client::options o;
    o.callback = *url;
    o.region = signing_region(*url);
    o.credentials = credentials_from_env();
    if (!o.credentials) o.ecs = ecs_endpoint_from_env();
    if (!o.credentials && !o.ecs) {
      ctx_.log(log_level::warn,
               "apigw: no AWS credentials in the environment; @connections "
               "calls go unsigned");
    }
    client_ = std::make_shared<connections_client>(
        ctx_.io.at(0), std::move(o),
        [this](log_level l, std::string_view t) { ctx_.log(l, t); });
    if (ctx_.cfg.xray) {
      xray_ = std::make_shared<xray_emitter>(ctx_.io.at(0));
      if (auto ec = xray_->open(ctx_.cfg.xray_daemon)) return ec;
    }
    api_.emplace(ctx_, client_, xray_);
    return listening_transport::start();
  }

 private:
  std::shared_ptr<connections_client> client_;
  std::shared_ptr<xray_emitter> xray_;
  std::optional<apigw_integrations> api_;
};

}  // namespace

std::unique_ptr<transport> make_apigw_transport(context& ctx) {
  return std::make_unique<apigw_transport>(ctx);
}

}  // namespace chat::detail
