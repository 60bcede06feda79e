#include "transport/inproc.hpp"

#include <boost/asio/post.hpp>

namespace chat::detail {

namespace net = boost::asio;

inproc_connection::inproc_connection(context& ctx, net::io_context& ioc,
                                     handler h)
    : ctx_(ctx), ioc_(ioc), handler_(std::move(h)) {}

// Registered endpoints are owned by the registry, so one is destroyed only
// after close() has unregistered it and left the tracker: nothing to undo.
inproc_connection::~inproc_connection() = default;

void inproc_connection::deliver(envelope_ptr env) {
  net::post(ioc_, [self = shared_from_this(), env = std::move(env)] {
    self->push(env->frame());
  });
}

void inproc_connection::notify(v1::ServerFrame frame) {
  net::post(ioc_, [self = shared_from_this(), f = std::move(frame)] {
    self->push(f);
  });
}

void inproc_connection::push(const v1::ServerFrame& f) {
  // Handing a message to the embedding program is delivery: nothing sits
  // between it and the endpoint that could lose it.
  if (f.has_message() && !f.message().copy())
    ctx_.route.ack(*this, f.message().message_id());
  if (handler_) {
    try {
      handler_(f);
    } catch (const std::exception& e) {
      ctx_.log(log_level::error,
               std::string("endpoint handler threw: ") + e.what());
    } catch (...) {
      ctx_.log(log_level::error, "endpoint handler threw");
    }
    return;
  }
  std::lock_guard lock(mu_);
  if (closed_) return;
  inbox_.push_back(f);
  cv_.notify_one();
}

void inproc_connection::close(close_code code, std::string_view reason) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    cv_.notify_all();
  }
  ctx_.detach(*this, transport_kind::inproc);
  if (ctx_.log.enabled(log_level::debug)) {
    ctx_.log(log_level::debug, "endpoint " + id() + " closed: " +
                                   std::to_string(static_cast<int>(code)) +
                                   " " + std::string(reason));
  }
  ctx_.sessions.remove(this);
}

bool inproc_connection::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

v1::ServerFrame inproc_connection::send(v1::Send send) {
  {
    std::lock_guard lock(mu_);
    if (closed_)
      return make_error(errc::unavailable, "endpoint is closed", send.id());
  }
  return ctx_.route_send_wait({user(), id()}, send);
}

std::optional<v1::ServerFrame> inproc_connection::receive(
    std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout,
                    [&] { return !inbox_.empty() || closed_; })) {
    return std::nullopt;
  }
  if (inbox_.empty()) return std::nullopt;
  v1::ServerFrame f = std::move(inbox_.front());
  inbox_.pop_front();
  return f;
}

}  // namespace chat::detail
