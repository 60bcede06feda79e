// The WebSocket transport: HTTP on one port, `GET /ws` upgrades; the plain
// HTTP endpoints are in http_routes.cpp.
#include "core/rate_limiter.hpp"
#include "transport/http_auth.hpp"
#include "transport/http_routes.hpp"
#include "transport/listener.hpp"
#include "transport/outgoing.hpp"
#include "transport/transport.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <deque>
#include <optional>

namespace chat::detail {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using clock = std::chrono::steady_clock;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

// Every session comes in two: over beast::tcp_stream (ws://) and over
// tls_stream (wss://); both are instantiated here and nowhere else.
template <class Stream>
constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

template <class Stream>
Stream make_stream(context& ctx, tcp::socket&& s) {
  if constexpr (is_tls<Stream>)
    return Stream(beast::tcp_stream(std::move(s)), *ctx.tls);
  else
    return Stream(std::move(s));
}

// A connection upgraded to WebSocket. Its state is touched only on its own
// shard's thread: every public entry point posts there first.
template <class Stream>
class ws_session final
    : public connection,
      public session_base,
      public std::enable_shared_from_this<ws_session<Stream>> {
 public:
  ws_session(context& ctx, Stream&& stream, wire_format fmt,
             ip_limits::ticket t)
      : ctx_(ctx),
        ticket_(std::move(t)),
        ws_(std::move(stream)),
        watch_(ws_.get_executor()),
        limiter_(ctx.cfg.rate_limit, ctx.cfg.rate_burst),
        fmt_(fmt) {}
  ~ws_session() override { ctx_.sessions.remove(this); }

  void run(http::request<http::string_body> req, std::string user,
           std::string remote, bool echo_subprotocol) {
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
    ws_.async_accept(
        req, [self = this->shared_from_this(), user = std::move(user),
              remote = std::move(remote)](beast::error_code ec) mutable {
          self->on_accept(ec, std::move(user), remote);
        });
  }

  void deliver(envelope_ptr env) override {
    net::post(ws_.get_executor(), [self = this->shared_from_this(),
                                   env = std::move(env)]() mutable {
      self->enqueue({std::move(env), {}});
    });
  }

  void notify(v1::ServerFrame frame) override {
    net::post(ws_.get_executor(), [self = this->shared_from_this(),
                                   bytes = encode(frame, fmt_)]() mutable {
      self->enqueue({nullptr, std::move(bytes)});
    });
  }

  void close(close_code code, std::string_view reason) override {
    net::post(ws_.get_executor(),
              [self = this->shared_from_this(), code, r = std::string(reason)] {
                self->begin_close(code, r);
              });
  }

  void shutdown() override {
    close(ctx_.cfg.shutdown_close_code,
          shutdown_reason(ctx_.cfg.shutdown_close_code));
  }

  void terminate() override {
    net::post(ws_.get_executor(), [self = this->shared_from_this()] {
      beast::get_lowest_layer(self->ws_).close();
    });
  }

 private:
  void on_accept(beast::error_code ec, std::string user,
                 std::string_view remote) {
    if (ec) {
      ctx_.log(log_level::debug, "websocket handshake: " + ec.message());
      return;
    }
    accepted_ = true;
    started_ = clock::now();
    arm_watch(started_);
    ctx_.attach(this->shared_from_this(), std::move(user), transport_kind::ws,
                remote);
    after_handover();
    v1::ServerFrame welcome;
    welcome.mutable_welcome()->set_connection_id(id());
    welcome.mutable_welcome()->set_user(this->user());
    enqueue({nullptr, encode(welcome, fmt_)});
    if (closing_) do_close();  // a stop arrived during the handshake
    do_read();
  }

  // Reads a message piece by piece, so that one over the limit is never
  // buffered past it.
  void do_read() {
    const std::size_t room = ctx_.cfg.max_message_bytes + 1 - buf_.size();
    ws_.async_read_some(
        buf_, room,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          self->on_read(ec);
        });
  }

  void on_read(beast::error_code ec) {
    if (ec) return finish(ec);
    if (!ws_.is_message_done()) {
      // What the current frame's header claims, less what has been read
      // of it: a frame that claims more than the limit is refused before
      // it arrives. (RFC 6455: a 64-bit length has its top bit clear.)
      const std::size_t rest = ws_.read_size_hint(1);
      if (rest >= (std::size_t{1} << 63) - buf_.size()) {
        return end_early(close_code::protocol_error,
                         "frame length with the top bit set");
      }
      if (buf_.size() + rest > ctx_.cfg.max_message_bytes) return too_big();
      return do_read();
    }
    if (buf_.size() > ctx_.cfg.max_message_bytes) return too_big();
    const auto data = buf_.cdata();
    const std::string_view bytes(static_cast<const char*>(data.data()),
                                 data.size());
    v1::ClientFrame frame;
    const auto err = decode(
        bytes, ws_.got_text() ? wire_format::json : wire_format::protobuf,
        frame);
    buf_.consume(buf_.size());
    if (!err && frame.has_send()) {
      switch (limiter_.admit(clock::now())) {
        case rate_limiter::verdict::pass:
          break;
        case rate_limiter::verdict::refuse:
          enqueue(
              {nullptr, encode(rate_limited(ctx_.cfg, frame.send()), fmt_)});
          return do_read();
        case rate_limiter::verdict::close:
          enqueue(
              {nullptr, encode(rate_limited(ctx_.cfg, frame.send()), fmt_)});
          return end_early(close_code::policy_violation, "rate limit exceeded");
      }
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
    end_early(close_code::too_big, "message too big");
  }

  // Closes for something the peer did (or failed to do), and leaves the
  // registry now: nothing more is delivered here.
  void end_early(close_code code, std::string_view why) {
    if (ctx_.log.enabled(log_level::debug)) {
      ctx_.log(log_level::debug, "connection " + id() + ": " +
                                     std::string(why) + ", closing " +
                                     std::to_string(static_cast<int>(code)));
    }
    begin_close(code, std::string(why));
    ctx_.detach(*this, transport_kind::ws);
  }

  // A reader this far behind is cut off. What was queued for it is dropped
  // here but not lost: the inbox keeps every message until it is acked.
  void overflow() {
    overflowed_ = true;
    queue_.erase(queue_.begin() + (writing_ ? 1 : 0), queue_.end());
    queued_bytes_ = queue_.empty() ? 0 : queue_.front().counted;
    ctx_.log(log_level::info,
             "connection " + id() + ": send queue over " +
                 std::to_string(ctx_.cfg.max_send_queue_bytes) +
                 " bytes, closing 1013");
    end_early(close_code::try_again_later, "send queue full");
  }

  // attach() posted the user's inbox to this thread; what is posted now
  // runs after it. That handover is exempt from the queue's bound: it is
  // bounded by the inbox, whose envelopes the queue shares, and a user
  // coming back to a full inbox has not fallen behind.
  void after_handover() {
    net::post(ws_.get_executor(),
              [self = this->shared_from_this()] { self->handed_over_ = true; });
  }

  // One timer for the write deadline and the lifetime: it wakes at the
  // nearer of the two and re-arms, instead of being reset on every write.
  void arm_watch(clock::time_point now) {
    auto at = now + ctx_.cfg.write_timeout;
    if (writing_ || close_sent_) at = write_started_ + ctx_.cfg.write_timeout;
    if (ctx_.cfg.max_connection_lifetime.count() > 0 && !closing_)
      at = std::min(at, started_ + ctx_.cfg.max_connection_lifetime);
    watch_.expires_at(at);
    watch_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec) self->on_watch();
    });
  }

  void on_watch() {
    if (done_) return;
    const auto now = clock::now();
    if ((writing_ || close_sent_) &&
        now - write_started_ >= ctx_.cfg.write_timeout) {
      ctx_.log(log_level::info,
               "connection " + id() + ": write timed out, closing the socket");
      beast::get_lowest_layer(ws_).close();
      return;
    }
    const auto life = ctx_.cfg.max_connection_lifetime;
    if (life.count() > 0 && !closing_ && now - started_ >= life)
      begin_close(close_code::going_away, "max connection lifetime");
    arm_watch(now);
  }

  void finish(beast::error_code ec) {
    if (ec != websocket::error::closed && ctx_.log.enabled(log_level::debug)) {
      ctx_.log(log_level::debug,
               "connection " + id() + " ended: " + ec.message());
    }
    done_ = true;
    watch_.cancel();
    if (!writing_)
      queue_.clear();  // else on_write does, once the write lets go
    ctx_.detach(*this, transport_kind::ws);
  }

  // Starts a write when the queue goes from empty to one; on_write drains it.
  void enqueue(outgoing item) {
    if (done_ || close_sent_ || overflowed_) return;
    if (handed_over_) item.counted = item.bytes(fmt_).size();
    queued_bytes_ += item.counted;
    if (queued_bytes_ > ctx_.cfg.max_send_queue_bytes) return overflow();
    queue_.push_back(std::move(item));
    if (!writing_ && accepted_) do_write();
  }

  void do_write() {
    writing_ = true;
    write_started_ = clock::now();
    ws_.text(fmt_ == wire_format::json);
    ws_.async_write(
        net::buffer(queue_.front().bytes(fmt_)),
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          self->on_write(ec);
        });
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    if (ec || done_) {
      queue_.clear();  // the read side sees the failure and finishes
      queued_bytes_ = 0;
      return;
    }
    queued_bytes_ -= queue_.front().counted;
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
    write_started_ = clock::now();
    ws_.async_close(reason_, [self = this->shared_from_this()](
                                 beast::error_code) { self->watch_.cancel(); });
  }

  context& ctx_;
  ip_limits::ticket ticket_;  // its place under the per-address caps
  websocket::stream<Stream> ws_;
  net::steady_timer watch_;  // write deadline and lifetime
  beast::flat_buffer buf_;
  rate_limiter limiter_;
  wire_format fmt_;
  std::deque<outgoing> queue_;
  std::size_t queued_bytes_ = 0;  // of queue_, the frame being written too
  websocket::close_reason reason_;
  clock::time_point started_{};        // accepted
  clock::time_point write_started_{};  // the current write or close began
  bool accepted_ = false;
  bool overflowed_ = false;
  bool handed_over_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool close_sent_ = false;
  bool done_ = false;
};

// A plain HTTP connection: serves small requests until it upgrades.
template <class Stream>
class http_session final
    : public session_base,
      public std::enable_shared_from_this<http_session<Stream>> {
 public:
  // A null ticket: a per-address cap refuses this connection, and every
  // request on it is answered 429.
  http_session(context& ctx, ip_limits::ticket t, tcp::socket&& s)
      : ctx_(ctx),
        ticket_(std::move(t)),
        ex_(s.get_executor()),
        stream_(make_stream<Stream>(ctx, std::move(s))) {}
  ~http_session() override { ctx_.sessions.remove(this); }

  void run() {
    net::dispatch(ex_, [self = this->shared_from_this()] { self->start(); });
  }

  void shutdown() override { terminate(); }
  void terminate() override {
    net::post(ex_, [self = this->shared_from_this()] {
      self->stopping_ = true;
      if (!self->upgraded_) beast::get_lowest_layer(self->stream_).close();
    });
  }

 private:
  // The TLS handshake first, within the handshake deadline; plaintext to
  // a TLS port fails it and is closed.
  void start() {
    if constexpr (is_tls<Stream>) {
      beast::get_lowest_layer(stream_).expires_after(
          ctx_.cfg.handshake_timeout);
      stream_.async_handshake(
          net::ssl::stream_base::server,
          [self = this->shared_from_this()](beast::error_code ec) {
            if (!ec) return self->do_read();
            self->ctx_.log(log_level::debug, "tls handshake: " + ec.message());
          });
    } else {
      do_read();
    }
  }

  void do_read() {
    parser_.emplace();
    parser_->header_limit(8 * 1024);
    parser_->body_limit(64 * 1024);
    beast::get_lowest_layer(stream_).expires_after(ctx_.cfg.handshake_timeout);
    http::async_read(
        stream_, buf_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          self->on_read(ec);
        });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream) {
      beast::get_lowest_layer(stream_).socket().shutdown(
          tcp::socket::shutdown_send, ec);
      return;
    }
    if (ec) return;
    auto req = parser_->release();
    if (!ticket_) {
      ctx_.refused(transport_kind::ws, remote_text(), refusal::too_many, 429,
                   "too many connections from this address");
      return respond(
          text_response(req.version(), http::status::too_many_requests,
                        "too many connections from this address\n"),
          false);
    }
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
    const std::string user = authenticate(req, remote);
    if (user.empty()) return;  // refused, and answered
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
    auto ws = std::make_shared<ws_session<Stream>>(ctx_, std::move(stream_),
                                                   *fmt, std::move(ticket_));
    ctx_.sessions.add(ws);
    ws->run(std::move(req), user, remote, !offered.empty());
  }

  // Runs the handshake through the authenticate hook; answers a refusal
  // itself and returns an empty name for it.
  std::string authenticate(const http::request<http::string_body>& req,
                           std::string_view remote) {
    const std::string_view target = req.target();
    const auto user = query_param(target, "user");
    const auto token = query_param(target, "token");
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
    return std::move(r.user);
  }

  std::string remote_text() const {
    return peer_address(beast::get_lowest_layer(stream_).socket());
  }

  void respond(http::response<http::string_body>&& res, bool keep_alive) {
    res.keep_alive(keep_alive);
    auto sp =
        std::make_shared<http::response<http::string_body>>(std::move(res));
    http::async_write(stream_, *sp,
                      [self = this->shared_from_this(), sp, keep_alive](
                          beast::error_code ec, std::size_t) {
                        if (ec) return;
                        if (!keep_alive || self->stopping_) {
                          beast::get_lowest_layer(self->stream_)
                              .socket()
                              .shutdown(tcp::socket::shutdown_send, ec);
                          return;
                        }
                        self->do_read();
                      });
  }

  context& ctx_;
  ip_limits::ticket ticket_;  // its place under the per-address caps
  net::any_io_executor ex_;
  Stream stream_;
  beast::flat_buffer buf_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool upgraded_ = false;
  bool stopping_ = false;
};

}  // namespace

std::unique_ptr<transport> make_websocket_transport(context& ctx) {
  return std::make_unique<listening_transport>(
      ctx, "ws", ctx.cfg.listen,
      [&ctx](listener::socket s, ip_limits::ticket t) {
        if (ctx.tls) {
          start_session<http_session<tls_stream>>(ctx, std::move(s),
                                                  std::move(t));
        } else {
          start_session<http_session<beast::tcp_stream>>(ctx, std::move(s),
                                                         std::move(t));
        }
      });
}

}  // namespace chat::detail
