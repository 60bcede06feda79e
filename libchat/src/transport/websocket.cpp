// The WebSocket transport: HTTP on one port, `GET /ws` upgrades; the plain
// HTTP endpoints are in http_routes.cpp.
#include "auth/expiry.hpp"
#include "auth/origin.hpp"
#include "transport/http_auth.hpp"
#include "transport/http_routes.hpp"
#include "transport/listener.hpp"
#include "transport/outgoing.hpp"
#include "transport/transport.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <deque>
#include <optional>

namespace chat::detail {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// A connection upgraded to WebSocket. Its state is touched only on its own
// shard's thread: every public entry point posts there first.
class ws_session final : public connection,
                         public session_base,
                         public std::enable_shared_from_this<ws_session> {
 public:
  ws_session(context& ctx, beast::tcp_stream&& stream, wire_format fmt)
      : ctx_(ctx),
        ws_(std::move(stream)),
        expiry_(ws_.get_executor()),
        fmt_(fmt) {}
  ~ws_session() override { ctx_.sessions.remove(this); }

  // An empty `auth.user` means the token comes in the first frame.
  void run(http::request<http::string_body> req, auth_result auth,
           std::string remote, bool echo_subprotocol) {
    remote_ = std::move(remote);
    ws_.set_option(websocket::stream_base::timeout{
        ctx_.cfg.handshake_timeout, ctx_.cfg.idle_timeout, true});
    beast::get_lowest_layer(ws_).expires_never();
    // The size limit is checked in on_read: Beast's own check (Boost 1.81)
    // tears the socket down with the rest of the message unread, so the peer
    // gets a reset (browsers report 1006) instead of the 1009 close frame.
    ws_.read_message_max(0);
    ws_.set_option(websocket::stream_base::decorator(
        [proto = subprotocol_name(fmt_),
         echo_subprotocol](websocket::response_type& res) {
          res.set(http::field::server, "chatd");
          if (echo_subprotocol)
            res.set(http::field::sec_websocket_protocol, proto);
        }));
    ws_.async_accept(req, [self = shared_from_this(), auth = std::move(auth)](
                              beast::error_code ec) mutable {
      self->on_accept(ec, std::move(auth));
    });
  }

  void deliver(envelope_ptr env) override {
    net::post(ws_.get_executor(),
              [self = shared_from_this(), env = std::move(env)]() mutable {
                self->enqueue({std::move(env), {}});
              });
  }

  void notify(v1::ServerFrame frame) override {
    net::post(ws_.get_executor(), [self = shared_from_this(),
                                   bytes = encode(frame, fmt_)]() mutable {
      self->enqueue({nullptr, std::move(bytes)});
    });
  }

  void close(close_code code, std::string_view reason) override {
    net::post(ws_.get_executor(),
              [self = shared_from_this(), code, r = std::string(reason)] {
                self->begin_close(code, r);
              });
  }

  void shutdown() override {
    close(ctx_.cfg.shutdown_close_code,
          shutdown_reason(ctx_.cfg.shutdown_close_code));
  }

  void terminate() override {
    net::post(ws_.get_executor(), [self = shared_from_this()] {
      beast::get_lowest_layer(self->ws_).close();
    });
  }

 private:
  void on_accept(beast::error_code ec, auth_result auth) {
    if (ec) {
      ctx_.log(log_level::debug, "websocket handshake: " + ec.message());
      return;
    }
    accepted_ = true;
    if (auth.user.empty()) {
      expiry_.arm_after(weak_from_this(), ctx_.cfg.handshake_timeout,
                        "handshake timeout");
    } else {
      admit(std::move(auth));
    }
    if (closing_) do_close();  // a stop arrived during the handshake
    do_read();
  }

  void admit(auth_result auth) {
    ctx_.attach(shared_from_this(), std::move(auth.user), transport_kind::ws,
                remote_);
    expiry_.arm(weak_from_this(), auth.expires_at);
    v1::ServerFrame welcome;
    welcome.mutable_welcome()->set_connection_id(id());
    welcome.mutable_welcome()->set_user(this->user());
    enqueue({nullptr, encode(welcome, fmt_)});
  }

  // The first frame of a connection upgraded without a token: a hello the
  // authenticate hook accepts, or an error and 1008.
  void on_hello(const v1::ClientFrame* frame) {
    auth_result r = auth_result::refuse(401, "the first frame must be a hello");
    if (frame && frame->frame_case() == v1::ClientFrame::kHello) {
      const v1::Hello& h = frame->hello();
      r = ctx_.authenticate({"ws", remote_, {}, h.user(), h.token(), {}});
    }
    if (!r.user.empty()) return admit(std::move(r));
    ctx_.refused(transport_kind::ws, remote_, refusal_for(r.status), r.status,
                 r.reason);
    enqueue(
        {nullptr, encode(make_error(errc::unauthenticated, r.reason), fmt_)});
    begin_close(close_code::policy_violation, "unauthenticated");
  }

  // Reads a message piece by piece, so that one over the limit is never
  // buffered past it.
  void do_read() {
    const std::size_t room = ctx_.cfg.max_message_bytes + 1 - buf_.size();
    ws_.async_read_some(
        buf_, room,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          self->on_read(ec);
        });
  }

  void on_read(beast::error_code ec) {
    if (ec) return finish(ec);
    if (buf_.size() > ctx_.cfg.max_message_bytes) return too_big();
    if (!ws_.is_message_done()) return do_read();
    const auto data = buf_.cdata();
    const std::string_view bytes(static_cast<const char*>(data.data()),
                                 data.size());
    v1::ClientFrame frame;
    const auto err = decode(
        bytes, ws_.got_text() ? wire_format::json : wire_format::protobuf,
        frame);
    buf_.consume(buf_.size());
    if (user().empty()) {  // not authenticated yet
      if (!closing_) on_hello(err ? nullptr : &frame);
      return do_read();
    }
    const v1::ServerFrame answer =
        err ? make_error(err->code, err->message) : ctx_.handle(*this, frame);
    if (answer.frame_case() != v1::ServerFrame::FRAME_NOT_SET) {
      enqueue({nullptr, encode(answer, fmt_)});
    }
    do_read();
  }

  // Closes with 1009 through the close handshake, which reads and drops the
  // rest of the message. No read follows, so the session ends here.
  void too_big() {
    buf_.clear();
    if (ctx_.log.enabled(log_level::debug)) {
      ctx_.log(log_level::debug,
               "connection " + id() + ": message over the limit, closing 1009");
    }
    begin_close(close_code::too_big, "message too big");
    ctx_.detach(*this, transport_kind::ws);
  }

  void finish(beast::error_code ec) {
    if (ec != websocket::error::closed && ctx_.log.enabled(log_level::debug)) {
      ctx_.log(log_level::debug,
               "connection " + id() + " ended: " + ec.message());
    }
    done_ = true;
    if (!writing_)
      queue_.clear();  // else on_write does, once the write lets go
    ctx_.detach(*this, transport_kind::ws);
  }

  // Starts a write when the queue goes from empty to one; on_write drains it.
  void enqueue(outgoing item) {
    if (done_ || close_sent_) return;
    queue_.push_back(std::move(item));
    if (!writing_ && accepted_) do_write();
  }

  void do_write() {
    writing_ = true;
    ws_.text(fmt_ == wire_format::json);
    ws_.async_write(
        net::buffer(queue_.front().bytes(fmt_)),
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          self->on_write(ec);
        });
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    if (ec || done_) {
      queue_.clear();  // the read side sees the failure and finishes
      return;
    }
    queue_.pop_front();
    if (!queue_.empty()) return do_write();
    if (closing_) do_close();
  }

  void begin_close(close_code code, std::string reason) {
    if (closing_ || done_) return;
    closing_ = true;
    reason_ = websocket::close_reason(static_cast<websocket::close_code>(code),
                                      reason);
    if (!accepted_) return;  // on_accept closes once the handshake is done
    if (!writing_ && queue_.empty()) do_close();
  }

  void do_close() {
    if (close_sent_) return;
    close_sent_ = true;
    ws_.async_close(reason_, [self = shared_from_this()](beast::error_code) {});
  }

  context& ctx_;
  websocket::stream<beast::tcp_stream> ws_;
  expiry_timer expiry_;
  std::string remote_;
  beast::flat_buffer buf_;
  wire_format fmt_;
  std::deque<outgoing> queue_;
  websocket::close_reason reason_;
  bool accepted_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool close_sent_ = false;
  bool done_ = false;
};

// A plain HTTP connection: serves small requests until it upgrades.
class http_session final : public session_base,
                           public std::enable_shared_from_this<http_session> {
 public:
  http_session(context& ctx, tcp::socket&& s)
      : ctx_(ctx), ex_(s.get_executor()), stream_(std::move(s)) {}
  ~http_session() override { ctx_.sessions.remove(this); }

  void run() {
    net::dispatch(ex_, [self = shared_from_this()] { self->do_read(); });
  }

  void shutdown() override { terminate(); }
  void terminate() override {
    net::post(ex_, [self = shared_from_this()] {
      self->stopping_ = true;
      if (!self->upgraded_) self->stream_.close();
    });
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(8 * 1024);
    parser_->body_limit(64 * 1024);
    stream_.expires_after(ctx_.cfg.handshake_timeout);
    http::async_read(
        stream_, buf_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          self->on_read(ec);
        });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      return;
    }
    if (ec) return;
    auto req = parser_->release();
    if (websocket::is_upgrade(req)) return upgrade(std::move(req));
    respond(answer_http(ctx_, req), req.keep_alive());
  }

  void upgrade(http::request<http::string_body> req) {
    const std::string remote = remote_text();
    const auto refuse = [&](refusal r, http::status st, std::string why) {
      ctx_.refused(transport_kind::ws, remote, r, static_cast<unsigned>(st),
                   why);
      respond(text_response(req.version(), st, std::move(why) + "\n"), false);
    };
    const std::string_view target = req.target();
    if (target.substr(0, target.find('?')) != "/ws") {
      return refuse(refusal::not_found, http::status::not_found, "not found");
    }
    if (!origin_allowed(ctx_.cfg.allowed_origins, req[http::field::origin],
                        req.count(http::field::origin) != 0)) {
      return refuse(refusal::forbidden, http::status::forbidden,
                    "origin not allowed");
    }
    auth_result auth = authenticate(req, remote);
    if (auth.user.empty() && auth.status != 0) return;  // refused, answered
    const auto offered = req[http::field::sec_websocket_protocol];
    const auto fmt = negotiate_subprotocol(offered);
    if (!fmt) {
      return refuse(
          refusal::bad_subprotocol, http::status::bad_request,
          "unsupported subprotocol: offer chat.v1.json or chat.v1.proto");
    }
    if (stopping_)
      return refuse(refusal::shutting_down, http::status::service_unavailable,
                    "shutting down");
    upgraded_ = true;
    auto ws = std::make_shared<ws_session>(ctx_, std::move(stream_), *fmt);
    ctx_.sessions.add(ws);
    ws->run(std::move(req), std::move(auth), remote, !offered.empty());
  }

  // Runs the handshake through the authenticate hook; answers a refusal
  // itself. An empty user with status 0: the token comes in the first frame.
  auth_result authenticate(const http::request<http::string_body>& req,
                           std::string_view remote) {
    const std::string_view target = req.target();
    const auto user = query_param(target, "user");
    const auto token = query_param(target, "token");
    if (ctx_.cfg.auth_in_first_frame && !token &&
        !req[http::field::authorization].starts_with("Bearer ")) {
      return auth_result::accept({});
    }
    auth_result r = authenticate_request(ctx_, transport_kind::ws, req,
                                         {"ws",
                                          remote,
                                          target,
                                          user ? *user : std::string_view{},
                                          token ? *token : std::string_view{},
                                          {}});
    if (r.user.empty()) {
      respond(text_response(req.version(), static_cast<http::status>(r.status),
                            r.reason + "\n"),
              false);
    }
    return r;
  }

  std::string remote_text() const { return peer_address(stream_.socket()); }

  void respond(http::response<http::string_body>&& res, bool keep_alive) {
    res.keep_alive(keep_alive);
    auto sp =
        std::make_shared<http::response<http::string_body>>(std::move(res));
    http::async_write(stream_, *sp,
                      [self = shared_from_this(), sp, keep_alive](
                          beast::error_code ec, std::size_t) {
                        if (ec) return;
                        if (!keep_alive || self->stopping_) {
                          self->stream_.socket().shutdown(
                              tcp::socket::shutdown_send, ec);
                          return;
                        }
                        self->do_read();
                      });
  }

  context& ctx_;
  net::any_io_executor ex_;
  beast::tcp_stream stream_;
  beast::flat_buffer buf_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool upgraded_ = false;
  bool stopping_ = false;
};

}  // namespace

std::unique_ptr<transport> make_websocket_transport(context& ctx) {
  return std::make_unique<listening_transport>(
      ctx, "ws", ctx.cfg.listen, [&ctx](listener::socket s) {
        start_session<http_session>(ctx, std::move(s));
      });
}

}  // namespace chat::detail
