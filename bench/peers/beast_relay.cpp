// beast-relay: the straightforward Boost.Beast relay that bench/compare runs
// chatd against, written the way Beast's chat-multi example is: one thread,
// a session per connection with a write queue that starts a write when it
// goes from empty to one, the outgoing text made once and shared by every
// recipient. JSON with Boost.JSON. It speaks the benchmark's subset of the
// chatd protocol: GET /ws?user=NAME, a welcome, send in, message and sent
// out; other frames are ignored.
//
// Usage: beast-relay [PORT]   (0 picks a free port; prints "listening PORT")
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class session;

// "2026-11-27T21:04:05.123Z", as chatd and the Node relay stamp messages.
std::string now_rfc3339() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  const auto ms =
      duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  char buf[96];  // room for any int, which the compiler cannot rule out
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

// Who is connected; one thread, so no lock.
struct shared_state {
  std::map<std::string, std::set<session*>, std::less<>> users;
  std::uint64_t next_id = 0;
};

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& s, shared_state& state)
      : ws_(std::move(s)), state_(state) {}

  ~session() {
    if (!joined_) return;
    auto it = state_.users.find(user_);
    it->second.erase(this);
    if (it->second.empty()) state_.users.erase(it);
  }

  void run() {
    http::async_read(
        ws_.next_layer(), buf_, req_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (!ec) self->on_request();
        });
  }

  // Queues a frame; starts writing when the queue was empty.
  void send(std::shared_ptr<const std::string> text) {
    queue_.push_back(std::move(text));
    if (queue_.size() == 1) do_write();
  }

 private:
  void on_request() {
    const std::string_view target = req_.target();
    const auto at = target.find("user=");
    if (!websocket::is_upgrade(req_) || at == std::string_view::npos) return;
    user_ = target.substr(at + 5, target.find('&', at) - at - 5);
    id_ = "beast-c" + std::to_string(state_.next_id++);
    ws_.set_option(
        websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.async_accept(req_, [self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->on_accept();
    });
  }

  void on_accept() {
    state_.users[user_].insert(this);
    joined_ = true;
    send(frame("welcome", {{"connectionId", id_}, {"user", user_}}));
    do_read();
  }

  void do_read() {
    ws_.async_read(
        buf_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (!ec) self->on_read();
        });
  }

  void on_read() {
    boost::system::error_code ec;
    const json::value v =
        json::parse(beast::buffers_to_string(buf_.data()), ec);
    buf_.consume(buf_.size());
    const json::object* f = v.if_object();
    const json::value* send_v = f != nullptr ? f->if_contains("send") : nullptr;
    if (send_v != nullptr && send_v->is_object()) relay(send_v->as_object());
    do_read();
  }

  void relay(const json::object& s) {
    const json::value* to = s.if_contains("to");
    const json::value* id = s.if_contains("id");
    const json::value* text = s.if_contains("text");
    const json::string no;
    const json::string& to_s = to && to->is_string() ? to->get_string() : no;
    const json::string& id_s = id && id->is_string() ? id->get_string() : no;
    auto it = state_.users.find(std::string_view(to_s));
    if (it == state_.users.end()) {
      send(frame("error", {{"id", id_s}, {"code", "RECIPIENT_OFFLINE"}}));
      return;
    }
    const std::string message_id = "beast-" + std::to_string(state_.next_id++);
    const auto out =
        frame("message",
              {{"messageId", message_id},
               {"from", user_},
               {"to", to_s},
               {"text", text && text->is_string() ? text->get_string() : no},
               {"sentAt", now_rfc3339()},
               {"fromConnection", id_}});
    for (session* t : it->second) t->send(out);
    send(frame(
        "sent",
        {{"id", id_s}, {"messageId", message_id}, {"status", "DELIVERED"}}));
  }

  static std::shared_ptr<const std::string> frame(std::string_view type,
                                                  json::object body) {
    json::object f;
    f[type] = std::move(body);
    return std::make_shared<const std::string>(json::serialize(f));
  }

  void do_write() {
    ws_.text(true);
    ws_.async_write(
        net::buffer(*queue_.front()),
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec) return;
          self->queue_.pop_front();
          if (!self->queue_.empty()) self->do_write();
        });
  }

  websocket::stream<beast::tcp_stream> ws_;
  shared_state& state_;
  beast::flat_buffer buf_;
  http::request<http::string_body> req_;
  std::string user_, id_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  bool joined_ = false;
};

void do_accept(tcp::acceptor& acceptor, shared_state& state) {
  acceptor.async_accept([&](beast::error_code ec, tcp::socket s) {
    if (!ec) std::make_shared<session>(std::move(s), state)->run();
    do_accept(acceptor, state);
  });
}

}  // namespace

int main(int argc, char** argv) {
  const auto port =
      static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 8091);
  net::io_context ioc(1);
  tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), port});
  shared_state state;
  do_accept(acceptor, state);
  std::printf("listening %u\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  ioc.run();
}
