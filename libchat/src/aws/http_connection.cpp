#include "aws/http_connection.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace chat::detail {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

http_connection::http_connection(net::any_io_executor ex,
                                 net::ssl::context* tls, aws_url url)
    : ex_(ex), tls_ctx_(tls), url_(std::move(url)), resolver_(ex) {}

template <class F>
void http_connection::with_stream(F&& f) {
  if (tls_) {
    f(*tls_);
  } else {
    f(*plain_);
  }
}

void http_connection::async_request(std::shared_ptr<request> req,
                                    std::chrono::milliseconds timeout,
                                    handler h) {
  req_ = std::move(req);
  handler_ = std::move(h);
  timeout_ = timeout;
  reused_ = open_;
  if (open_) return write();
  connect();
}

void http_connection::close() {
  open_ = false;
  beast::error_code ignored;
  if (tls_) beast::get_lowest_layer(*tls_).socket().close(ignored);
  if (plain_) plain_->socket().close(ignored);
}

void http_connection::connect() {
  close();
  buf_.clear();
  tls_.reset();
  plain_.reset();
  if (url_.tls && tls_ctx_) {
    tls_.emplace(ex_, *tls_ctx_);
  } else {
    plain_.emplace(ex_);
  }
  resolver_.async_resolve(
      url_.host, url_.port,
      [self = shared_from_this()](beast::error_code ec,
                                  net::ip::tcp::resolver::results_type r) {
        if (ec) return self->finish(ec);
        auto& tcp =
            self->tls_ ? beast::get_lowest_layer(*self->tls_) : *self->plain_;
        tcp.expires_after(self->timeout_);
        tcp.async_connect(
            r, [self](beast::error_code ec2, const net::ip::tcp::endpoint&) {
              self->on_connected(ec2);
            });
      });
}

void http_connection::on_connected(beast::error_code ec) {
  if (ec) return finish(ec);
  if (!tls_) return write();
  // SNI, and the certificate must name the host we asked for.
  if (!SSL_set_tlsext_host_name(tls_->native_handle(), url_.host.c_str())) {
    return finish(beast::error_code(static_cast<int>(::ERR_get_error()),
                                    net::error::get_ssl_category()));
  }
  tls_->set_verify_mode(net::ssl::verify_peer);
  tls_->set_verify_callback(net::ssl::host_name_verification(url_.host));
  tls_->async_handshake(net::ssl::stream_base::client,
                        [self = shared_from_this()](beast::error_code ec2) {
                          if (ec2) return self->finish(ec2);
                          self->write();
                        });
}

void http_connection::write() {
  open_ = true;
  auto& tcp = tls_ ? beast::get_lowest_layer(*tls_) : *plain_;
  tcp.expires_after(timeout_);
  with_stream([&](auto& s) {
    http::async_write(
        s, *req_,
        [self = shared_from_this(), &s](beast::error_code ec, std::size_t) {
          if (ec) return self->finish(ec);
          self->res_ = {};
          http::async_read(s, self->buf_, self->res_,
                           [self](beast::error_code ec2, std::size_t) {
                             self->finish(ec2);
                           });
        });
  });
}

void http_connection::finish(beast::error_code ec) {
  if (ec) {
    close();
    if (reused_) {
      // The server dropped the idle connection; one fresh try.
      reused_ = false;
      buf_.clear();
      return connect();
    }
  } else {
    open_ = res_.keep_alive();
    if (!open_) close();
  }
  reused_ = false;
  auto h = std::move(handler_);
  req_.reset();
  if (h) h(ec, ec ? response{} : std::move(res_));
}

}  // namespace chat::detail
