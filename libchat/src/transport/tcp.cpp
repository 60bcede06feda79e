// The raw TCP transport: varint-delimited protobuf frames both ways. The
// first client frame is a hello naming the user; the server closes with a
// `close` frame carrying a WebSocket close code.
#include <chat/framing.hpp>

#include "auth/expiry.hpp"
#include "core/answers.hpp"
#include "core/clock.hpp"
#include "core/rate_limiter.hpp"
#include "transport/listener.hpp"
#include "transport/outgoing.hpp"
#include "transport/transport.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <deque>

namespace chat::detail {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using clock = std::chrono::steady_clock;

// After the last frame is flushed, how long the peer has to close its side
// before the socket is closed anyway.
constexpr std::chrono::seconds linger_timeout{2};

using tls_socket = net::ssl::stream<tcp::socket>;

// A session over tcp::socket, or over tls_socket (TLS-TCP); both are
// instantiated here and nowhere else.
template <class Stream>
constexpr bool is_tls = std::is_same_v<Stream, tls_socket>;

template <class Stream>
Stream make_stream(context& ctx, tcp::socket&& s) {
  if constexpr (is_tls<Stream>)
    return Stream(std::move(s), *ctx.tls);
  else
    return Stream(std::move(s));
}

struct framed : outgoing {
  std::array<char, 10> prefix{};
  std::uint8_t prefix_len = 0;
};

template <class Stream>
class tcp_session final
    : public connection,
      public session_base,
      public std::enable_shared_from_this<tcp_session<Stream>> {
 public:
  tcp_session(context& ctx, ip_limits::ticket t, tcp::socket&& s)
      : ctx_(ctx),
        ticket_(std::move(t)),
        sock_(make_stream<Stream>(ctx, std::move(s))),
        timer_(sock_.get_executor()),
        expiry_(sock_.get_executor()),
        reader_(ctx.cfg.max_message_bytes),
        limiter_(ctx.cfg.rate_limit, ctx.cfg.rate_burst) {}
  ~tcp_session() override { ctx_.sessions.remove(this); }

  void run() {
    net::dispatch(sock_.get_executor(), [self = this->shared_from_this()] {
      self->last_read_ = clock::now();
      self->arm_timer(self->ctx_.cfg.handshake_timeout);
      self->start();
    });
  }

  void deliver(envelope_ptr env) override {
    net::post(sock_.get_executor(), [self = this->shared_from_this(),
                                     env = std::move(env)]() mutable {
      self->enqueue({{std::move(env), {}}});
    });
  }

  void notify(v1::ServerFrame frame) override {
    net::post(sock_.get_executor(),
              [self = this->shared_from_this(), f = std::move(frame)] {
                self->send_frame(f);
              });
  }

  void close(close_code code, std::string_view reason) override {
    net::post(sock_.get_executor(),
              [self = this->shared_from_this(), code, r = std::string(reason)] {
                self->begin_close(code, r);
              });
  }

  void shutdown() override {
    close(ctx_.cfg.shutdown_close_code,
          shutdown_reason(ctx_.cfg.shutdown_close_code));
  }

  void terminate() override {
    net::post(sock_.get_executor(),
              [self = this->shared_from_this()] { self->abort(); });
  }

 private:
  // The TLS handshake first, under the handshake deadline's timer;
  // plaintext to a TLS port fails it and is closed.
  void start() {
    if constexpr (is_tls<Stream>) {
      sock_.async_handshake(
          net::ssl::stream_base::server,
          [self = this->shared_from_this()](boost::system::error_code ec) {
            if (!ec) {
              self->secured_ = true;
              return self->do_read();
            }
            self->ctx_.log(log_level::debug, "tls handshake: " + ec.message());
            self->finish();
          });
    } else {
      secured_ = true;
      do_read();
    }
  }

  void do_read() {
    sock_.async_read_some(net::buffer(rbuf_), [self = this->shared_from_this()](
                                                  auto ec, std::size_t n) {
      self->on_read(ec, n);
    });
  }

  void on_read(boost::system::error_code ec, std::size_t n) {
    if (ec) return finish();
    last_read_ = clock::now();
    if (closing_) return do_read();  // draining until the peer closes
    const detail::received_at at;    // every message of this read
    reader_.feed({rbuf_.data(), n});
    std::string_view bytes;
    for (;;) {
      switch (reader_.next(bytes)) {
        case delimited_reader::status::frame:
          on_frame(bytes);
          if (closing_) return do_read();
          continue;
        case delimited_reader::status::need_more:
          return do_read();
        case delimited_reader::status::too_large:
          send_frame(
              make_error(errc::message_too_large,
                         "frame of " + std::to_string(reader_.claimed()) +
                             " bytes exceeds the limit of " +
                             std::to_string(ctx_.cfg.max_message_bytes)));
          begin_close(close_code::too_big, "message too big");
          return do_read();
        case delimited_reader::status::bad_prefix:
          send_frame(
              make_error(errc::malformed_frame, "bad varint length prefix"));
          begin_close(close_code::protocol_error, "bad length prefix");
          return do_read();
      }
    }
  }

  void on_frame(std::string_view bytes) {
    // Decoded into the thread's frame, reused: a send's strings are the
    // last one's (see codec/proto_fast.hpp).
    thread_local v1::ClientFrame frame;
    if (const auto err = decode(bytes, wire_format::protobuf, frame)) {
      send_frame(make_error(err->code, err->message));
      if (!authed_) begin_close(close_code::policy_violation, "hello expected");
      return;
    }
    if (authed_) {
      if (frame.has_send() && !admit(frame.send())) return;
      v1::ServerFrame answer = ctx_.handle(*this, frame);
      if (answer.frame_case() != v1::ServerFrame::FRAME_NOT_SET)
        send_frame(answer);
      recycle(answer);  // the `sent` serves the thread's next answer
      return;
    }
    const std::string remote_text = peer_address(sock_.lowest_layer());
    if (frame.frame_case() != v1::ClientFrame::kHello) {
      ctx_.refused(transport_kind::tcp, remote_text, refusal::no_hello, 0,
                   "the first frame must be a hello");
      send_frame(
          make_error(errc::unauthenticated, "the first frame must be a hello"));
      return begin_close(close_code::policy_violation, "hello expected");
    }
    const v1::Hello& hello = frame.hello();
    auth_result r = ctx_.authenticate(
        {"tcp", remote_text, {}, hello.user(), hello.token(), {}});
    if (r.user.empty()) {
      ctx_.refused(transport_kind::tcp, remote_text, refusal_for(r.status),
                   r.status, r.reason);
      send_frame(make_error(errc::unauthenticated, r.reason));
      return begin_close(close_code::policy_violation, "unauthenticated");
    }
    authed_ = true;
    ctx_.attach(this->shared_from_this(), std::move(r.user),
                transport_kind::tcp, remote_text);
    // The inbox attach() posted here is exempt from the queue's bound (see
    // websocket.cpp); what is posted now runs after it.
    net::post(sock_.get_executor(),
              [self = this->shared_from_this()] { self->handed_over_ = true; });
    expiry_.arm(this->weak_from_this(), r.expires_at);
    started_ = clock::now();
    watch(started_);
    v1::ServerFrame welcome;
    welcome.mutable_welcome()->set_connection_id(id());
    welcome.mutable_welcome()->set_user(user());
    send_frame(welcome);
  }

  // False when the send is over the rate limit: it is answered
  // RATE_LIMITED, and too many of those in a row close the connection.
  bool admit(const v1::Send& send) {
    const auto v = limiter_.admit(clock::now());
    if (v == rate_limiter::verdict::pass) return true;
    send_frame(rate_limited(ctx_.cfg, send));
    if (v == rate_limiter::verdict::close)
      begin_close(close_code::policy_violation, "rate limit exceeded");
    return false;
  }

  // One timer serves the handshake deadline, the idle timeout, the write
  // deadline, the lifetime and the final linger; it re-arms itself at the
  // nearest of them instead of being reset on every read or write.
  void arm_timer(clock::duration d) {
    timer_.expires_after(d);
    timer_.async_wait(
        [self = this->shared_from_this()](auto ec) { self->on_timer(ec); });
  }

  void on_timer(boost::system::error_code ec) {
    if (ec || done_) return;
    if (closing_) return abort();    // the peer did not close in time
    if (!secured_) return finish();  // no TLS handshake in time
    if (!authed_) {
      send_frame(make_error(errc::unauthenticated,
                            "no hello before the handshake deadline"));
      return begin_close(close_code::policy_violation, "handshake timeout");
    }
    const auto now = clock::now();
    const auto& cfg = ctx_.cfg;
    if (writing_ && now - write_started_ >= cfg.write_timeout) {
      ctx_.log(log_level::info,
               "connection " + id() + ": write timed out, closing the socket");
      return abort();
    }
    const auto life = cfg.max_connection_lifetime;
    if (life.count() > 0 && now - started_ >= life)
      return begin_close(close_code::going_away, "max connection lifetime");
    if (now - last_read_ >= cfg.idle_timeout)
      return begin_close(close_code::going_away, "idle timeout");
    watch(now);
  }

  // Arms the timer for the nearest deadline of an authenticated connection.
  void watch(clock::time_point now) {
    const auto& cfg = ctx_.cfg;
    auto at = std::min(last_read_ + cfg.idle_timeout,
                       (writing_ ? write_started_ : now) + cfg.write_timeout);
    if (cfg.max_connection_lifetime.count() > 0)
      at = std::min(at, started_ + cfg.max_connection_lifetime);
    timer_.expires_at(at);
    timer_.async_wait(
        [self = this->shared_from_this()](auto e) { self->on_timer(e); });
  }

  void send_frame(const v1::ServerFrame& f) {
    enqueue({{nullptr, encode(f, wire_format::protobuf)}});
  }

  void enqueue(framed item) {
    if (done_ || shut_ || overflowed_) return;
    std::uint64_t n = item.bytes(wire_format::protobuf).size();
    if (handed_over_) item.counted = n;
    queued_bytes_ += item.counted;
    if (queued_bytes_ > ctx_.cfg.max_send_queue_bytes) return overflow();
    do {
      const auto byte = static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
      item.prefix[item.prefix_len++] = byte;
      n >>= 7;
    } while (n != 0);
    queue_.push_back(std::move(item));
    if (!writing_) do_write();
  }

  // A reader this far behind is cut off: what is queued past the write in
  // flight is dropped (the inbox keeps it until acked), then the close.
  void overflow() {
    queue_.erase(
        queue_.begin() + static_cast<std::ptrdiff_t>(writing_ ? in_flight_ : 0),
        queue_.end());
    queued_bytes_ = writing_ ? in_flight_bytes_ : 0;
    ctx_.log(log_level::info,
             "connection " + id() + ": send queue over " +
                 std::to_string(ctx_.cfg.max_send_queue_bytes) +
                 " bytes, closing 1013");
    begin_close(close_code::try_again_later, "send queue full");
    overflowed_ = true;
  }

  // Writes everything queued in one gather write.
  void do_write() {
    writing_ = true;
    write_started_ = clock::now();
    buffers_.clear();
    in_flight_bytes_ = 0;
    for (const auto& f : queue_) {
      buffers_.emplace_back(f.prefix.data(), f.prefix_len);
      const auto b = f.bytes(wire_format::protobuf);
      buffers_.emplace_back(b.data(), b.size());
      in_flight_bytes_ += f.counted;
    }
    in_flight_ = queue_.size();
    net::async_write(sock_, buffers_,
                     [self = this->shared_from_this()](auto ec, std::size_t) {
                       self->on_write(ec);
                     });
  }

  void on_write(boost::system::error_code ec) {
    writing_ = false;
    if (done_) return queue_.clear();
    if (ec) return abort();
    queued_bytes_ -= in_flight_bytes_;
    queue_.erase(queue_.begin(),
                 queue_.begin() + static_cast<std::ptrdiff_t>(in_flight_));
    if (!queue_.empty()) return do_write();
    if (closing_) shut_down_send();
  }

  void begin_close(close_code code, std::string_view reason) {
    if (closing_ || done_) return;
    v1::ServerFrame f;
    f.mutable_close()->set_code(static_cast<std::uint32_t>(code));
    f.mutable_close()->set_reason(std::string(reason));
    send_frame(f);
    closing_ = true;
    ctx_.detach(*this, transport_kind::tcp);
    if (!writing_) shut_down_send();
  }

  // Everything is flushed: half-close, and give the peer a moment to close
  // its side so it reads our last frames instead of a reset.
  void shut_down_send() {
    if (shut_) return;
    shut_ = true;
    boost::system::error_code ignored;
    sock_.lowest_layer().shutdown(tcp::socket::shutdown_send, ignored);
    timer_.cancel();
    arm_timer(linger_timeout);
  }

  void abort() {
    boost::system::error_code ignored;
    sock_.lowest_layer().close(ignored);
  }

  void finish() {
    if (done_) return;
    done_ = true;
    if (!writing_)
      queue_.clear();  // else on_write does, once the write lets go
    timer_.cancel();
    abort();
    ctx_.detach(*this, transport_kind::tcp);
  }

  context& ctx_;
  ip_limits::ticket ticket_;  // its place under the per-address caps
  Stream sock_;
  net::steady_timer timer_;
  expiry_timer expiry_;
  delimited_reader reader_;
  rate_limiter limiter_;
  std::array<char, 16 * 1024> rbuf_;
  std::deque<framed> queue_;
  std::vector<net::const_buffer> buffers_;
  std::size_t in_flight_ = 0;
  std::size_t in_flight_bytes_ = 0;
  std::size_t queued_bytes_ = 0;  // of queue_, the frames in flight too
  clock::time_point last_read_{};
  clock::time_point started_{};        // authenticated
  clock::time_point write_started_{};  // the write in flight began
  bool secured_ = false;  // the TLS handshake is done (or there is none)
  bool authed_ = false;
  bool overflowed_ = false;
  bool handed_over_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool shut_ = false;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<transport> make_tcp_transport(context& ctx) {
  return std::make_unique<listening_transport>(
      ctx, "tcp", ctx.cfg.tcp_listen,
      [&ctx](listener::socket s, ip_limits::ticket t) {
        if (!t) {
          ctx.refused(transport_kind::tcp, peer_address(s), refusal::too_many,
                      429, "too many connections from this address");
          return;  // closed as it goes
        }
        if (ctx.tls) {
          start_session<tcp_session<tls_socket>>(ctx, std::move(s),
                                                 std::move(t));
        } else {
          start_session<tcp_session<tcp::socket>>(ctx, std::move(s),
                                                  std::move(t));
        }
      });
}

}  // namespace chat::detail
