// chat/envelope.hpp: one routed message, shared by all of its recipients.
//
// The router builds an envelope once per send; every recipient connection
// holds the same immutable envelope, and each wire encoding of it is made at
// most once, by the first connection that needs it.
#pragma once

#include <chat/codec.hpp>
#include <chat/v1/chat.pb.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

namespace chat {

/// Thread safety: immutable once shared; `encoded()` may be called from
/// any thread.
class envelope {
 public:
  /// Takes a `ServerFrame` holding a `message`.
  explicit envelope(v1::ServerFrame frame) : frame_(std::move(frame)) {}
  virtual ~envelope() = default;

  envelope(const envelope&) = delete;
  envelope& operator=(const envelope&) = delete;

  /// An empty envelope whose frame the caller builds in place through
  /// `mutable_frame()` before sharing it. Envelopes made here are
  /// recycled: once the last holder lets go, the envelope goes back to a
  /// pool (one per thread, with a shared overflow), and keeps the storage
  /// of its message's or receipt's fields for the next one built with
  /// `reuse_message()` or `reuse_receipt()`. In steady state, a routed
  /// message of ordinary size allocates nothing.
  static std::shared_ptr<envelope> make();

  /// Only before the envelope is shared.
  v1::ServerFrame& mutable_frame() noexcept { return frame_; }

  /// Only before the envelope is shared, for a builder that sets every
  /// field: the frame's message, made from one this envelope carried
  /// before. Its strings are empty but keep their storage; its body case
  /// and its `sent_at` stay present (zero) until set again.
  v1::Message& reuse_message();
  /// The same for a receipt (its `at` stays present).
  v1::Receipt& reuse_receipt();

  /// Only before the envelope is shared: makes `body` the message's text
  /// (or `data`), and leaves in `body`, emptied, the storage of an earlier
  /// message's body, so that the caller decodes its next send into it
  /// without allocating.
  void set_body(std::string& body, bool data);

  const v1::ServerFrame& frame() const noexcept { return frame_; }
  const v1::Message& message() const noexcept { return frame_.message(); }

  /// The frame encoded in `f`, made once and shared by every recipient.
  const std::string& encoded(wire_format f) const;

 protected:
  envelope() = default;
  /// For reuse: empties the frame and the encodings. A message or receipt
  /// is set aside for reuse_message() or reuse_receipt(); every string
  /// keeps its storage up to `keep` bytes.
  void clear(std::size_t keep) noexcept;

 private:
  v1::ServerFrame frame_;
  std::unique_ptr<v1::Message> spare_message_;
  std::unique_ptr<v1::Receipt> spare_receipt_;
  // Not std::call_once: glibc's pthread_once makes a futex syscall each
  // time it runs, which is once per routed message here.
  mutable std::mutex mu_;
  mutable std::atomic<bool> ready_[2] = {false, false};
  mutable std::string
      encoded_[2];  // Written once under mu_, then read-only once ready_.
};

using envelope_ptr = std::shared_ptr<const envelope>;

}  // namespace chat
