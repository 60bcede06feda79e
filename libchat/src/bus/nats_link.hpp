// detail::bus::nats_link: this node's connection to NATS.
//
// One libnats connection: the server list, reconnect forever with backoff,
// creds and TLS passed through; requests answered on this node's own reply
// subject (chat.reply.<node>.<n>) so that nothing waits for them; and a
// worker thread for the few libnats calls that block (JetStream consumer
// and stream management). libnats runs callbacks on its own threads: users
// of this class post from there to the owning shard.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace chat::detail::bus {

struct nats_options {
  std::vector<std::string> servers;  // nats://host:port, tls://...
  std::string creds;                 // a .creds file (JWT + nkey seed)
  std::string tls_ca, tls_cert, tls_key;
  std::string name;  // the connection's name, as NATS monitoring shows it
};

/// The answer to a request: `status` is 0 with a reply, 503 when nobody
/// subscribes to the subject, 408 on timeout or when it could not be sent.
using reply_fn = std::function<void(int status, std::string_view data)>;

/// Thread safety: every member may be called from any thread, except
/// start() and stop(), which belong to the owner.
class nats_link {
 public:
  /// `on_up` runs on the worker thread once connected and after each
  /// reconnect (stream setup goes there); `on_log` reports state changes.
  nats_link(nats_options opts, std::string node, std::function<void()> on_up,
            std::function<void(bool error, std::string)> on_log);
  ~nats_link();
  nats_link(const nats_link&) = delete;
  nats_link& operator=(const nats_link&) = delete;

  /// Starts connecting; keeps trying in the background when no server
  /// answers. An error only for unusable options (a missing creds file).
  std::string start();
  /// Closes the connection and joins the worker.
  void stop();

  bool connected() const noexcept {
    return up_.load(std::memory_order_acquire);
  }
  natsConnection* connection() const noexcept { return nc_; }
  jsCtx* jetstream() const noexcept { return js_; }
  /// The configured servers, for messages.
  std::string servers() const;

  /// Publishes without waiting; `msg_id` (if any) becomes Nats-Msg-Id.
  /// False when not connected or libnats refused it.
  bool publish(const std::string& subject, std::string_view data,
               const char* reply = nullptr, std::string_view msg_id = {});
  /// Publishes with this node's reply subject; `fn` gets the first answer
  /// or 408 once `timeout` passed (checked by sweep()). False (and `fn`
  /// not called) when it could not be sent.
  bool request(const std::string& subject, std::string_view data,
               std::string_view msg_id, std::chrono::milliseconds timeout,
               reply_fn fn);
  /// Times out requests; call about once a second.
  void sweep();

  /// Runs `job` on the worker thread, where blocking libnats calls belong.
  void post(std::function<void()> job);

 private:
  struct pending {
    std::chrono::steady_clock::time_point deadline;
    reply_fn fn;
  };
  static void on_reply(natsConnection*, natsSubscription*, natsMsg* m,
                       void* self);
  static void on_disconnected(natsConnection*, void* self);
  static void on_reconnected(natsConnection*, void* self);
  static void on_error(natsConnection*, natsSubscription*, natsStatus,
                       void* self);
  static void on_connected(natsConnection*, void* self);
  static void on_closed(natsConnection*, void* self);
  void became_up();
  void run();

  nats_options opts_;
  std::string node_;
  std::string reply_prefix_;  // chat.reply.<node>.
  std::function<void()> on_up_;
  std::function<void(bool, std::string)> on_log_;
  natsOptions* nopts_ = nullptr;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  natsSubscription* replies_ = nullptr;
  std::atomic<bool> up_{false};

  std::mutex pending_mu_;
  std::unordered_map<std::uint64_t, pending> pending_;  // Guarded.
  std::uint64_t next_token_ = 1;                        // Guarded.

  std::mutex jobs_mu_;
  std::condition_variable jobs_cv_;
  std::deque<std::function<void()>> jobs_;  // Guarded by jobs_mu_.
  bool stopping_ = false;                   // Guarded by jobs_mu_.
  bool closed_ = false;                     // Guarded by jobs_mu_.
  std::thread worker_;
};

}  // namespace chat::detail::bus
