// detail::mailbox: offline store-and-forward, acks, redelivery, receipts and
// dedup for messages addressed to a user.
//
// Every message to a user is kept in that user's inbox until one of its
// connections acknowledges it; a connection that registers is handed the
// inbox first, so it gets what was queued (or delivered and never acked)
// before anything newer. A user's inbox, and the registration of its
// connections, change under one stripe lock: nothing routed concurrently is
// missed or reordered. The sender's dedup index lives in the sender's
// stripe; no two stripe locks are ever held at once.
#pragma once

#include <chat/envelope.hpp>
#include <chat/registry.hpp>

#include "store/delivery.hpp"
#include "store/journal.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace chat::detail {

/// Bounds of the mailbox (chat::config carries them; see docs/protocol.md).
struct mailbox_limits {
  std::size_t inbox_max_messages = 10'000;
  std::size_t inbox_max_bytes = 64 << 20;
  std::chrono::milliseconds message_ttl{7 * 24 * 3600 * 1000LL};
  std::chrono::milliseconds dedup_window{10 * 60 * 1000};
  std::size_t dedup_max_ids = 10'000;  // per sender
};

/// Counters, read by /metrics.
struct mailbox_stats {
  std::atomic<std::uint64_t> delivered{0};    // handed to >= 1 live connection
  std::atomic<std::uint64_t> deliveries{0};   // connections handed a message
  std::atomic<std::uint64_t> queued{0};       // stored for an offline user
  std::atomic<std::uint64_t> redelivered{0};  // handed out again at connect
  std::atomic<std::uint64_t> acked{0};
  std::atomic<std::uint64_t> expired{0};     // dropped at their TTL
  std::atomic<std::uint64_t> duplicates{0};  // resends answered from dedup
  std::atomic<std::uint64_t> store_failures{0};
  std::atomic<std::uint64_t> stored{0};  // messages in inboxes now (gauge)
};

/// Thread safety: every member may be called from any thread.
class mailbox final : public delivery {
 public:
  using clock_ms = std::function<std::int64_t()>;

  /// `j` (may be null: memory only) must outlive the mailbox; `now` gives
  /// the wall clock in ms (tests pass their own).
  mailbox(registry& reg, mailbox_limits limits, journal* j = nullptr,
          clock_ms now = {});
  ~mailbox();
  mailbox(const mailbox&) = delete;
  mailbox& operator=(const mailbox&) = delete;

  /// Replays the journal (once, before serving).
  void load();

  /// If (sender, client id) was accepted inside the dedup window, the
  /// original answer; when that answer is still being made, nullopt with
  /// `deferred` set, and `to` gets it later.
  std::optional<v1::ServerFrame> resend(std::string_view sender,
                                        const std::string& client_id,
                                        reply_to& to, bool& deferred) override;

  /// Stores the message in `env` (a `message` frame) for its recipient and
  /// hands it to the recipient's live connections, and a copy to the
  /// sender's other ones. Returns the sender's answer (`sent` QUEUED or
  /// DELIVERED, or an error), or nullopt when it comes later through `to`
  /// (a durable journal answers once the write is on disk).
  std::optional<v1::ServerFrame> submit(envelope_ptr env, std::string client_id,
                                        reply_to to) override;

  /// Registers `c` and hands it its user's inbox, then its pending
  /// receipts; false when its id is taken (nothing done).
  [[nodiscard]] bool attach(const std::shared_ptr<connection>& c) override;
  bool detach(const connection& c) override { return reg_.remove(c); }
  bool online(std::string_view user) const override {
    return reg_.count(user) > 0;
  }

  /// The user of `c` acknowledges `message_id` (and with `cumulative`,
  /// every earlier message of its inbox). Unknown ids are ignored.
  void ack(const connection& c, std::string_view message_id,
           bool cumulative) override;
  /// The user of `c` read `message_id`: relays a READ receipt.
  void read(const connection& c, std::string_view message_id) override;

  /// Drops what outlived its TTL or the dedup window. Cheap; call often.
  void sweep();

  /// Messages waiting in `user`'s inbox (queued or unacked).
  std::size_t inbox_size(std::string_view user) const;
  const mailbox_stats& stats() const noexcept { return stats_; }
  /// The journal, or null (memory only).
  const journal* durable() const noexcept { return journal_; }
  /// Empty while the store is healthy.
  std::uint64_t delivered() const noexcept override {
    return stats_.delivered.load(std::memory_order_relaxed);
  }
  std::uint64_t deliveries() const noexcept override {
    return stats_.deliveries.load(std::memory_order_relaxed);
  }
  std::string problem() const override {
    return journal_ ? journal_->problem() : "";
  }

 private:
  struct entry;
  struct entry_home;
  struct message_id_of;
  struct dedup_record;
  struct dedup_key_of;
  struct box;
  struct stripe;
  struct receipt_job {
    std::string sender;
    std::shared_ptr<envelope> env;  // a `receipt` frame
  };

  /// A new entry, in storage from a pool: no allocation once warm.
  static std::shared_ptr<entry> make_entry();
  stripe& stripe_of(std::string_view user) const;
  /// Hands a stored message out and answers its sender (through `e->to`,
  /// and returned); with `durable` false, drops it and answers UNAVAILABLE.
  v1::ServerFrame complete(const std::shared_ptr<entry>& e, bool durable);
  void finish_dedup(const entry& e, const v1::ServerFrame& answer,
                    const reply_to& to);
  void deliver_receipt(receipt_job job);
  void expire(stripe& s, box& b, std::int64_t now);
  void acknowledge(stripe& s, box* b, const std::shared_ptr<entry>& e,
                   v1::Receipt::Status status, std::vector<receipt_job>& out);
  static void reply(const reply_to& to, registry& reg,
                    const v1::ServerFrame& f);

  registry& reg_;
  mailbox_limits limits_;
  journal* journal_;
  clock_ms now_;
  std::atomic<std::uint64_t> seq_{1};
  std::unique_ptr<stripe[]> stripes_;
  std::size_t mask_;
  mailbox_stats stats_;
};

}  // namespace chat::detail
