#include "transport/listener.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <cerrno>

namespace chat::detail {

namespace net = boost::asio;
using tcp = net::ip::tcp;

listener::listener(context& ctx, std::string name, on_accept fn)
    : ctx_(ctx),
      name_(std::move(name)),
      fn_(std::move(fn)),
      limits_(std::make_shared<ip_limits>(ctx.cfg.max_connections_per_ip,
                                          ctx.cfg.connect_rate_per_ip)),
      acceptor_(ctx.io.at(0)),
      retry_(ctx.io.at(0)) {}

std::error_code listener::listen(std::string_view addr) {
  std::string host, port;
  if (!split_host_port(addr, host, port)) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  boost::system::error_code ec;
  tcp::resolver resolver(ctx_.io.at(0));
  const auto results = resolver.resolve(host, port, tcp::resolver::passive, ec);
  if (ec) return ec;
  if (results.empty())
    return std::make_error_code(std::errc::address_not_available);
  const tcp::endpoint ep = *results.begin();
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor_.close();
    return ec;
  }
  port_ = acceptor_.local_endpoint().port();
  return {};
}

void listener::run() {
  net::post(acceptor_.get_executor(),
            [self = shared_from_this()] { self->do_accept(); });
}

void listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->retry_.cancel();
    self->acceptor_.close(ignored);
  });
}

void listener::do_accept() {
  acceptor_.async_accept(ctx_.io.next(),
                         [self = shared_from_this()](auto ec, socket s) {
                           self->on_accepted(ec, std::move(s));
                         });
}

void listener::on_accepted(boost::system::error_code ec, socket s) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (!ec) {
    if (pause_ != std::chrono::milliseconds::zero()) {
      ctx_.log(log_level::warn, name_ + " accepting again");
      pause_ = {};
    }
    // Frames are small and each is a whole message: send them now rather
    // than let Nagle hold one back until the peer's (delayed) ack.
    boost::system::error_code ignored;
    s.set_option(tcp::no_delay(true), ignored);
    auto ticket = limits_->admit(s.remote_endpoint(ignored).address(),
                                 ip_limits::clock::now());
    fn_(std::move(s), std::move(ticket));
    do_accept();
    return;
  }
  const int err = ec.value();
  if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
    // Out of descriptors or memory: retrying at once would spin. The pending
    // connection waits in the backlog until a descriptor is free; the pause
    // doubles up to a second while the shortage lasts, logged once.
    if (pause_ == std::chrono::milliseconds::zero()) {
      ctx_.log(log_level::warn,
               name_ + " accept: " + ec.message() + "; pausing");
    }
    pause_ = std::clamp(pause_ * 2, std::chrono::milliseconds(100),
                        std::chrono::milliseconds(1000));
    retry_.expires_after(pause_);
    retry_.async_wait([self = shared_from_this()](auto wait_ec) {
      if (!wait_ec) self->do_accept();
    });
    return;
  }
  ctx_.log(log_level::debug, name_ + " accept: " + ec.message());
  do_accept();
}

}  // namespace chat::detail
