// detail::transport and what every transport shares: the context it runs
// in, the session tracker used for graceful shutdown, and the logger.
#pragma once

#include <chat/config.hpp>
#include <chat/connection.hpp>
#include <chat/router.hpp>

#include "core/metrics.hpp"
#include "server/shards.hpp"
#include "store/mailbox.hpp"

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>

namespace boost::asio::ssl {
class context;
}

namespace chat::detail {

/// Reports through the embedder's log hook; formats nothing when the level
/// is filtered out. Thread safety: any thread.
class logger {
 public:
  explicit logger(const hooks& h) : hooks_(h) {}
  bool enabled(log_level l) const noexcept {
    return hooks_.log && l >= hooks_.min_level && l != log_level::off;
  }
  void operator()(log_level l, std::string_view text) const noexcept;

 private:
  const hooks& hooks_;
};

/// Anything the tracker can ask to shut down. `shutdown()` may be called from
/// any thread; it moves to the session's own thread.
class session_base {
 public:
  virtual ~session_base() = default;
  virtual void shutdown() = 0;   // flush, then close (cfg.shutdown_close_code)
  virtual void terminate() = 0;  // close the socket now
};

/// Every live session, so that a stop can reach them. Locked only when a
/// session starts or ends, never on the message path.
class tracker {
 public:
  void add(const std::shared_ptr<session_base>& s);
  void remove(const session_base* s);
  /// Calls `shutdown()` (or `terminate()`) on a snapshot of the sessions.
  void shutdown_all(bool terminate);
  /// Waits until no session is left; false on timeout.
  bool wait_empty(std::chrono::milliseconds timeout);
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<const session_base*, std::weak_ptr<session_base>>
      live_;  // Guarded by mu_.
};

/// What a transport runs against. Owned by the server; outlives transports.
struct context {
  const config& cfg;
  router& route;
  registry& reg;
  shards& io;
  tracker& sessions;
  logger log;
  std::string node;
  metrics& stats;
  mailbox& box;
  /// The listeners' TLS settings; null without TLS.
  std::shared_ptr<boost::asio::ssl::context> tls;
  /// What every connection id starts with: "<node>-" in a cluster (the id
  /// names the node that holds the connection), else nothing.
  std::string id_prefix;

  /// A fresh connection id: the prefix, then 64 random bits in 11 base-62
  /// digits. Alone, the 11 characters are held inline by std::string.
  std::string make_connection_id() const;

  /// Names `c` for `user` with a fresh id (retrying on the rare collision),
  /// registers it (handing it what waits for its user: queued and unacked
  /// messages, receipts), counts and reports it, and runs the on_connect
  /// hook. Call on c's thread. `remote` is the peer's address (empty
  /// in-process).
  void attach(const std::shared_ptr<connection>& c, std::string user,
              transport_kind kind, std::string_view remote);
  /// Like attach(), with the id the edge assigned (API Gateway's
  /// connectionId); false, with nothing done, when the id is taken.
  [[nodiscard]] bool attach_as(const std::shared_ptr<connection>& c,
                               std::string id, std::string user,
                               transport_kind kind, std::string_view remote);
  /// Unregisters `c` and runs the on_disconnect hook, if it was registered.
  void detach(const connection& c, transport_kind kind);

  /// Counts and reports a refused handshake (the access log of refusals).
  void refused(transport_kind kind, std::string_view remote, refusal why,
               unsigned status, std::string_view reason);

  /// Routes one send through the router, timing it and counting its
  /// outcome. An answer that has to wait goes to `later` (or the sending
  /// connection); the returned frame is then empty.
  v1::ServerFrame route_send(const sender& from, v1::Send& send,
                             const reply_to* later = nullptr);
  /// route_send(), waiting for an answer that has to wait (for a caller
  /// off the I/O threads, or one that may block: the store thread never
  /// waits on them).
  v1::ServerFrame route_send_wait(const sender& from, v1::Send& send);
  /// The router's handle(), with sends going through route_send().
  v1::ServerFrame handle(const connection& from, v1::ClientFrame& frame);

  /// Ready to accept new clients: started and not draining (/readyz).
  bool accepting() const noexcept { return !route.closed(); }

  /// The Prometheus text of stats (GET /metrics).
  std::string metrics_text() const;

  /// Reports an event through hooks.on_event, or as one line of text through
  /// hooks.log when that is unset; filtered by hooks.min_level.
  void emit(const log_event& e) const noexcept;
  /// Whether an event at `l` goes anywhere; check before building one, so
  /// that a server without log hooks allocates nothing for events.
  bool wants(log_level l) const noexcept {
    const auto& h = cfg.hooks;
    return (h.on_event || h.log) && l >= h.min_level && l != log_level::off;
  }

  /// Logs a registered connection and runs the on_connect hook.
  void announce(const std::shared_ptr<connection>& c, transport_kind kind,
                std::string_view remote);

  /// Who the client of a handshake is: the authenticate hook's verdict, or
  /// with none set (`--auth none`) the claimed name if it is a valid one.
  auth_result authenticate(const handshake& h) const;
};

class transport {
 public:
  virtual ~transport() = default;
  /// Binds and starts accepting (on the shards once they run).
  [[nodiscard]] virtual std::error_code start() = 0;
  /// Stops accepting; live sessions are closed through the tracker.
  virtual void stop() = 0;
  virtual std::uint16_t port() const noexcept = 0;
};

/// The TLS server context of cfg.tls_cert and cfg.tls_key, or null with
/// `error` saying why (a file that cannot be read, a key that does not match).
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const config& cfg,
                                                            std::string& error);

std::unique_ptr<transport> make_websocket_transport(context& ctx);
std::unique_ptr<transport> make_tcp_transport(context& ctx);
/// Fails to start (invalid_argument) without a valid `apigw_callback`.
std::unique_ptr<transport> make_apigw_transport(context& ctx);

/// The refusal an authentication verdict's HTTP status stands for.
inline refusal refusal_for(unsigned status) noexcept {
  return status == 400   ? refusal::invalid_user
         : status == 401 ? refusal::unauthorized
                         : refusal::forbidden;
}

/// The close reason sent with a shutdown close code.
inline std::string_view shutdown_reason(close_code c) noexcept {
  return c == close_code::service_restart ? "service restart" : "going away";
}

/// The RATE_LIMITED answer to a send over the connection's rate limit.
inline v1::ServerFrame rate_limited(const config& cfg, const v1::Send& s) {
  return make_error(
      errc::rate_limited,
      "over the rate limit of " + std::to_string(cfg.rate_limit) + " sends/s",
      s.id());
}

/// Parses "host:port" or "[v6]:port"; false when it is neither.
bool split_host_port(std::string_view addr, std::string& host,
                     std::string& port);

}  // namespace chat::detail

namespace chat::detail {

/// The percent-decoded value of `key` in the query part of a request target;
/// nullopt when absent or badly encoded.
std::optional<std::string> query_param(std::string_view target,
                                       std::string_view key);

}  // namespace chat::detail
