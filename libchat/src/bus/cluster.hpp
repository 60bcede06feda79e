// detail::bus::cluster: delivery across chatd nodes through NATS.
//
// The shared inbox is the JetStream stream CHAT (chat.inbox.<user>, file
// storage): a send is published there with Nats-Msg-Id = sender + client id
// (JetStream drops a resend inside the dedup window), its stream sequence
// is the message id, and `sent` goes back only after the PubAck. A node
// that has a user connected reads that user's inbox with an ordered
// consumer (what was queued, in order, then what comes), and a core NATS
// subscription to chat.live.<user> that answers presence probes and
// carries copies for the sender's other devices. An ack deletes the
// message from the stream; receipts are published into the sender's inbox.
// docs/cluster.md has the whole design and its failure modes.
#pragma once

#include <chat/config.hpp>
#include <chat/registry.hpp>

#include "bus/nats_link.hpp"
#include "core/string_map.hpp"
#include "server/shards.hpp"
#include "store/delivery.hpp"

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

namespace chat::detail::bus {

/// Thread safety: every member may be called from any thread, except
/// start() and stop(), which belong to the owner.
class cluster final : public delivery {
 public:
  using log_fn = std::function<void(bool error, std::string)>;

  /// `io` must outlive the cluster; it is used only after start().
  cluster(const config& cfg, std::string node, registry& reg, shards& io,
          log_fn log);
  ~cluster() override;

  /// Starts connecting (in the background when NATS is not there yet).
  std::string start();
  void stop();
  /// Times out requests and reopens what failed to open; about once a second.
  void sweep();

  std::optional<v1::ServerFrame> resend(std::string_view, const std::string&,
                                        reply_to&, bool& deferred) override {
    deferred = false;  // JetStream drops duplicates by Nats-Msg-Id.
    return std::nullopt;
  }
  std::optional<v1::ServerFrame> submit(envelope_ptr env, std::string client_id,
                                        reply_to to) override;
  bool remote(std::string_view connection_id) const override;
  void forward(envelope_ptr env, const std::string& connection_id,
               std::string client_id, reply_to to) override;
  [[nodiscard]] bool attach(const std::shared_ptr<connection>& c) override;
  bool detach(const connection& c) override;
  void ack(const connection& c, std::string_view message_id,
           bool cumulative) override;
  void read(const connection& c, std::string_view message_id) override;
  bool online(std::string_view user) const override;
  std::uint64_t delivered() const noexcept override {
    return delivered_.load(std::memory_order_relaxed);
  }
  std::uint64_t deliveries() const noexcept override {
    return deliveries_.load(std::memory_order_relaxed);
  }
  std::string problem() const override;

 private:
  struct held;
  struct user_state;
  struct send_job;

  // cluster.cpp: the send path and the node's own subscriptions.
  void on_pub_ack(const std::shared_ptr<send_job>& job, int status,
                  std::string_view body);
  void answer(const std::shared_ptr<send_job>& job, v1::ServerFrame f);
  std::optional<v1::ServerFrame> local_only(envelope_ptr env,
                                            const std::string& client_id);
  void ensure_stream();
  void reopen();
  bool missing_subscriptions() const;
  static void on_node(natsConnection*, natsSubscription*, natsMsg*, void*);
  boost::asio::io_context& shard_of(std::string_view user);

  // cluster_inbox.cpp: the users connected here.
  void open(const std::shared_ptr<user_state>& st);
  void close(const std::shared_ptr<user_state>& st);
  static void on_inbox(natsConnection*, natsSubscription*, natsMsg*, void*);
  static void on_live(natsConnection*, natsSubscription*, natsMsg*, void*);
  static void on_done(void* closure);
  void take(const std::shared_ptr<user_state>& st, std::uint64_t seq,
            const std::string& data);
  void settle(std::deque<held>& done, v1::Receipt::Status status);
  void delete_message(std::uint64_t seq);

 public:
  /// An inbox record: "<n>:" + the sender's client id (n bytes) + the
  /// ServerFrame (a message or a receipt).
  static std::string pack(std::string_view client_id, const v1::ServerFrame& f);
  /// Splits a record; false when it is malformed.
  static bool unpack(std::string_view data, std::string& client_id,
                     v1::ServerFrame& f);

  const config& cfg_;
  std::string node_;
  registry& reg_;
  shards& io_;
  log_fn log_;
  nats_link link_;
  natsSubscription* node_sub_ = nullptr;
  std::atomic<bool> stream_ready_{false};
  std::atomic<bool> stream_busy_{false};
  std::string stream_error_;  // Guarded by mu_.
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> deliveries_{0};

  mutable std::mutex mu_;
  string_map<std::shared_ptr<user_state>> users_;  // Guarded by mu_.
};

}  // namespace chat::detail::bus
