#include "transport/apigw_integrations.hpp"

#include "transport/apigw_connection.hpp"
#include "transport/http_auth.hpp"

#include <boost/beast/http/field.hpp>

namespace chat::detail {
namespace {

namespace http = boost::beast::http;
using request = apigw_request;
using response = apigw_response;

response make_response(const request& req, http::status st, std::string body,
                       std::string_view type = "text/plain; charset=utf-8") {
  response res{st, req.version()};
  res.set(http::field::server, "chatd");
  res.set(http::field::content_type, type);
  res.body() = std::move(body);
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

response json_response(const request& req, const v1::ServerFrame& f) {
  if (f.frame_case() == v1::ServerFrame::FRAME_NOT_SET)
    return make_response(req, http::status::ok, {});
  return make_response(req, http::status::ok, encode(f, wire_format::json),
                       "application/json");
}

}  // namespace

void apigw_integrations::handle(request_ptr req, std::string remote,
                                reply_fn reply) {
  if (!xray_) return dispatch(std::move(req), remote, nullptr, reply);
  // Continue the caller's trace (an ALB in front adds the header), else
  // start one. Deliveries made while routing become subsegments of this.
  auto seg = std::make_shared<xray_segment>();
  seg->name = "chatd";
  seg->id = new_segment_id();
  seg->start = std::chrono::system_clock::now();
  if (auto t = parse_trace_header((*req)["x-amzn-trace-id"])) {
    seg->trace = std::move(*t);
  } else {
    seg->trace.trace_id = new_trace_id(seg->start);
  }
  seg->method = std::string(req->method_string());
  seg->url = std::string(req->target());
  auto inner = std::make_shared<const trace_context>(
      trace_context{seg->trace.trace_id, seg->id, seg->trace.sampled});
  dispatch(std::move(req), remote, std::move(inner),
           [seg, xray = xray_, reply = std::move(reply)](apigw_response res) {
             if (seg->trace.sampled) {
               seg->end = std::chrono::system_clock::now();
               seg->status = res.result_int();
               xray->emit(*seg);
             }
             reply(std::move(res));
           });
}

void apigw_integrations::dispatch(request_ptr req, std::string_view remote,
                                  trace_ptr trace, const reply_fn& reply) {
  const std::string_view target = req->target();
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/healthz")
    return reply(make_response(*req, http::status::ok, "ok\n"));
  if (req->method() != http::verb::post)
    return reply(make_response(*req, http::status::method_not_allowed, {}));
  const std::string id((*req)["connectionid"]);
  if (id.empty()) {
    return reply(make_response(*req, http::status::bad_request,
                               "missing connectionid header: map it from "
                               "context.connectionId (docs/aws.md)\n"));
  }
  if (path == "/apigw/default")
    return on_default(std::move(req), id, std::move(trace), reply);
  trace_scope scope(trace.get());
  if (path == "/apigw/connect") return reply(on_connect(*req, id, remote));
  if (path == "/apigw/disconnect") return reply(on_disconnect(*req, id));
  reply(make_response(*req, http::status::not_found, "not found\n"));
}

apigw_response apigw_integrations::on_connect(const apigw_request& req,
                                              const std::string& id,
                                              std::string_view remote) {
  auth_result r = authenticate_request(ctx_, transport_kind::apigw, req,
                                       {"apigw",
                                        remote,
                                        req.target(),
                                        req["x-chat-user"],
                                        req["x-chat-token"],
                                        {}});
  if (r.user.empty()) {
    return make_response(req, static_cast<http::status>(r.status),
                         r.reason + "\n");
  }
  auto c =
      std::make_shared<apigw_connection>(ctx_, ctx_.io.next(), client_, xray_);
  ctx_.sessions.add(c);
  if (!ctx_.attach_as(c, id, std::move(r.user), transport_kind::apigw,
                      remote)) {
    ctx_.sessions.remove(c.get());
    return make_response(req, http::status::conflict,
                         "connection id already registered\n");
  }
  return make_response(req, http::status::ok, {});
}

apigw_response apigw_integrations::on_disconnect(const apigw_request& req,
                                                 const std::string& id) {
  if (auto c = std::dynamic_pointer_cast<apigw_connection>(ctx_.reg.find(id))) {
    // Unregistered before the answer, so that nothing routed after it is
    // posted to a dead id; the rest of the cleanup runs on c's thread.
    ctx_.detach(*c, transport_kind::apigw);
    c->gone();
  }
  return make_response(req, http::status::ok, {});
}

void apigw_integrations::on_default(request_ptr req, const std::string& id,
                                    trace_ptr trace, const reply_fn& reply) {
  auto c = std::dynamic_pointer_cast<apigw_connection>(ctx_.reg.find(id));
  if (!c) {
    // Registered on a node that has since restarted, or already gone: ask
    // API Gateway to close it, so that the client connects again.
    client_->remove(id, {});
    return reply(
        json_response(*req, make_error(errc::unauthenticated,
                                       "unknown connection; connect again")));
  }
  v1::ClientFrame frame;
  if (req->body().size() > ctx_.cfg.max_message_bytes) {
    return reply(json_response(
        *req,
        make_error(errc::message_too_large, "frame exceeds the size limit")));
  }
  c->release();
  if (const auto err = decode(req->body(), wire_format::json, frame))
    return reply(json_response(*req, make_error(err->code, err->message)));
  if (frame.has_hello()) {
    // API Gateway cannot push before $connect completes, so the welcome is
    // what a client asks for with a hello on $default.
    v1::ServerFrame welcome;
    welcome.mutable_welcome()->set_connection_id(c->id());
    welcome.mutable_welcome()->set_user(c->user());
    return reply(json_response(*req, welcome));
  }
  // Consecutive frames of one client may arrive on different HTTP
  // connections, so on different threads. Routing them all on the
  // sender's thread is what keeps them in order for each recipient: a
  // post made there is not ordered against posts from other threads.
  c->run([this, c, req = std::move(req), frame = std::move(frame),
          trace = std::move(trace), reply]() mutable {
    trace_scope scope(trace.get());
    reply(json_response(*req, ctx_.handle(*c, frame)));
  });
}

}  // namespace chat::detail
