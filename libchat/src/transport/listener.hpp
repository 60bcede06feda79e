// detail::listener: accepts TCP connections and hands each to a shard.
#pragma once

#include "transport/ip_limits.hpp"
#include "transport/transport.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>

namespace chat::detail {

/// Accepts on its own io_context (the first shard) and constructs each
/// accepted socket on the next shard, round-robin. Out of descriptors, it
/// pauses (100 ms, doubling to 1 s) and accepts again instead of failing or
/// spinning.
class listener : public std::enable_shared_from_this<listener> {
 public:
  using socket = boost::asio::ip::tcp::socket;
  /// Called with each accepted socket and its place under the per-address
  /// caps; a null ticket means a cap refuses it, and the transport says so.
  using on_accept = std::function<void(socket, ip_limits::ticket)>;

  listener(context& ctx, std::string name, on_accept fn);

  /// Opens, binds and listens on "host:port".
  [[nodiscard]] std::error_code listen(std::string_view addr);
  void run();
  /// Closes the acceptor. Thread safety: any thread.
  void stop();
  std::uint16_t port() const noexcept { return port_; }

 private:
  void do_accept();
  void on_accepted(boost::system::error_code ec, socket s);

  context& ctx_;
  std::string name_;
  on_accept fn_;
  std::shared_ptr<ip_limits> limits_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;
  std::chrono::milliseconds pause_{};  // the current accept pause; 0: none
  std::uint16_t port_ = 0;
};

/// "address:port" of a socket's peer; empty once it is gone.
template <class Socket>
std::string peer_address(const Socket& s) {
  boost::system::error_code ec;
  const auto ep = s.remote_endpoint(ec);
  return ec ? std::string()
            : ep.address().to_string() + ":" + std::to_string(ep.port());
}

/// A transport that is one listener: each accepted socket starts a session.
/// Thread safety: as `transport`.
class listening_transport : public transport {
 public:
  listening_transport(context& ctx, std::string name, std::string address,
                      listener::on_accept fn)
      : ctx_(ctx),
        name_(std::move(name)),
        address_(std::move(address)),
        fn_(std::move(fn)) {}

  std::error_code start() override {
    listener_ = std::make_shared<listener>(ctx_, name_, fn_);
    if (auto ec = listener_->listen(address_)) return ec;
    listener_->run();
    return {};
  }

  void stop() override {
    if (listener_) listener_->stop();
  }

  std::uint16_t port() const noexcept override {
    return listener_ ? listener_->port() : 0;
  }

 protected:
  context& ctx_;

 private:
  std::string name_;
  std::string address_;
  listener::on_accept fn_;
  std::shared_ptr<listener> listener_;
};

/// Makes `Session(ctx, args..., socket)`, tracks it for shutdown and runs it.
template <class Session, class... Args>
void start_session(context& ctx, listener::socket s, Args&&... args) {
  auto session =
      std::make_shared<Session>(ctx, std::forward<Args>(args)..., std::move(s));
  ctx.sessions.add(session);
  session->run();
}

}  // namespace chat::detail
