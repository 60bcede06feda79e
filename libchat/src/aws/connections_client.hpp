// detail::connections_client: API Gateway's `@connections` management API
// (POST to push data to a client, GET for presence, DELETE to disconnect),
// signed with SigV4 and called asynchronously.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/verb.hpp>
#include <chat/hooks.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "aws/credentials.hpp"
#include "aws/endpoint.hpp"
#include "aws/http_connection.hpp"

namespace chat::detail {

/// The outcome of one call: a transport error, or the HTTP status and body
/// of the last attempt.
struct connections_result {
  std::error_code ec;
  unsigned status = 0;
  std::string body;
  int attempts = 0;
};

/// A pool of keep-alive connections to the callback host (there is one host:
/// the stage's), at most `max_concurrency` requests in flight, the rest
/// queued in order. A 429 (API Gateway's throttling answer) or a 502/503/504
/// is retried after an exponential backoff with jitter, up to `max_attempts`.
///
/// Thread safety: `post`, `get`, `remove`, `stop` and the counters may be
/// called from any thread; everything else runs on the one io_context given
/// at construction, where the handlers run too. Nothing waits on I/O.
class connections_client
    : public std::enable_shared_from_this<connections_client> {
 public:
  using handler = std::function<void(const connections_result&)>;
  using log_fn = std::function<void(log_level, std::string_view)>;

  struct options {
    aws_url callback;
    std::string region;  ///< Signing region; see signing_region().
    /// Requests in flight at once, and so connections kept open.
    std::size_t max_concurrency = 16;
    int max_attempts = 6;
    /// First retry delay; doubled per attempt up to `max_backoff`.
    std::chrono::milliseconds backoff{50};
    std::chrono::milliseconds max_backoff{2'000};
    std::chrono::milliseconds timeout{10'000};
    /// Long-term or session credentials; when unset and `ecs` is set, they
    /// come from the ECS endpoint and are refreshed before they expire.
    /// With neither, requests go unsigned (a local stand-in accepts that).
    std::optional<aws_credentials> credentials;
    std::optional<ecs_endpoint> ecs;
  };

  connections_client(boost::asio::io_context& ioc, options o, log_fn log);

  /// POST {callback}/@connections/{id} with `data` as the body.
  void post(std::string id, std::string data, handler h);
  /// GET {callback}/@connections/{id}.
  void get(std::string id, handler h);
  /// DELETE {callback}/@connections/{id}.
  void remove(std::string id, handler h);
  /// Fails what is queued with operation_canceled and closes connections.
  void stop();

  /// The full URL of `@connections/{id}`, for logs and traces.
  std::string url(std::string_view id) const;

  /// Attempts answered 429 and retried, since start.
  std::uint64_t throttled() const noexcept { return throttled_.load(); }

 private:
  struct job {
    boost::beast::http::verb verb;
    std::string id;
    std::string body;
    handler done;
    int attempts = 0;
  };

  void submit(job j);
  void pump();
  void run(job j, std::shared_ptr<http_connection> c);
  void on_answer(job j, std::shared_ptr<http_connection> c, std::error_code ec,
                 http_connection::response res);
  void retry_later(job j);
  bool credentials_ready();
  void refresh_credentials();
  std::shared_ptr<http_connection::request> make_request(const job& j);
  void complete(job& j, connections_result r);

  boost::asio::io_context& ioc_;
  options opt_;
  log_fn log_;
  boost::asio::ssl::context tls_;
  // All below only on ioc_'s thread.
  std::deque<job> queue_;
  std::vector<std::shared_ptr<http_connection>> idle_;
  std::size_t active_ = 0;
  std::optional<aws_credentials> creds_;
  bool refreshing_ = false;
  bool stopped_ = false;
  std::atomic<std::uint64_t> throttled_{0};
};

}  // namespace chat::detail
