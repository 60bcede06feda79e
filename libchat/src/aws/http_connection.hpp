// detail::http_connection: one keep-alive HTTP or HTTPS connection to one
// host, carrying one request at a time.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <system_error>

#include "aws/endpoint.hpp"

namespace chat::detail {

/// Connects on first use and keeps the connection for the next request while
/// the server allows it. HTTPS verifies the peer against the system store and
/// the host name. A request that fails on a reused connection (the server
/// closed it while idle) is sent once more on a fresh one.
///
/// Thread safety: all members on the executor given at construction; the
/// handler runs there too.
class http_connection : public std::enable_shared_from_this<http_connection> {
 public:
  using request = boost::beast::http::request<boost::beast::http::string_body>;
  using response =
      boost::beast::http::response<boost::beast::http::string_body>;
  using handler = std::function<void(std::error_code, response)>;

  /// `tls` is used when `url.tls`; it must outlive the connection.
  http_connection(boost::asio::any_io_executor ex,
                  boost::asio::ssl::context* tls, aws_url url);

  /// Sends `req` and reads the answer, within `timeout` for each step.
  void async_request(std::shared_ptr<request> req,
                     std::chrono::milliseconds timeout, handler h);

  /// True while the connection is open and may carry another request.
  bool is_open() const noexcept { return open_; }

  void close();

 private:
  template <class F>
  void with_stream(F&& f);
  void connect();
  void on_connected(boost::system::error_code ec);
  void write();
  void finish(boost::system::error_code ec);

  boost::asio::any_io_executor ex_;
  boost::asio::ssl::context* tls_ctx_;
  aws_url url_;
  boost::asio::ip::tcp::resolver resolver_;
  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls_;
  boost::beast::flat_buffer buf_;
  std::shared_ptr<request> req_;
  response res_;
  handler handler_;
  std::chrono::milliseconds timeout_{10'000};
  bool open_ = false;
  bool reused_ = false;
};

}  // namespace chat::detail
