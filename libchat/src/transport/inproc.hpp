// detail::inproc_connection: a connection made of direct calls.
#pragma once

#include <chat/endpoint.hpp>

#include "transport/transport.hpp"

#include <boost/asio/io_context.hpp>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

namespace chat::detail {

/// Lives on one shard like a socket would: deliveries are posted there and
/// reach the handler (or the receive queue) in order.
class inproc_connection final
    : public connection,
      public endpoint,
      public session_base,
      public std::enable_shared_from_this<inproc_connection> {
 public:
  using handler = std::function<void(const v1::ServerFrame&)>;

  inproc_connection(context& ctx, boost::asio::io_context& ioc, handler h);
  ~inproc_connection() override;

  const std::string& id() const noexcept override { return connection::id(); }
  const std::string& user() const noexcept override {
    return connection::user();
  }

  void deliver(envelope_ptr env) override;
  void notify(v1::ServerFrame frame) override;
  void close(close_code code, std::string_view reason) override;

  using endpoint::send;
  v1::ServerFrame send(v1::Send send) override;
  std::optional<v1::ServerFrame> receive(
      std::chrono::milliseconds timeout) override;
  void close() override { close(close_code::normal, "closed"); }
  bool closed() const override;

  void shutdown() override {
    close(ctx_.cfg.shutdown_close_code,
          shutdown_reason(ctx_.cfg.shutdown_close_code));
  }
  void terminate() override { shutdown(); }

 private:
  void push(const v1::ServerFrame& f);

  context& ctx_;
  boost::asio::io_context& ioc_;
  handler handler_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<v1::ServerFrame> inbox_;  // Guarded by mu_.
  bool closed_ = false;                // Guarded by mu_.
};

}  // namespace chat::detail
