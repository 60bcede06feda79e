// detail::journal: what makes the mailbox durable.
//
// The mailbox keeps all delivery state in memory and tells a journal every
// change, in order. The in-memory store has no journal; the SQLite one
// writes each change on its own thread, in batches, and reports a put done
// only once it is on disk. A journal never calls back into the mailbox
// except through the completions it is given.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace chat::detail {

/// How far a stored message got with its recipient.
enum class delivery_state : std::uint8_t {
  unacked = 0,  // queued or delivered, not acknowledged yet
  acked = 1,    // the recipient acknowledged it; the body is gone
  read = 2,     // the recipient said it read it
};

/// One message to one user, as a journal keeps it.
struct stored_message {
  std::uint64_t seq = 0;
  std::string message_id;
  std::string recipient;
  std::string sender;
  std::string client_id;  // the sender's id for the send (dedup key)
  std::int64_t created_ms = 0;
  delivery_state state = delivery_state::unacked;
  int status = 0;     // the Sent.Status its sender was answered with
  std::string frame;  // the Message, protobuf-encoded; empty once acked
};

/// A receipt waiting for its (offline) sender.
struct stored_receipt {
  std::uint64_t seq = 0;
  std::string user;
  std::string frame;  // the ServerFrame, protobuf-encoded
};

/// Thread safety: every member may be called from any thread; calls made
/// one after another are applied in that order.
class journal {
 public:
  using done_fn = std::function<void(bool durable)>;
  virtual ~journal() = default;

  /// Replays what is stored, oldest first; once, before anything is put.
  virtual void load(const std::function<void(stored_message)>& message,
                    const std::function<void(stored_receipt)>& receipt) = 0;

  /// Stores a new message. `done` runs on the journal's thread once it is
  /// durable (true) or failed to be (false), in the order of the puts.
  virtual void put(stored_message m, done_fn done) = 0;
  /// Records the recipient's progress (drops the body once acked); never
  /// moves a message back.
  virtual void progress(const std::string& message_id, delivery_state s) = 0;
  /// Records the answer the sender got (the Sent.Status), for resends.
  virtual void answered(const std::string& message_id, int status) = 0;
  /// Forgets a message (expired, or past the dedup window once acked).
  virtual void erase(const std::string& message_id) = 0;
  virtual void put_receipt(stored_receipt r) = 0;
  virtual void erase_receipt(std::uint64_t seq) = 0;

  /// Empty while healthy; else what is wrong (for logs and /readyz).
  virtual std::string problem() const = 0;

  /// Transactions committed, and the time they took in all (ns).
  virtual std::uint64_t commits() const { return 0; }
  virtual std::uint64_t commit_ns() const { return 0; }
};

}  // namespace chat::detail
