#include "aws/connections_client.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/field.hpp>
#include <random>

namespace chat::detail {

namespace http = boost::beast::http;
namespace net = boost::asio;

connections_client::connections_client(net::io_context& ioc, options o,
                                       log_fn log)
    : ioc_(ioc),
      opt_(std::move(o)),
      log_(std::move(log)),
      tls_(net::ssl::context::tls_client),
      creds_(opt_.credentials) {
  boost::system::error_code ignored;
  tls_.set_default_verify_paths(ignored);
  tls_.set_verify_mode(net::ssl::verify_peer);
  if (opt_.max_concurrency == 0) opt_.max_concurrency = 1;
}

void connections_client::post(std::string id, std::string data, handler h) {
  submit({http::verb::post, std::move(id), std::move(data), std::move(h)});
}

void connections_client::get(std::string id, handler h) {
  submit({http::verb::get, std::move(id), {}, std::move(h)});
}

void connections_client::remove(std::string id, handler h) {
  submit({http::verb::delete_, std::move(id), {}, std::move(h)});
}

std::string connections_client::url(std::string_view id) const {
  return (opt_.callback.tls ? "https://" : "http://") +
         opt_.callback.host_header() + connections_target(opt_.callback, id);
}

void connections_client::submit(job j) {
  net::post(ioc_, [self = shared_from_this(), j = std::move(j)]() mutable {
    if (self->stopped_) {
      return self->complete(
          j, {std::make_error_code(std::errc::operation_canceled), 0, {}, 0});
    }
    self->queue_.push_back(std::move(j));
    self->pump();
  });
}

void connections_client::stop() {
  net::post(ioc_, [self = shared_from_this()] {
    self->stopped_ = true;
    auto queued = std::move(self->queue_);
    for (auto& j : queued) {
      self->complete(
          j, {std::make_error_code(std::errc::operation_canceled), 0, {}, 0});
    }
    for (auto& c : self->idle_) c->close();
    self->idle_.clear();
  });
}

// Starts queued jobs while there is room, reusing an idle connection first.
void connections_client::pump() {
  if (!credentials_ready()) return;  // refresh_credentials() pumps again
  while (!queue_.empty() && active_ < opt_.max_concurrency) {
    job j = std::move(queue_.front());
    queue_.pop_front();
    std::shared_ptr<http_connection> c;
    if (!idle_.empty()) {
      c = std::move(idle_.back());
      idle_.pop_back();
    } else {
      c = std::make_shared<http_connection>(ioc_.get_executor(), &tls_,
                                            opt_.callback);
    }
    ++active_;
    run(std::move(j), std::move(c));
  }
}

std::shared_ptr<http_connection::request> connections_client::make_request(
    const job& j) {
  auto req = std::make_shared<http_connection::request>(
      j.verb, opt_.callback.path + "/@connections/" + uri_encode(j.id, false),
      11);
  req->set(http::field::host, opt_.callback.host_header());
  req->set(http::field::user_agent, "libchat");
  req->keep_alive(true);
  req->body() = j.body;
  if (creds_) {
    sigv4_request s;
    s.method = std::string(http::to_string(j.verb));
    s.host = opt_.callback.host_header();
    s.path = std::string(req->target());
    s.payload = j.body;
    const auto signed_req = sigv4_sign(s, *creds_, opt_.region, "execute-api",
                                       std::chrono::system_clock::now());
    req->set("X-Amz-Date", signed_req.amz_date);
    if (!signed_req.security_token.empty())
      req->set("X-Amz-Security-Token", signed_req.security_token);
    req->set(http::field::authorization, signed_req.authorization);
  }
  req->prepare_payload();
  return req;
}

void connections_client::run(job j, std::shared_ptr<http_connection> c) {
  auto req = make_request(j);
  auto* raw = c.get();
  raw->async_request(
      std::move(req), opt_.timeout,
      [self = shared_from_this(), j = std::move(j), c = std::move(c)](
          std::error_code ec, http_connection::response res) mutable {
        self->on_answer(std::move(j), std::move(c), ec, std::move(res));
      });
}

void connections_client::on_answer(job j, std::shared_ptr<http_connection> c,
                                   std::error_code ec,
                                   http_connection::response res) {
  --active_;
  ++j.attempts;
  if (log_) {
    log_(log_level::trace,
         "@connections " + std::string(http::to_string(j.verb)) + " " + j.id +
             ": " +
             (ec ? ec.message() : "HTTP " + std::to_string(res.result_int())) +
             " (attempt " + std::to_string(j.attempts) + ")");
  }
  if (!stopped_ && c->is_open()) idle_.push_back(std::move(c));
  const unsigned status = ec ? 0 : res.result_int();
  const bool retryable =
      status == 429 || status == 502 || status == 503 || status == 504;
  if (retryable && !stopped_ && j.attempts < opt_.max_attempts) {
    if (status == 429) throttled_.fetch_add(1, std::memory_order_relaxed);
    retry_later(std::move(j));
  } else {
    complete(j, {ec, status, ec ? std::string() : std::move(res.body()),
                 j.attempts});
  }
  pump();
}

// Exponential backoff with "equal jitter": half the step is fixed, half is
// random, so retries of many throttled calls spread out instead of landing
// on API Gateway together again.
void connections_client::retry_later(job j) {
  thread_local std::mt19937 rng{std::random_device{}()};
  auto step = opt_.backoff * (1LL << std::min(j.attempts - 1, 16));
  step = std::min<std::chrono::milliseconds>(step, opt_.max_backoff);
  std::uniform_int_distribution<long long> half(0, step.count() / 2);
  const std::chrono::milliseconds delay(step.count() / 2 + half(rng));
  auto timer = std::make_shared<net::steady_timer>(ioc_, delay);
  timer->async_wait([self = shared_from_this(), timer,
                     j = std::move(j)](boost::system::error_code) mutable {
    if (self->stopped_) {
      return self->complete(
          j, {std::make_error_code(std::errc::operation_canceled),
              0,
              {},
              j.attempts});
    }
    self->queue_.push_front(std::move(j));
    self->pump();
  });
}

void connections_client::complete(job& j, connections_result r) {
  if (!j.done) return;
  try {
    j.done(r);
  } catch (...) {
    if (log_) log_(log_level::error, "@connections handler threw");
  }
}

}  // namespace chat::detail

namespace chat::detail {

// With ECS credentials, the old ones are used until they expire while new
// ones are fetched during their last five minutes (the endpoint hands out
// the next set well before that).
bool connections_client::credentials_ready() {
  if (!opt_.ecs) return true;
  const auto now = std::chrono::system_clock::now();
  const bool fresh =
      creds_ && creds_->expiration - std::chrono::minutes(5) > now;
  if (!fresh && !refreshing_) refresh_credentials();
  return creds_ && creds_->expiration > now;
}

void connections_client::refresh_credentials() {
  refreshing_ = true;
  auto c = std::make_shared<http_connection>(ioc_.get_executor(), &tls_,
                                             opt_.ecs->url);
  auto req = std::make_shared<http_connection::request>(http::verb::get,
                                                        opt_.ecs->target, 11);
  req->set(http::field::host, opt_.ecs->url.host_header());
  if (!opt_.ecs->authorization.empty())
    req->set(http::field::authorization, opt_.ecs->authorization);
  req->keep_alive(false);
  c->async_request(
      std::move(req), opt_.timeout,
      [self = shared_from_this(), c](std::error_code ec,
                                     http_connection::response res) {
        self->refreshing_ = false;
        if (!ec && res.result_int() == 200) {
          if (auto creds = parse_ecs_credentials(res.body())) {
            self->creds_ = std::move(*creds);
            return self->pump();
          }
        }
        if (self->log_) {
          self->log_(log_level::error,
                     "ECS credentials endpoint: " +
                         (ec ? ec.message()
                             : "HTTP " + std::to_string(res.result_int())) +
                         "; retrying in 1 s");
        }
        auto timer = std::make_shared<net::steady_timer>(
            self->ioc_, std::chrono::seconds(1));
        timer->async_wait([self, timer](boost::system::error_code) {
          if (!self->stopped_) self->pump();
        });
      });
}

}  // namespace chat::detail
