// detail::apigw_integrations: what chatd does for each of API Gateway's
// three route integrations ($connect, $disconnect, $default), independent
// of the HTTP connection the request came on.
#pragma once

#include "aws/connections_client.hpp"
#include "aws/xray.hpp"
#include "transport/transport.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace chat::detail {

using apigw_request =
    boost::beast::http::request<boost::beast::http::string_body>;
using apigw_response =
    boost::beast::http::response<boost::beast::http::string_body>;

/// A client frame is routed on the sender connection's own thread (see
/// on_default); everything else is answered on the calling thread.
///
/// Thread safety: `handle` may be called from any thread; `reply` may run
/// on any thread.
class apigw_integrations {
 public:
  using request_ptr = std::shared_ptr<const apigw_request>;
  using reply_fn = std::function<void(apigw_response)>;

  apigw_integrations(context& ctx, std::shared_ptr<connections_client> client,
                     std::shared_ptr<xray_emitter> xray)
      : ctx_(ctx), client_(std::move(client)), xray_(std::move(xray)) {}

  /// Answers one integration request (or GET /healthz) through `reply`.
  void handle(request_ptr req, std::string remote, reply_fn reply);

 private:
  using trace_ptr = std::shared_ptr<const trace_context>;

  void dispatch(request_ptr req, std::string_view remote, trace_ptr trace,
                const reply_fn& reply);
  apigw_response on_connect(const apigw_request& req, const std::string& id,
                            std::string_view remote);
  apigw_response on_disconnect(const apigw_request& req, const std::string& id);
  void on_default(request_ptr req, const std::string& id, trace_ptr trace,
                  const reply_fn& reply);

  context& ctx_;
  std::shared_ptr<connections_client> client_;
  std::shared_ptr<xray_emitter> xray_;  // null when tracing is off
};

}  // namespace chat::detail
