#include "transport/apigw_connection.hpp"

#include <boost/asio/post.hpp>

namespace chat::detail {

namespace net = boost::asio;

namespace {

// A client that cannot keep up (or whose POSTs keep being throttled) is
// closed rather than allowed to grow memory, as on every other transport.
// Above the default inbox bound, so that a whole inbox fits at connect.
constexpr std::size_t max_queued = 16384;

}  // namespace

apigw_connection::apigw_connection(context& ctx, net::io_context& ioc,
                                   std::shared_ptr<connections_client> client,
                                   std::shared_ptr<xray_emitter> xray)
    : ctx_(ctx),
      ioc_(ioc),
      client_(std::move(client)),
      xray_(std::move(xray)) {}

// deliver() and notify() run inside the router's call on the sender's
// thread, where the integration request's trace is current.
std::optional<trace_context> apigw_connection::capture_trace() const {
  const trace_context* t = xray_ ? current_trace() : nullptr;
  if (!t || !t->sampled) return std::nullopt;
  return *t;
}

void apigw_connection::deliver(envelope_ptr env) {
  net::post(ioc_, [self = shared_from_this(), env = std::move(env),
                   trace = capture_trace()]() mutable {
    self->enqueue({{std::move(env), {}}, std::move(trace)});
  });
}

void apigw_connection::notify(v1::ServerFrame frame) {
  net::post(ioc_, [self = shared_from_this(),
                   bytes = encode(frame, wire_format::json),
                   trace = capture_trace()]() mutable {
    self->enqueue({{nullptr, std::move(bytes)}, std::move(trace)});
  });
}

void apigw_connection::close(close_code, std::string_view) {
  // API Gateway's DELETE carries no close code; the socket closes with 1000.
  net::post(ioc_, [self = shared_from_this()] { self->begin_close(); });
}

void apigw_connection::terminate() {
  net::post(ioc_, [self = shared_from_this()] { self->finish(); });
}

void apigw_connection::gone() { terminate(); }

void apigw_connection::release() {
  net::post(ioc_, [self = shared_from_this()] {
    if (!self->held_) return;
    self->held_ = false;
    if (!self->sending_ && !self->queue_.empty() && !self->done_)
      self->send_next();
  });
}

void apigw_connection::enqueue(pending item) {
  if (done_ || closing_) return;
  if (queue_.size() >= max_queued) {
    ctx_.log(log_level::warn,
             "connection " + id() + ": @connections queue full; closing");
    queue_.clear();
    return begin_close();
  }
  queue_.push_back(std::move(item));
  if (!sending_ && !held_) send_next();
}

void apigw_connection::send_next() {
  sending_ = true;
  send_started_ = std::chrono::system_clock::now();
  client_->post(id(), std::string(queue_.front().item.bytes(wire_format::json)),
                [self = shared_from_this()](const connections_result& r) {
                  net::post(self->ioc_, [self, r] { self->on_sent(r); });
                });
}

void apigw_connection::on_sent(const connections_result& r) {
  sending_ = false;
  if (!queue_.empty() && queue_.front().trace) trace_call(queue_.front(), r);
  if (done_) return;
  if (r.status == 410) {
    // API Gateway's word that the id is stale; $disconnect may never come.
    ctx_.log(log_level::debug, "connection " + id() + " gone (410)");
    return finish();
  }
  if (r.ec || r.status < 200 || r.status >= 300) {
    ctx_.log(log_level::warn,
             "POST @connections/" + id() + " failed after " +
                 std::to_string(r.attempts) + " attempts: " +
                 (r.ec ? r.ec.message()
                       : "HTTP " + std::to_string(r.status) + " " + r.body));
  }
  if (!queue_.empty()) queue_.pop_front();
  if (!queue_.empty()) return send_next();
  if (closing_) begin_close();
}

void apigw_connection::trace_call(const pending& p,
                                  const connections_result& r) {
  xray_segment s;
  s.name = "execute-api";
  s.id = new_segment_id();
  s.trace = *p.trace;
  s.start = send_started_;
  s.end = std::chrono::system_clock::now();
  s.subsegment = true;
  s.method = "POST";
  s.url = client_->url(id());
  s.status = r.ec ? 0 : r.status;
  s.aws_operation = "PostToConnection";
  xray_->emit(s);
}

void apigw_connection::begin_close() {
  if (done_) return;
  closing_ = true;
  held_ = false;  // $connect is long over when anything closes a connection
  if (!sending_ && !queue_.empty()) return send_next();
  if (sending_ || !queue_.empty()) return;  // on_sent comes back here
  done_ = true;  // no more frames; the DELETE below ends the socket
  ctx_.detach(*this, transport_kind::apigw);
  client_->remove(id(), [self = shared_from_this()](const connections_result&) {
    net::post(self->ioc_, [self] { self->ctx_.sessions.remove(self.get()); });
  });
}

void apigw_connection::finish() {
  if (done_) return;
  done_ = true;
  queue_.clear();
  ctx_.detach(*this, transport_kind::apigw);
  ctx_.sessions.remove(this);
}

}  // namespace chat::detail
