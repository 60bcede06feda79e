// chat/envelope.hpp: one routed message, shared by all of its recipients.
//
// The router builds an envelope once per send; every recipient connection
// holds the same immutable envelope, and each wire encoding of it is made at
// most once, by the first connection that needs it.
#pragma once

#include <chat/codec.hpp>
#include <chat/v1/chat.pb.h>

#include <memory>
#include <mutex>
#include <string>

namespace chat {

/// Thread safety: immutable after construction; `encoded()` may be called
/// from any thread.
class envelope {
 public:
  /// Takes a `ServerFrame` holding a `message`.
  explicit envelope(v1::ServerFrame frame) : frame_(std::move(frame)) {}

  envelope(const envelope&) = delete;
  envelope& operator=(const envelope&) = delete;

  const v1::ServerFrame& frame() const noexcept { return frame_; }
  const v1::Message& message() const noexcept { return frame_.message(); }

  /// The frame encoded in `f`, made once and shared by every recipient.
  const std::string& encoded(wire_format f) const;

 private:
  v1::ServerFrame frame_;
  mutable std::once_flag once_[2];
  mutable std::string
      encoded_[2];  // Guarded by once_: written once, then read-only.
};

using envelope_ptr = std::shared_ptr<const envelope>;

}  // namespace chat
