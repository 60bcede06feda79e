// The apigw transport: chatd as the HTTP backend of an API Gateway WebSocket
// API. API Gateway holds the sockets and calls three integrations here, one
// per route; the connectionId arrives in the `connectionid` header (mapped
// from context.connectionId, see docs/aws.md). Frames for clients go back
// through `@connections` (apigw_connection).
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

#include "aws/connections_client.hpp"
#include "aws/xray.hpp"
#include "transport/apigw_connection.hpp"
#include "transport/listener.hpp"
#include "transport/transport.hpp"

namespace chat::detail {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

response make_response(const request& req, http::status st, std::string body,
                       std::string_view type = "text/plain; charset=utf-8") {
  response res{st, req.version()};
  res.set(http::field::server, "chatd");
  res.set(http::field::content_type, type);
  res.body() = std::move(body);
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

response json_response(const request& req, const v1::ServerFrame& f) {
  if (f.frame_case() == v1::ServerFrame::FRAME_NOT_SET)
    return make_response(req, http::status::ok, {});
  return make_response(req, http::status::ok, encode(f, wire_format::json),
                       "application/json");
}

using request_ptr = std::shared_ptr<const request>;
// Receives the answer to an integration request; may run on any thread.
using reply_fn = std::function<void(response)>;

// What the three integrations do. A client frame is routed on the sender's
// own thread (see on_default); everything else is answered where it arrives.
class integrations {
 public:
  integrations(context& ctx, std::shared_ptr<connections_client> client,
               std::shared_ptr<xray_emitter> xray)
      : ctx_(ctx), client_(std::move(client)), xray_(std::move(xray)) {}

  void handle(request_ptr req, std::string remote, reply_fn reply) {
    if (!xray_) return dispatch(std::move(req), remote, nullptr, reply);
    // Continue the caller's trace (an ALB in front adds the header), else
    // start one. Deliveries made while routing become subsegments of this.
    auto seg = std::make_shared<xray_segment>();
    seg->name = "chatd";
    seg->id = new_segment_id();
    seg->start = std::chrono::system_clock::now();
    if (auto t = parse_trace_header((*req)["x-amzn-trace-id"])) {
      seg->trace = std::move(*t);
    } else {
      seg->trace.trace_id = new_trace_id(seg->start);
    }
    seg->method = std::string(req->method_string());
    seg->url = std::string(req->target());
    auto inner = std::make_shared<const trace_context>(
        trace_context{seg->trace.trace_id, seg->id, seg->trace.sampled});
    dispatch(std::move(req), remote, std::move(inner),
             [seg, xray = xray_, reply = std::move(reply)](response res) {
               if (seg->trace.sampled) {
                 seg->end = std::chrono::system_clock::now();
                 seg->status = res.result_int();
                 xray->emit(*seg);
               }
               reply(std::move(res));
             });
  }

 private:
  using trace_ptr = std::shared_ptr<const trace_context>;

  void dispatch(request_ptr req, std::string_view remote, trace_ptr trace,
                const reply_fn& reply) {
    const std::string_view target = req->target();
    const std::string_view path = target.substr(0, target.find('?'));
    if (path == "/healthz")
      return reply(make_response(*req, http::status::ok, "ok\n"));
    if (req->method() != http::verb::post)
      return reply(make_response(*req, http::status::method_not_allowed, {}));
    const std::string id((*req)["connectionid"]);
    if (id.empty()) {
      return reply(make_response(*req, http::status::bad_request,
                                 "missing connectionid header: map it from "
                                 "context.connectionId (docs/aws.md)\n"));
    }
    if (path == "/apigw/default")
      return on_default(std::move(req), id, std::move(trace), reply);
    trace_scope scope(trace.get());
    if (path == "/apigw/connect") return reply(on_connect(*req, id, remote));
    if (path == "/apigw/disconnect") return reply(on_disconnect(*req, id));
    reply(make_response(*req, http::status::not_found, "not found\n"));
  }

  response on_connect(const request& req, const std::string& id,
                      std::string_view remote) {
    std::string token(req["x-chat-token"]);
    const std::string_view authz = req[http::field::authorization];
    if (token.empty() && authz.starts_with("Bearer "))
      token = std::string(authz.substr(7));
    handshake hs{"apigw", remote, req.target(), req["x-chat-user"], token, {}};
    if (ctx_.cfg.hooks.authenticate) {
      for (const auto& field : req)
        hs.headers.emplace_back(field.name_string(), field.value());
    }
    auth_result r = ctx_.authenticate(hs);
    if (r.user.empty()) {
      ctx_.log(log_level::info, "refused $connect " + id + ": " + r.reason);
      return make_response(req, static_cast<http::status>(r.status),
                           r.reason + "\n");
    }
    auto c = std::make_shared<apigw_connection>(ctx_, ctx_.io.next(), client_,
                                                xray_);
    ctx_.sessions.add(c);
    if (!ctx_.attach_as(c, id, std::move(r.user))) {
      ctx_.sessions.remove(c.get());
      return make_response(req, http::status::conflict,
                           "connection id already registered\n");
    }
    return make_response(req, http::status::ok, {});
  }

  response on_disconnect(const request& req, const std::string& id) {
    if (auto c =
            std::dynamic_pointer_cast<apigw_connection>(ctx_.reg.find(id))) {
      // Unregistered before the answer, so that nothing routed after it is
      // posted to a dead id; the rest of the cleanup runs on c's thread.
      ctx_.detach(*c);
      c->gone();
    }
    return make_response(req, http::status::ok, {});
  }

  void on_default(request_ptr req, const std::string& id, trace_ptr trace,
                  const reply_fn& reply) {
    auto c = std::dynamic_pointer_cast<apigw_connection>(ctx_.reg.find(id));
    if (!c) {
      // Registered on a node that has since restarted, or already gone: ask
      // API Gateway to close it, so that the client connects again.
      client_->remove(id, {});
      return reply(
          json_response(*req, make_error(errc::unauthenticated,
                                         "unknown connection; connect again")));
    }
    v1::ClientFrame frame;
    if (req->body().size() > ctx_.cfg.max_message_bytes) {
      return reply(json_response(
          *req,
          make_error(errc::message_too_large, "frame exceeds the size limit")));
    }
    if (const auto err = decode(req->body(), wire_format::json, frame))
      return reply(json_response(*req, make_error(err->code, err->message)));
    if (frame.has_hello()) {
      // API Gateway cannot push before $connect completes, so the welcome is
      // what a client asks for with a hello on $default.
      v1::ServerFrame welcome;
      welcome.mutable_welcome()->set_connection_id(c->id());
      welcome.mutable_welcome()->set_user(c->user());
      return reply(json_response(*req, welcome));
    }
    // Consecutive frames of one client may arrive on different HTTP
    // connections, so on different threads. Routing them all on the
    // sender's thread is what keeps them in order for each recipient: a
    // post made there is not ordered against posts from other threads.
    c->run([this, c, req = std::move(req), frame = std::move(frame),
            trace = std::move(trace), reply]() mutable {
      trace_scope scope(trace.get());
      reply(json_response(*req, ctx_.route.handle(*c, frame)));
    });
  }

  context& ctx_;
  std::shared_ptr<connections_client> client_;
  std::shared_ptr<xray_emitter> xray_;  // null when tracing is off
};

// One keep-alive HTTP connection from API Gateway (or a load balancer).
class apigw_session final : public session_base,
                            public std::enable_shared_from_this<apigw_session> {
 public:
  apigw_session(context& ctx, integrations& api, tcp::socket&& s)
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
    boost::system::error_code ignored;
    const auto ep = stream_.socket().remote_endpoint(ignored);
    const std::string remote =
        ep.address().to_string() + ":" + std::to_string(ep.port());
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
  integrations& api_;
  net::any_io_executor ex_;
  beast::tcp_stream stream_;
  beast::flat_buffer buf_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

class apigw_transport final : public transport {
 public:
  explicit apigw_transport(context& ctx) : ctx_(ctx) {}

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
    listener_ =
        std::make_shared<listener>(ctx_, "apigw", [this](tcp::socket s) {
          auto h = std::make_shared<apigw_session>(ctx_, *api_, std::move(s));
          ctx_.sessions.add(h);
          h->run();
        });
    if (auto ec = listener_->listen(ctx_.cfg.apigw_listen)) return ec;
    listener_->run();
    return {};
  }

  void stop() override {
    if (listener_) listener_->stop();
  }

  std::uint16_t port() const noexcept override {
    return listener_ ? listener_->port() : 0;
  }

 private:
  context& ctx_;
  std::shared_ptr<connections_client> client_;
  std::shared_ptr<xray_emitter> xray_;
  std::optional<integrations> api_;
  std::shared_ptr<listener> listener_;
};

}  // namespace

std::unique_ptr<transport> make_apigw_transport(context& ctx) {
  return std::make_unique<apigw_transport>(ctx);
}

}  // namespace chat::detail
