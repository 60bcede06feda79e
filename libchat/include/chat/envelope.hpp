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
  explicit envelope(v1::ServerFrame frame)
      : heap_(std::move(frame)), frame_(&heap_) {}
  virtual ~envelope() = default;

  envelope(const envelope&) = delete;
  envelope& operator=(const envelope&) = delete;

  /// An empty envelope whose frame the caller builds in place through
  /// `mutable_frame()` before sharing it. The frame lives in a protobuf
  /// arena whose first block is allocated with the envelope: a routed
  /// message of ordinary size costs one allocation, not one per field.
  static std::shared_ptr<envelope> make();

  /// Only before the envelope is shared.
  v1::ServerFrame& mutable_frame() noexcept { return *frame_; }
  const v1::ServerFrame& frame() const noexcept { return *frame_; }
  const v1::Message& message() const noexcept { return frame_->message(); }

  /// The frame encoded in `f`, made once and shared by every recipient.
  const std::string& encoded(wire_format f) const;

 protected:
  envelope() noexcept : frame_(&heap_) {}
  void adopt(v1::ServerFrame* frame) noexcept { frame_ = frame; }

 private:
  v1::ServerFrame heap_;  // the frame, unless adopt() put it in an arena
  v1::ServerFrame* frame_;
  // Not std::call_once: glibc's pthread_once makes a futex syscall each
  // time it runs, which is once per routed message here.
  mutable std::mutex mu_;
  mutable std::atomic<bool> ready_[2] = {false, false};
  mutable std::string
      encoded_[2];  // Written once under mu_, then read-only once ready_.
};

using envelope_ptr = std::shared_ptr<const envelope>;

}  // namespace chat
