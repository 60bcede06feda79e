// The WebSocket transport: HTTP on one port, `GET /ws` upgrades; the plain
// HTTP endpoints are in http_routes.cpp.
#include "auth/origin.hpp"
#include "core/answers.hpp"
#include "core/clock.hpp"
#include "core/rate_limiter.hpp"
#include "transport/deadlines.hpp"
#include "transport/handshake_burst.hpp"
#include "transport/http_auth.hpp"
#include "transport/http_routes.hpp"
#include "transport/listener.hpp"
#include "transport/outgoing.hpp"
#include "transport/transport.hpp"
#include "transport/ws_frame.hpp"

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/detail/hybi13.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <sstream>
#include <type_traits>

#include <unistd.h>

namespace chat::detail {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

// An upgraded plain connection's socket: on its loop's own executor type
// rather than any_io_executor, which makes the socket and every pending
// operation on it smaller (an idle connection always has a read pending).
using plain_socket =
    net::basic_stream_socket<tcp, net::io_context::executor_type>;

template <class Stream>
constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

// Allocates a handler's operation at its own size. Asio's default recycles
// the thread's last freed operation blocks, which suits operations that
// complete soon; the read wait of an idle connection stays as long as the
// connection, and in a recycled block it would keep the size of whatever
// used the block before (an HTTP read of the handshake, about twice as
// large).
template <class T>
struct exact_allocator {
  using value_type = T;
  exact_allocator() = default;
  template <class U>
  exact_allocator(const exact_allocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    std::allocator<T>().deallocate(p, n);
  }
  template <class U>
  bool operator==(const exact_allocator<U>&) const noexcept {
    return true;
  }
  template <class U>
  bool operator!=(const exact_allocator<U>&) const noexcept {
    return false;
  }
};

// Calls `((*self).*On)(ec)` once `s` can be read, the wait allocated at
// its own size (the handler holds only `self`).
template <auto On, class Socket, class Self>
void when_readable(Socket& s, Self self) {
  s.async_wait(
      tcp::socket::wait_read,
      net::bind_allocator(exact_allocator<void>(),
                          [self = std::move(self)](beast::error_code ec) {
                            ((*self).*On)(ec);
                          }));
}

// The event loop behind a session's executor (the shards are io_contexts).
const net::io_context::executor_type& loop_of(const net::any_io_executor& ex) {
  const auto* io = ex.target<net::io_context::executor_type>();
  BOOST_ASSERT(io);
  return *io;
}

template <class Stream>
Stream make_stream(context& ctx, tcp::socket&& s) {
  if constexpr (is_tls<Stream>)
    return Stream(beast::tcp_stream(std::move(s)), *ctx.tls);
  else
    return Stream(std::move(s));
}

// A connection upgraded to WebSocket. Beast parses the upgrade request;
// from the 101 response on, the session frames RFC 6455 itself
// (ws_frame.hpp), so that it can read everything a socket holds into one
// buffer shared by the thread and decode every frame in it, and write all
// the frames queued for a connection in one system call.
//
// Over TLS (Stream = tls_stream) the session reads with async_read_some
// into a buffer of its own and writes with async_write: the TLS record
// layer sits between it and the socket.
//
// Its state is touched only on its own shard's thread: every public entry
// point posts there first.
template <class Stream>
class ws_session final
    : public connection,
      public session_base,
      private deadline,
      public std::enable_shared_from_this<ws_session<Stream>> {
  static constexpr bool tls = std::is_same_v<Stream, tls_stream>;
  using std::enable_shared_from_this<ws_session<Stream>>::shared_from_this;
  using executor = std::conditional_t<tls, net::any_io_executor,
                                      net::io_context::executor_type>;

 public:
  ws_session(context& ctx, Stream&& s, wire_format fmt, ip_limits::ticket t)
      : ctx_(ctx),
        ticket_(std::move(t)),
        ex_(kept_executor(s)),
        sock_(std::move(s)),
        reader_(ctx.cfg.max_message_bytes),
        fmt_(fmt) {
    if (ctx.cfg.rate_limit > 0)
      limiter_ = std::make_unique<rate_limiter>(ctx.cfg.rate_limit,
                                                ctx.cfg.rate_burst);
  }
  ~ws_session() override { ctx_.sessions.remove(this); }

  // `response` is the 101 answer, `early` what the client sent after its
  // request (frames it did not wait to send).
  // An empty `auth.user`: the client authenticates with a hello in its
  // first frame.
  void run(std::string response, std::string_view early, auth_result auth,
           std::string_view remote) {
    beast::error_code ec;
    if constexpr (tls) {
      beast::get_lowest_layer(sock_).expires_never();
    } else {
      sock_.non_blocking(true, ec);
    }
    out_ = std::move(response);
    if (!early.empty()) carry().assign(early);
    started_ = last_read_ = clock::now();
    if (auth.user.empty()) {
      deadline_ = started_ + ctx_.cfg.handshake_timeout;
      token_deadline_ = false;
    } else {
      admit(std::move(auth), remote);
    }
    arm_timer();
    if (carrying()) parse(in_->data(), in_->size(), true);
    flush();
    if (!done_) start_reading();
  }

  void deliver(envelope_ptr env) override {
    // The thread first: live_ is this thread's to read.
    if (home().running_in_this_thread() && live_) {
      put(env->encoded(fmt_));  // routed on this thread: no hop
      return flush_soon();
    }
    net::post(ex(), [self = shared_from_this(), env = std::move(env)] {
      self->put(env->encoded(self->fmt_));
      self->flush_soon();
    });
  }

  void notify(v1::ServerFrame frame) override {
    net::post(ex(), [self = shared_from_this(), bytes = encode(frame, fmt_)] {
      self->put(bytes);
      self->flush_soon();
    });
  }

  void close(close_code code, std::string_view reason) override {
    net::post(ex(), [self = shared_from_this(), code, r = std::string(reason)] {
      self->begin_close(static_cast<std::uint16_t>(code), r);
    });
  }

  void shutdown() override {
    close(ctx_.cfg.shutdown_close_code,
          shutdown_reason(ctx_.cfg.shutdown_close_code));
  }

  void terminate() override {
    net::post(ex(), [self = shared_from_this()] { self->end("terminated"); });
  }

 private:
  using clock = std::chrono::steady_clock;
  // Reads that drain a busy socket before others get a turn.
  static constexpr int reads_per_turn = 4;

  // Registers the connection and says welcome.
  void admit(auth_result auth, std::string_view remote) {
    ctx_.attach(shared_from_this(), std::move(auth.user), transport_kind::ws,
                remote);
    set_expiry(auth.expires_at);
    v1::ServerFrame welcome;
    welcome.mutable_welcome()->set_connection_id(id());
    welcome.mutable_welcome()->set_user(this->user());
    put(encode(welcome, fmt_));
    // What attach handed over was posted; once it is written, deliveries
    // routed on this thread may skip the post without overtaking it, and
    // the send queue's bound applies (the handover is bounded by the inbox:
    // a user coming back to a full inbox has not fallen behind).
    net::post(ex(), [self = shared_from_this()] { self->live_ = true; });
  }

  // The connection closes with 1008 "token expired" at `at` (a token's
  // `exp`; max: never), counted on the steady clock from now.
  void set_expiry(auth_result::time_point at) {
    if (at == auth_result::time_point::max()) {
      deadline_ = clock::time_point::max();
      return;
    }
    const auto left = std::clamp<std::chrono::system_clock::duration>(
        at - std::chrono::system_clock::now(),
        std::chrono::system_clock::duration::zero(),
        std::chrono::hours(24 * 365));
    deadline_ =
        clock::now() + std::chrono::duration_cast<clock::duration>(left);
    token_deadline_ = true;
  }

  // The first frame of a connection upgraded without a token: a hello the
  // authenticate hook accepts, or an error and 1008.
  void on_hello(const v1::ClientFrame* frame) {
    // Asked of the socket, not kept: a connection needs it only here.
    const std::string remote = peer_address(raw());
    auth_result r = auth_result::refuse(401, "the first frame must be a hello");
    if (frame && frame->frame_case() == v1::ClientFrame::kHello) {
      const v1::Hello& h = frame->hello();
      r = ctx_.authenticate({"ws", remote, {}, h.user(), h.token(), {}});
    }
    if (!r.user.empty()) return admit(std::move(r), remote);  // deadline reset
    ctx_.refused(transport_kind::ws, remote, refusal_for(r.status), r.status,
                 r.reason);
    put(encode(make_error(errc::unauthenticated, r.reason), fmt_));
    discard_ = true;  // frames after it are dropped while closing
    begin_close(ws::close_code::policy, "unauthenticated");
  }

  // The thread's read buffer: every session of the thread reads into it and
  // is done with it before its handler returns.
  static std::string& read_buffer() {
    thread_local std::string buf(64 * 1024, '\0');
    return buf;
  }

  // Frees a buffer's memory. (Assigning an empty string would not:
  // libstdc++ keeps the old allocation then.)
  static void release(std::string& s) noexcept { std::string().swap(s); }

  void start_reading() {
    if constexpr (tls) {
      tls_read();
    } else {
      wait_read();
    }
  }

  void tls_read() {
    static_assert(tls);
    if (tls_buf_.empty()) tls_buf_.resize(16 * 1024);
    sock_.async_read_some(
        net::buffer(tls_buf_),
        [self = shared_from_this()](beast::error_code ec, std::size_t n) {
          self->on_tls_read(ec, n);
        });
  }

  void on_tls_read(beast::error_code ec, std::size_t n) {
    if (ec || done_)
      return end(ec && ec != net::error::eof ? ec.message() : "");
    last_read_ = clock::now();
    const detail::received_at at;  // every message of this read
    if (!discard_) consume(tls_buf_.data(), n);
    flush();
    if (!done_ && !peer_closed_) tls_read();
  }

  // Bytes just read: parsed where they are, unless an incomplete frame
  // waits for them in in_.
  void consume(char* data, std::size_t n) {
    if (!carrying()) {
      parse(data, n, false);
    } else {
      in_->append(data, n);
      parse(in_->data(), in_->size(), true);
    }
  }

  std::string& carry() {
    if (!in_) in_ = std::make_unique<std::string>();
    return *in_;
  }
  bool carrying() const noexcept { return in_ && !in_->empty(); }

  void wait_read() {
    when_readable<&ws_session::on_readable>(sock_, shared_from_this());
  }

  void on_readable(beast::error_code ec) {
    if (ec || done_) return end(ec ? ec.message() : "");
    std::string& buf = read_buffer();
    for (int turn = 0; turn < reads_per_turn; ++turn) {
      const std::size_t n = sock_.read_some(net::buffer(buf), ec);
      if (ec == net::error::would_block) break;
      if (ec) return end(ec == net::error::eof ? "" : ec.message());
      last_read_ = clock::now();
      if (discard_) continue;
      const detail::received_at at;  // every message of this read
      consume(buf.data(), n);
      if (done_ || peer_closed_) break;
      if (n < buf.size() && !discard_) break;  // drained
      if (turn + 1 == reads_per_turn) {        // more may wait: let others run
        flush();
        net::post(ex(), [self = shared_from_this()] { self->on_readable({}); });
        return;
      }
    }
    flush();
    if (!done_ && !peer_closed_) wait_read();
  }

  // Handles every complete frame in data[0, size); keeps an incomplete one
  // in in_ (`owned`: data is in_ itself).
  void parse(char* data, std::size_t size, bool owned) {
    std::size_t used = 0;
    while (!done_ && !peer_closed_ && !discard_) {
      ws::event ev;
      const std::size_t n = reader_.next(data + used, size - used, ev);
      used += n;
      if (ev.what == ws::event::need_more) {
        if (n == 0) break;
        continue;
      }
      on_frame(ev);
    }
    if (done_ || peer_closed_ || discard_) {
      in_.reset();
      return;
    }
    if (owned) {
      in_->erase(0, used);
    } else if (used < size) {
      carry().assign(data + used, size - used);
    }
    if (in_ && in_->empty()) release(*in_);  // an idle connection holds none
  }

  void on_frame(const ws::event& ev) {
    switch (ev.what) {
      case ws::event::message:
        if (!closing_) on_message(ev);
        return;
      case ws::event::ping:
        if (!close_sent_) {
          ws::append_frame(out_, ws::opcode::pong, ev.payload);
        }
        return;
      case ws::event::pong:
        return;
      case ws::event::close:
        peer_closed_ = true;
        if (!close_sent_) {  // echo the peer's code, as RFC 6455 asks
          const std::uint16_t code = ev.code == ws::close_code::no_status
                                         ? ws::close_code::normal
                                         : ev.code;
          send_close(code, "");
        }
        ctx_.detach(*this, transport_kind::ws);
        return;
      case ws::event::fail:
        fail(ev.code, ev.payload);
        return;
      case ws::event::need_more:
        return;
    }
  }

  void on_message(const ws::event& ev) {
    if (user().empty()) {  // not authenticated yet: the first frame
      thread_local v1::ClientFrame hello;
      const auto err = decode(
          ev.payload,
          ev.op == ws::opcode::text ? wire_format::json : wire_format::protobuf,
          hello);
      return on_hello(err ? nullptr : &hello);
    }
    // Decoded into the thread's frame, reused: a send allocates nothing.
    thread_local v1::ClientFrame frame;
    const auto err = decode(
        ev.payload,
        ev.op == ws::opcode::text ? wire_format::json : wire_format::protobuf,
        frame);
    if (!err && frame.has_send() && limiter_) {
      switch (limiter_->admit(last_read_)) {
        case rate_limiter::verdict::pass:
          break;
        case rate_limiter::verdict::refuse:
          return put(encode(rate_limited(ctx_.cfg, frame.send()), fmt_));
        case rate_limiter::verdict::close:
          put(encode(rate_limited(ctx_.cfg, frame.send()), fmt_));
          return fail(ws::close_code::policy, "rate limit exceeded");
      }
    }
    v1::ServerFrame answer =
        err ? make_error(err->code, err->message) : ctx_.handle(*this, frame);
    if (answer.frame_case() != v1::ServerFrame::FRAME_NOT_SET) {
      thread_local std::string bytes;  // reused: encoding allocates nothing
      bytes.clear();
      encode(answer, fmt_, bytes);
      put(bytes);
    }
    recycle(answer);  // the `sent` serves the thread's next answer
  }

  // The peer broke the protocol (or a limit): close with `code` and read
  // nothing more from it.
  void fail(std::uint16_t code, std::string_view why) {
    if (ctx_.log.enabled(log_level::debug)) {
      ctx_.log(log_level::debug, "connection " + id() + ": " +
                                     std::string(why) + ", closing " +
                                     std::to_string(code));
    }
    discard_ = true;  // what follows is not read: it is not trusted
    begin_close(code, why);
    ctx_.detach(*this, transport_kind::ws);
  }

  // Appends one data frame for `payload` to the output.
  void put(std::string_view payload) {
    if (done_ || close_sent_) return;
    if (live_ &&
        out_.size() + (sending_ ? sending_->size() : 0) + payload.size() >
            ctx_.cfg.max_send_queue_bytes) {
      return overflow();
    }
    ws::append_frame(
        out_, fmt_ == wire_format::json ? ws::opcode::text : ws::opcode::binary,
        payload);
  }

  // A reader this far behind is cut off. What was queued for it is dropped
  // here but not lost: the inbox keeps every message until it is acked.
  // (A write under way finishes first: the close frame follows it.)
  void overflow() {
    release(out_);
    ctx_.log(log_level::info,
             "connection " + id() + ": send queue over " +
                 std::to_string(ctx_.cfg.max_send_queue_bytes) +
                 " bytes, closing 1013");
    begin_close(ws::close_code::try_again_later, "send queue full");
    ctx_.detach(*this, transport_kind::ws);
  }

  // Writes what is queued once the handlers already posted to this thread
  // (other deliveries, likely) have added theirs.
  void flush_soon() {
    if (flush_posted_ || writing_) return;
    flush_posted_ = true;
    net::post(ex(), [self = shared_from_this()] {
      self->flush_posted_ = false;
      self->flush();
    });
  }

  // One write for everything queued: first without waiting, and what the
  // socket does not take at once goes out asynchronously.
  void flush() {
    if (writing_ || done_) return;
    if (out_.empty()) return after_write();
    beast::error_code ec = net::error::would_block;
    std::size_t n = 0;
    if constexpr (!tls) {
      n = sock_.write_some(net::buffer(out_), ec);
      if (ec && ec != net::error::would_block) return end(ec.message());
      if (!ec && n == out_.size()) {
        release(out_);  // given back: an idle connection holds none
        return after_write();
      }
    }
    sending_ = std::make_unique<std::string>();
    sending_->swap(out_);  // out_ is left empty, holding nothing
    if (!ec) sending_->erase(0, n);
    writing_ = true;
    write_started_ = clock::now();
    arm_timer();  // the write deadline
    net::async_write(
        sock_, net::buffer(*sending_),
        [self = shared_from_this()](beast::error_code wec, std::size_t) {
          self->on_write(wec);
        });
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    sending_.reset();
    if (ec) return end(ec.message());
    if (!out_.empty()) return flush();
    after_write();
  }

  // Everything queued is on the wire.
  void after_write() {
    if (!close_sent_) return;
    if (peer_closed_) return end("");  // the close handshake is complete
    if (discard_ && !fin_sent_) {
      // A failed connection: tell the peer we are done, and read (and drop)
      // until it closes too, so that it gets the close frame rather than a
      // reset for the bytes it is still sending.
      fin_sent_ = true;
      beast::error_code ec;
      raw().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  void begin_close(std::uint16_t code, std::string_view reason) {
    if (closing_ || done_) return;
    closing_ = true;
    send_close(code, reason);
  }

  void send_close(std::uint16_t code, std::string_view reason) {
    if (close_sent_ || done_) return;
    closing_ = true;
    ws::append_close(out_, code, reason);
    close_sent_ = true;
    close_deadline_ = clock::now() + close_wait;
    arm_timer();
    flush();
  }

  // The session's one timer: pings an idle peer and drops one that stays
  // silent; the write deadline; the lifetime; the token's expiry (or the
  // deadline for a first-frame hello); the end of a close handshake.
  void arm_timer() {
    if (done_) return;
    // Unanswered ping: wait out the idle timeout; else ping when due.
    auto at = last_read_ +
              (last_ping_ > last_read_ ? ctx_.cfg.idle_timeout : ping_after());
    const auto life = ctx_.cfg.max_connection_lifetime;
    if (life.count() > 0 && !closing_) at = std::min(at, started_ + life);
    if (!closing_) at = std::min(at, deadline_);
    if (close_sent_) at = close_deadline_;
    if (writing_) at = std::min(at, write_started_ + ctx_.cfg.write_timeout);
    timers().schedule(*this, at, shared_from_this());
  }

  void on_deadline() override { on_timer(); }

  void on_timer() {
    if (done_) return;
    const auto now = clock::now();
    if (writing_ && now - write_started_ >= ctx_.cfg.write_timeout) {
      ctx_.log(log_level::info,
               "connection " + id() + ": write timed out, closing the socket");
      return end("write timed out");
    }
    const auto life = ctx_.cfg.max_connection_lifetime;
    if (close_sent_) {
      if (now >= close_deadline_) return end("close handshake timed out");
    } else if (now >= deadline_) {
      deadline_ = clock::time_point::max();
      begin_close(ws::close_code::policy,
                  token_deadline_ ? "token expired" : "handshake timeout");
    } else if (life.count() > 0 && now - started_ >= life) {
      begin_close(ws::close_code::going_away, "max connection lifetime");
    } else if (now - last_read_ >= ctx_.cfg.idle_timeout) {
      return end("idle timeout");
    } else if (now - last_read_ >= ping_after() && last_ping_ <= last_read_) {
      last_ping_ = now;
      ws::append_frame(out_, ws::opcode::ping, "");
      flush();
    }
    arm_timer();
  }

  clock::duration ping_after() const {
    return std::min<clock::duration>(ctx_.cfg.ping_interval,
                                     ctx_.cfg.idle_timeout / 2);
  }

  // Closes the socket and leaves the registry; idempotent.
  void end(std::string_view why) {
    if (done_) return;
    done_ = true;
    if (!why.empty() && ctx_.log.enabled(log_level::debug)) {
      ctx_.log(log_level::debug,
               "connection " + id() + " ended: " + std::string(why));
    }
    beast::error_code ec;
    raw().shutdown(tcp::socket::shutdown_both, ec);
    raw().close(ec);
    // The deadline held this session: let go of it once this call is over.
    if (auto owner = timers().cancel(*this))
      net::post(ex(), [owner = std::move(owner)] {});
    release(out_);
    in_.reset();
    if constexpr (tls) release(tls_buf_);
    ctx_.detach(*this, transport_kind::ws);
  }

  auto& raw() {
    if constexpr (tls) {
      return beast::get_lowest_layer(sock_).socket();
    } else {
      return sock_;
    }
  }

  // Its loop's deadlines (looked up, not kept: it is not on the data path).
  deadlines& timers() { return deadlines::of(home().context()); }

  // Where its work is posted: the socket's executor (TLS: the one kept,
  // as the TLS stream's is not its loop's own type).
  const executor& ex() noexcept {
    if constexpr (tls) {
      return ex_;
    } else {
      return sock_.get_executor();
    }
  }

  // The loop this session runs on.
  const net::io_context::executor_type& home() noexcept {
    if constexpr (tls) {
      return loop_of(ex_);
    } else {
      return sock_.get_executor();
    }
  }

  struct none {};
  static auto kept_executor(Stream& s) {
    if constexpr (tls) {
      return s.get_executor();
    } else {
      return none{};
    }
  }

  static constexpr std::chrono::seconds close_wait{5};

  context& ctx_;
  ip_limits::ticket ticket_;  // its place under the per-address caps
  [[no_unique_address]] std::conditional_t<tls, executor, none> ex_;
  Stream sock_;
  ws::reader reader_;
  std::unique_ptr<rate_limiter> limiter_;  // null: no rate limit
  // An incomplete frame, carried to the next read: one pointer until a
  // connection first needs it.
  std::unique_ptr<std::string> in_;
  std::string out_;  // frames for the next write
  // Frames in an asynchronous write (rare: the socket took less than all).
  std::unique_ptr<std::string> sending_;
  // TLS: what a read decrypted.
  [[no_unique_address]] std::conditional_t<tls, std::string, none> tls_buf_;
  clock::time_point started_{};
  clock::time_point deadline_ = clock::time_point::max();
  clock::time_point last_read_{};
  clock::time_point last_ping_{};
  clock::time_point write_started_{};
  clock::time_point close_deadline_{};
  wire_format fmt_;  // read from any thread: not a bit beside the flags
  // Bits, so that the session with its control block fits tcmalloc's
  // 352-byte size class (336 bytes and 16). Set and read on the session's
  // thread only. deadline_ is the token's expiry; else the deadline for a
  // hello.
  bool token_deadline_ : 1 = false;
  bool live_ : 1 = false;
  bool writing_ : 1 = false;
  bool flush_posted_ : 1 = false;
  bool closing_ : 1 = false;
  bool close_sent_ : 1 = false;
  bool peer_closed_ : 1 = false;
  bool discard_ : 1 = false;
  bool fin_sent_ : 1 = false;
  bool done_ : 1 = false;
};

// A plain HTTP connection: serves small requests until it upgrades.
template <class Stream>
class http_session final
    : public session_base,
      public std::enable_shared_from_this<http_session<Stream>> {
 public:
  // A null ticket: a per-address cap refuses this connection, and every
  // request on it is answered 429.
  // `read_by`: when the first request must have been read (a
  // request_wait's connection comes with the time it has left).
  http_session(context& ctx, ip_limits::ticket t,
               std::optional<deadline::clock::time_point> read_by,
               tcp::socket&& s)
      : ctx_(ctx),
        ticket_(std::move(t)),
        ex_(s.get_executor()),
        stream_(make_stream<Stream>(ctx, std::move(s))),
        read_by_(read_by) {
    handshake_burst::instance().started();
  }
  ~http_session() override {
    ctx_.sessions.remove(this);
    handshake_burst::instance().finished(upgraded_);
  }

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
    if (read_by_) {
      beast::get_lowest_layer(stream_).expires_at(*read_by_);
      read_by_.reset();
    } else {
      beast::get_lowest_layer(stream_).expires_after(
          ctx_.cfg.handshake_timeout);
    }
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
    http::status bad_status;
    if (const auto why = bad_handshake(req, bad_status); !why.empty()) {
      ctx_.refused(transport_kind::ws, remote, refusal::bad_handshake,
                   static_cast<unsigned>(bad_status), why);
      auto res =
          text_response(req.version(), bad_status, std::string(why) + "\n");
      if (bad_status == http::status::upgrade_required) {
        res.set(http::field::sec_websocket_version, "13");
      }
      return respond(std::move(res), false);
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
    if (stopping_ || !ctx_.accepting())
      return refuse(refusal::shutting_down, http::status::service_unavailable,
                    "shutting down");
    upgraded_ = true;
    http::response<http::empty_body> res{http::status::switching_protocols,
                                         req.version()};
    res.set(http::field::server, "chatd");
    res.set(http::field::upgrade, "websocket");
    res.set(http::field::connection, "Upgrade");
    websocket::detail::sec_ws_accept_type accept;
    websocket::detail::make_sec_ws_accept(accept,
                                          req[http::field::sec_websocket_key]);
    res.set(http::field::sec_websocket_accept,
            beast::string_view(accept.data(), accept.size()));
    if (!offered.empty()) {
      res.set(http::field::sec_websocket_protocol, subprotocol_name(*fmt));
    }
    const auto early = buf_.cdata();
    const std::string_view early_bytes(static_cast<const char*>(early.data()),
                                       early.size());
    if constexpr (is_tls<Stream>) {
      auto ws = std::make_shared<ws_session<tls_stream>>(
          ctx_, std::move(stream_), *fmt, std::move(ticket_));
      ctx_.sessions.add(ws);
      ws->run(head_of(res), early_bytes, std::move(auth), remote);
    } else {
      auto sock = rehome(stream_.release_socket());
      if (!sock) return;
      auto ws = std::make_shared<ws_session<plain_socket>>(
          ctx_, std::move(*sock), *fmt, std::move(ticket_));
      ctx_.sessions.add(ws);
      ws->run(head_of(res), early_bytes, std::move(auth), remote);
    }
  }

  // The same connection on a plain_socket of the same loop.
  std::optional<plain_socket> rehome(tcp::socket s) {
    beast::error_code ec;
    const auto protocol = s.local_endpoint(ec).protocol();
    if (ec) return std::nullopt;
    const auto fd = s.release(ec);
    if (ec) return std::nullopt;
    plain_socket out(loop_of(ex_));
    out.assign(protocol, fd, ec);
    if (ec) {
      ::close(fd);
      return std::nullopt;
    }
    return out;
  }

  // The response head as bytes (an empty body has none).
  static std::string head_of(const http::response<http::empty_body>& res) {
    std::ostringstream os;
    os << res.base();
    return std::move(os).str();
  }

  // What RFC 6455 section 4.2.1 asks of an opening handshake beyond the
  // Upgrade and Connection headers (websocket::is_upgrade checked those);
  // an empty string when it holds.
  static std::string_view bad_handshake(
      const http::request<http::string_body>& req, http::status& st) {
    st = http::status::bad_request;
    if (req.method() != http::verb::get) return "websocket upgrade needs GET";
    if (req.version() < 11) return "websocket upgrade needs HTTP/1.1";
    const auto key = req[http::field::sec_websocket_key];
    std::uint8_t raw[24];
    if (key.size() != 24 ||
        beast::detail::base64::decode(raw, key.data(), key.size()).first !=
            16) {
      return "bad Sec-WebSocket-Key";
    }
    if (req[http::field::sec_websocket_version] != "13") {
      st = http::status::upgrade_required;
      return "unsupported Sec-WebSocket-Version: use 13";
    }
    return {};
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
  std::optional<deadline::clock::time_point> read_by_;
  bool upgraded_ = false;
  bool stopping_ = false;
};

// A plaintext connection whose request has not come yet: it holds its
// socket and its place under the per-address caps, and waits for the
// socket to be readable before an http_session takes it. Until then it
// has no read buffer, parser, pending read or stream timers (a few hundred
// bytes in five allocations). When thousands connect at once, each
// handshake's memory then lives from its request's arrival to its answer,
// a few at a time, not all at once; what the allocator keeps of that peak
// after the burst (with handshake_burst's release) was the larger part of
// an idle connection's memory.
class request_wait final : public session_base,
                           public deadline,
                           public std::enable_shared_from_this<request_wait> {
 public:
  request_wait(context& ctx, ip_limits::ticket t, tcp::socket&& s)
      : ctx_(ctx), ticket_(std::move(t)), sock_(std::move(s)) {
    handshake_burst::instance().started();
  }
  ~request_wait() override {
    ctx_.sessions.remove(this);
    handshake_burst::instance().finished(false);
  }

  void run() {
    net::dispatch(sock_.get_executor(),
                  [self = shared_from_this()] { self->wait(); });
  }

  void shutdown() override { terminate(); }
  void terminate() override {
    net::post(sock_.get_executor(), [self = shared_from_this()] {
      self->stopping_ = true;
      self->close();
    });
  }

 private:
  void wait() {
    if (stopping_) return;
    timers().schedule(*this, clock::now() + ctx_.cfg.handshake_timeout,
                      shared_from_this());
    when_readable<&request_wait::on_readable>(sock_, shared_from_this());
  }

  void on_readable(beast::error_code ec) {
    // Let go of when this call is over (`self` still holds this).
    const auto owner = timers().cancel(*this);
    if (ec || stopping_ || !sock_.is_open()) return;
    // A stop that began since: the HTTP session would come after the
    // stop's list of sessions to close.
    if (!ctx_.accepting()) return close();
    start_session<http_session<beast::tcp_stream>>(
        ctx_, std::move(sock_), std::move(ticket_), std::optional(due()));
  }

  // No request within the handshake deadline: closed, which ends the wait.
  void on_deadline() override { close(); }

  void close() {
    beast::error_code ec;
    sock_.close(ec);
  }

  deadlines& timers() {
    return deadlines::of(loop_of(sock_.get_executor()).context());
  }

  context& ctx_;
  ip_limits::ticket ticket_;
  tcp::socket sock_;
  bool stopping_ = false;
};

}  // namespace

std::unique_ptr<transport> make_websocket_transport(context& ctx) {
  return std::make_unique<listening_transport>(
      ctx, "ws", ctx.cfg.listen,
      [&ctx](listener::socket s, ip_limits::ticket t) {
        if (ctx.tls) {
          start_session<http_session<tls_stream>>(
              ctx, std::move(s), std::move(t),
              std::optional<deadline::clock::time_point>());
        } else {
          start_session<request_wait>(ctx, std::move(s), std::move(t));
        }
      });
}

}  // namespace chat::detail
