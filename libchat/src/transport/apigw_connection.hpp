// detail::apigw_connection: a client connection held by AWS API Gateway.
//
// API Gateway owns the socket; this side knows it only by its connectionId.
// Frames for the client are POSTed to `@connections/{id}` one at a time, so
// they reach it in the order they were queued.
#pragma once

#include "aws/connections_client.hpp"
#include "aws/xray.hpp"
#include "transport/outgoing.hpp"
#include "transport/transport.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <optional>

namespace chat::detail {

/// Lives on one shard; every entry point posts there first, so its state is
/// never locked.
///
/// Thread safety: as `connection`; `gone()` may be called from any thread.
class apigw_connection final
    : public connection,
      public session_base,
      public std::enable_shared_from_this<apigw_connection> {
 public:
  apigw_connection(context& ctx, boost::asio::io_context& ioc,
                   std::shared_ptr<connections_client> client,
                   std::shared_ptr<xray_emitter> xray);

  void deliver(envelope_ptr env) override;
  void notify(v1::ServerFrame frame) override;
  /// Flushes what is queued, then asks API Gateway to close the socket.
  void close(close_code code, std::string_view reason) override;

  void shutdown() override { close(close_code::going_away, "going away"); }
  void terminate() override;

  /// Runs `fn` on this connection's thread.
  void run(std::function<void()> fn) { boost::asio::post(ioc_, std::move(fn)); }

  /// `$disconnect` arrived, or API Gateway answered 410: the socket is gone.
  void gone();

  /// The client sent its first frame, so `$connect` is over and API Gateway
  /// takes POSTs for it: sends what was queued meanwhile (its inbox).
  void release();

 private:
  // A queued frame, and the trace of the request that caused it (if traced).
  struct pending {
    outgoing item;
    std::optional<trace_context> trace;
  };

  std::optional<trace_context> capture_trace() const;
  void enqueue(pending p);
  void trace_call(const pending& p, const connections_result& r);
  void send_next();
  void on_sent(const connections_result& r);
  void begin_close();
  void finish();

  context& ctx_;
  boost::asio::io_context& ioc_;
  std::shared_ptr<connections_client> client_;
  std::shared_ptr<xray_emitter> xray_;
  std::deque<pending> queue_;
  std::chrono::system_clock::time_point send_started_;
  bool held_ = true;  // until release(): POSTs during $connect get 410
  bool sending_ = false;
  bool closing_ = false;
  bool done_ = false;
};

}  // namespace chat::detail
