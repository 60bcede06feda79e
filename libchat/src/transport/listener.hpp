// detail::listener: accepts TCP connections and hands each to a shard.
#pragma once

#include "transport/transport.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>

namespace chat::detail {

/// Accepts on its own io_context (the first shard) and constructs each
/// accepted socket on the next shard, round-robin. Out of descriptors, it
/// pauses briefly and accepts again instead of failing or spinning.
class listener : public std::enable_shared_from_this<listener> {
 public:
  using socket = boost::asio::ip::tcp::socket;
  using on_accept = std::function<void(socket)>;

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
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;
  std::uint16_t port_ = 0;
};

}  // namespace chat::detail
