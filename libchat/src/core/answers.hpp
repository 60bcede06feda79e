#pragma once

// The `sent` answer to a send, made without allocating once warm.
//
// Each thread keeps one spare `Sent`: make_sent() takes it, and the
// transport that has encoded the answer gives it back with recycle(). The
// spare's strings keep their buffers, and message ids and client ids fit
// them, so answering a send allocates nothing in steady state. An answer
// that is not given back is freed as usual.

#include <chat/v1/chat.pb.h>

#include <memory>
#include <string>

namespace chat::detail {

inline std::unique_ptr<v1::Sent>& spare_sent() noexcept {
  thread_local std::unique_ptr<v1::Sent> spare;
  return spare;
}

/// The `sent` of make_sent(), for a caller that frames it later, with
/// framed().
inline std::unique_ptr<v1::Sent> take_sent(const std::string& id,
                                           const std::string& message_id,
                                           int status) {
  std::unique_ptr<v1::Sent> s = std::move(spare_sent());
  if (s) {
    s->Clear();
  } else {
    s = std::make_unique<v1::Sent>();
  }
  // Assigned into the strings' own storage: set_x() goes through
  // protobuf's out-of-line ArenaStringPtr::Set and the general assign.
  *s->mutable_id() = id;
  *s->mutable_message_id() = message_id;
  s->set_status(static_cast<v1::Sent::Status>(status));
  return s;
}

/// {"sent": s}.
inline v1::ServerFrame framed(std::unique_ptr<v1::Sent> s) {
  v1::ServerFrame f;
  f.set_allocated_sent(s.release());
  return f;
}

/// {"sent": {id, messageId, status}}.
inline v1::ServerFrame make_sent(const std::string& id,
                                 const std::string& message_id, int status) {
  return framed(take_sent(id, message_id, status));
}

/// Gives `answer`'s `Sent`, if it has one, back to this thread's spare
/// (`answer` is left without a frame).
inline void recycle(v1::ServerFrame& answer) noexcept {
  if (!answer.has_sent() || spare_sent()) return;
  spare_sent().reset(answer.release_sent());
}

}  // namespace chat::detail
