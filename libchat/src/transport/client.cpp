// chat::client: a blocking client over WebSocket or raw TCP. Its I/O runs on
// a client_context thread; public calls post there and wait on futures or
// on the receive queue.
#include <chat/client.hpp>
#include <chat/framing.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <array>
#include <atomic>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <random>
#include <thread>

namespace chat {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct client_context::impl {
  net::io_context ioc{1};
  net::executor_work_guard<net::io_context::executor_type> guard{
      ioc.get_executor()};
  std::thread thread{[this] { ioc.run(); }};
};

client_context::client_context() : impl_(std::make_unique<impl>()) {}

client_context::~client_context() {
  impl_->guard.reset();
  impl_->ioc.stop();
  impl_->thread.join();
}

namespace {

struct parsed_url {
  bool websocket = true;
  bool tls = false;
  std::string host, port, target;
};

std::optional<parsed_url> parse_url(std::string_view url) {
  parsed_url u;
  if (url.starts_with("ws://")) {
    url.remove_prefix(5);
  } else if (url.starts_with("wss://")) {
    u.tls = true;
    url.remove_prefix(6);
  } else if (url.starts_with("tcp://")) {
    u.websocket = false;
    url.remove_prefix(6);
  } else {
    return std::nullopt;
  }
  const auto slash = url.find('/');
  const std::string_view authority = url.substr(0, slash);
  u.target =
      slash == std::string_view::npos ? "/ws" : std::string(url.substr(slash));
  const auto colon = authority.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  u.host = authority.substr(0, colon);
  u.port = authority.substr(colon + 1);
  if (u.host.size() > 2 && u.host.front() == '[')
    u.host = u.host.substr(1, u.host.size() - 2);
  if (u.host.empty() || u.port.empty()) return std::nullopt;
  return u;
}

// Escapes everything but RFC 3986 unreserved characters, for a query value.
std::string percent_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out += {'%', hex[c >> 4], hex[c & 15]};
    }
  }
  return out;
}

}  // namespace

struct client::impl : std::enable_shared_from_this<client::impl> {
  impl(client_options o, net::io_context& io)
      : opts(std::move(o)), ioc(io), reader(opts.max_message_bytes) {}

  // ---- state shared with callers, guarded by mu ----
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::deque<v1::ServerFrame> inbox;
  bool ended = false;
  close_info info;

  // ---- I/O state, touched on the context thread only ----
  client_options opts;
  net::io_context& ioc;
  std::optional<websocket::stream<beast::tcp_stream>> ws;
  std::optional<net::ssl::context> tls;  // for wss
  std::optional<websocket::stream<beast::ssl_stream<beast::tcp_stream>>> wss;
  std::optional<tcp::socket> sock;
  beast::flat_buffer buf;
  std::array<char, 16 * 1024> rbuf{};
  delimited_reader reader;
  std::deque<std::pair<std::string, bool>> writes;  // bytes, binary
  bool writing = false;
  bool closing = false;

  std::string connection_id, user;
  std::atomic<std::uint64_t> next_id{0};
  // Made-up client ids are "c-<random>-<n>": unique across this user's
  // connections and restarts, so the server's dedup never mistakes a new
  // send for a resend.
  std::string id_prefix = [] {
    std::random_device rd;
    char digits[16];
    const auto v = (std::uint64_t{rd()} << 32) | rd();
    const auto r = std::to_chars(digits, digits + sizeof digits, v, 36);
    return "c-" + std::string(digits, r.ptr) + "-";
  }();

  void push(v1::ServerFrame f) {
    std::lock_guard lock(mu);
    inbox.push_back(std::move(f));
    cv.notify_all();
  }

  void end(std::uint16_t code, std::string reason) {
    std::lock_guard lock(mu);
    if (ended) return;
    ended = true;
    info = {code, std::move(reason)};
    cv.notify_all();
  }

  bool websocket() const { return ws || wss; }

  // Calls `f` with the WebSocket stream, plain or TLS.
  template <class F>
  decltype(auto) with_ws(F&& f) {
    return ws ? f(*ws) : f(*wss);
  }

  // ---- reading ----
  void do_read() {
    if (websocket()) {
      with_ws([&](auto& w) {
        w.async_read(buf, [self = shared_from_this()](beast::error_code ec,
                                                      std::size_t) {
          self->on_ws_read(ec);
        });
      });
    } else {
      sock->async_read_some(net::buffer(rbuf), [self = shared_from_this()](
                                                   auto ec, std::size_t n) {
        self->on_tcp_read(ec, n);
      });
    }
  }

  void on_ws_read(beast::error_code ec) {
    if (ec) {
      const auto r = with_ws([](auto& w) { return w.reason(); });
      // No close frame (a reset, a timeout) is 1006, as in browsers.
      return end(r.code != 0 ? r.code : 1006,
                 std::string(r.reason.data(), r.reason.size()));
    }
    const auto data = buf.cdata();
    v1::ServerFrame f;
    const auto fmt = with_ws([](auto& w) { return w.got_text(); })
                         ? wire_format::json
                         : wire_format::protobuf;
    if (!decode({static_cast<const char*>(data.data()), data.size()}, fmt, f))
      push(std::move(f));
    buf.consume(buf.size());
    do_read();
  }

  void on_tcp_read(boost::system::error_code ec, std::size_t n) {
    if (ec) {
      std::lock_guard lock(mu);
      if (!ended) {
        ended = true;
        if (info.code == 0) info = {1006, "connection lost"};
        cv.notify_all();
      }
      return;
    }
    reader.feed({rbuf.data(), n});
    std::string_view frame;
    while (reader.next(frame) == delimited_reader::status::frame) {
      v1::ServerFrame f;
      if (decode(frame, wire_format::protobuf, f)) continue;
      if (f.has_close()) {
        std::lock_guard lock(mu);
        info = {static_cast<std::uint16_t>(f.close().code()),
                f.close().reason()};
      }
      push(std::move(f));
    }
    do_read();
  }

  // ---- writing ----
  void write(std::string bytes, bool binary) {
    net::post(ioc, [self = shared_from_this(), b = std::move(bytes),
                    binary]() mutable {
      if (self->closing) return;
      self->writes.emplace_back(std::move(b), binary);
      if (!self->writing) self->do_write();
    });
  }

  void do_write() {
    writing = true;
    auto done = [self = shared_from_this()](boost::system::error_code ec,
                                            std::size_t) {
      self->writing = false;
      if (ec) return;
      self->writes.pop_front();
      if (!self->writes.empty()) self->do_write();
    };
    auto& [bytes, binary] = writes.front();
    if (websocket()) {
      with_ws([&](auto& w) {
        w.binary(binary);
        w.async_write(net::buffer(bytes), std::move(done));
      });
    } else {
      net::async_write(*sock, net::buffer(bytes), std::move(done));
    }
  }

  void encode_and_write(const v1::ClientFrame& f) {
    if (websocket()) {
      write(encode(f, opts.format), opts.format == wire_format::protobuf);
    } else {
      std::string out;
      append_delimited(out, encode(f, wire_format::protobuf));
      write(std::move(out), true);
    }
  }

  std::error_code connect() {
    const auto url = parse_url(opts.url);
    if (!url) return std::make_error_code(std::errc::invalid_argument);
    try {
      tcp::resolver resolver(ioc);
      const auto eps = resolver.resolve(url->host, url->port);
      if (url->websocket && url->tls) {
        tls.emplace(net::ssl::context::tls_client);
        tls->set_verify_mode(net::ssl::verify_peer);
        if (opts.ca_file.empty())
          tls->set_default_verify_paths();
        else
          tls->load_verify_file(opts.ca_file);
        wss.emplace(ioc, *tls);
        SSL_set_tlsext_host_name(wss->next_layer().native_handle(),
                                 url->host.c_str());
        wss->next_layer().set_verify_callback(
            net::ssl::host_name_verification(url->host));
        auto& layer = beast::get_lowest_layer(*wss);
        layer.expires_after(opts.connect_timeout);
        layer.async_connect(eps, net::use_future).get();
        wss->next_layer()
            .async_handshake(net::ssl::stream_base::client, net::use_future)
            .get();
        ws_handshake(*wss, *url);
      } else if (url->websocket) {
        ws.emplace(ioc);
        auto& layer = beast::get_lowest_layer(*ws);
        layer.expires_after(opts.connect_timeout);
        layer.async_connect(eps, net::use_future).get();
        ws_handshake(*ws, *url);
      } else {
        sock.emplace(ioc);
        net::async_connect(*sock, eps, net::use_future).get();
        v1::ClientFrame hello;
        hello.mutable_hello()->set_user(opts.user);
        hello.mutable_hello()->set_token(opts.token);
        std::string out;
        append_delimited(out, encode(hello, wire_format::protobuf));
        net::async_write(*sock, net::buffer(out), net::use_future).get();
      }
    } catch (const boost::system::system_error& e) {
      return e.code();
    }
    net::post(ioc, [self = shared_from_this()] { self->do_read(); });
    return await_welcome();
  }

  // The upgrade, on a connected (and for wss, secured) stream.
  template <class WS>
  void ws_handshake(WS& w, const parsed_url& url) {
    std::string target = url.target;
    if (!opts.user.empty()) {
      target += target.find('?') == std::string::npos ? "?user=" : "&user=";
      target += opts.user;
    }
    if (!opts.token.empty()) {
      target += target.find('?') == std::string::npos ? "?token=" : "&token=";
      target += percent_encode(opts.token);
    }
    w.read_message_max(opts.max_message_bytes);
    const auto proto = subprotocol_name(opts.format);
    w.set_option(websocket::stream_base::decorator(
        [proto](websocket::request_type& req) {
          req.set(http::field::sec_websocket_protocol, proto);
        }));
    websocket::response_type res;
    auto fut = w.async_handshake(res, url.host + ":" + url.port, target,
                                 net::use_future);
    try {
      fut.get();
    } catch (const boost::system::system_error&) {
      end(static_cast<std::uint16_t>(res.result_int()), res.body());
      throw;
    }
    beast::get_lowest_layer(w).expires_never();
    w.set_option(
        websocket::stream_base::timeout::suggested(beast::role_type::client));
  }

  std::error_code await_welcome() {
    std::unique_lock lock(mu);
    const bool got = cv.wait_for(lock, opts.connect_timeout,
                                 [&] { return !inbox.empty() || ended; });
    if (!got) return std::make_error_code(std::errc::timed_out);
    if (inbox.empty() || !inbox.front().has_welcome()) {
      // Refused: the server follows its error with a close; wait for it so
      // closed_by() says why.
      cv.wait_for(lock, opts.connect_timeout,
                  [&] { return ended || info.code != 0; });
      return std::make_error_code(std::errc::connection_refused);
    }
    connection_id = inbox.front().welcome().connection_id();
    user = inbox.front().welcome().user();
    inbox.pop_front();
    return {};
  }

  void close_now() {
    net::post(ioc, [self = shared_from_this()] {
      if (self->closing) return;
      self->closing = true;
      if (self->websocket()) {
        self->with_ws([&](auto& w) {
          if (w.is_open())
            w.async_close(websocket::close_code::normal,
                          [self](beast::error_code) {});
        });
      } else if (self->sock && self->sock->is_open()) {
        boost::system::error_code ignored;
        self->sock->shutdown(tcp::socket::shutdown_both, ignored);
      }
    });
  }

  void abort() {
    net::post(ioc, [self = shared_from_this()] {
      if (self->ws) beast::get_lowest_layer(*self->ws).close();
      if (self->wss) beast::get_lowest_layer(*self->wss).close();
      if (self->sock) {
        boost::system::error_code ignored;
        self->sock->close(ignored);
      }
    });
  }
};

client::client(client_options opts, client_context* ctx) {
  if (ctx == nullptr) {
    own_ = std::make_unique<client_context>();
    ctx = own_.get();
  }
  impl_ = std::make_shared<impl>(std::move(opts), ctx->get().ioc);
}

client::~client() {
  impl_->abort();
  impl_.reset();
  own_.reset();  // joins the private I/O thread, if there is one
}

std::error_code client::connect() { return impl_->connect(); }

const std::string& client::connection_id() const noexcept {
  return impl_->connection_id;
}
const std::string& client::user() const noexcept { return impl_->user; }

std::string client::send(std::string_view to, std::string_view text,
                         std::string_view id) {
  v1::ClientFrame f;
  v1::Send* s = f.mutable_send();
  s->set_id(id.empty() ? impl_->id_prefix +
                             std::to_string(impl_->next_id.fetch_add(1) + 1)
                       : std::string(id));
  s->set_to(std::string(to));
  s->set_text(std::string(text));
  impl_->encode_and_write(f);
  return s->id();
}

void client::send(const v1::ClientFrame& frame) {
  impl_->encode_and_write(frame);
}

void client::send_raw(std::string bytes, bool binary) {
  impl_->write(std::move(bytes), binary);
}

std::optional<v1::ServerFrame> client::receive(
    std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait_for(lock, timeout,
                     [&] { return !impl_->inbox.empty() || impl_->ended; });
  if (impl_->inbox.empty()) return std::nullopt;
  v1::ServerFrame f = std::move(impl_->inbox.front());
  impl_->inbox.pop_front();
  lock.unlock();
  if (impl_->opts.auto_ack && f.has_message() && !f.message().copy())
    ack(f.message().message_id());
  return f;
}

void client::ack(std::string_view message_id, bool cumulative) {
  v1::ClientFrame f;
  f.mutable_ack()->set_message_id(std::string(message_id));
  f.mutable_ack()->set_cumulative(cumulative);
  impl_->encode_and_write(f);
}

void client::read(std::string_view message_id) {
  v1::ClientFrame f;
  f.mutable_receipt()->set_message_id(std::string(message_id));
  f.mutable_receipt()->set_status(v1::Receipt::READ);
  impl_->encode_and_write(f);
}

std::size_t client::pending() const {
  std::lock_guard lock(impl_->mu);
  return impl_->inbox.size();
}

bool client::closed() const {
  std::lock_guard lock(impl_->mu);
  return impl_->ended;
}

close_info client::closed_by() const {
  std::lock_guard lock(impl_->mu);
  return impl_->info;
}

bool client::wait_closed(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->ended; });
}

void client::close() {
  impl_->close_now();
  if (!wait_closed(std::chrono::seconds(2))) impl_->abort();
}

}  // namespace chat
