#include <chat/envelope.hpp>

#include "core/pool.hpp"

#include <cstddef>
#include <mutex>

namespace chat {
namespace {

// Storage kept by a recycled envelope: a string larger than this is freed
// with its message rather than held by the pool.
constexpr std::size_t keep_bytes = 2048;

// An envelope that goes back to the pool (detail::pool). The shared_ptr's
// control block is built in `control_`, so an envelope from the pool costs
// no allocation at all.
class pooled_envelope final : public envelope {
 public:
  // After the last shared holder.
  void empty() noexcept { clear(keep_bytes); }

  alignas(std::max_align_t) unsigned char control_[64];
  pooled_envelope* next_ = nullptr;        // in a free list
  pooled_envelope* next_batch_ = nullptr;  // the shared pool's batches
};

struct empty_envelope {
  void operator()(pooled_envelope* e) const noexcept { e->empty(); }
};

}  // namespace

std::shared_ptr<envelope> envelope::make() {
  pooled_envelope* e = detail::pool<pooled_envelope>::take();
  return detail::share_pooled<envelope>(e, e, empty_envelope{});
}

v1::Message& envelope::reuse_message() {
  if (spare_message_ && !frame_.has_message())
    frame_.set_allocated_message(spare_message_.release());
  return *frame_.mutable_message();
}

v1::Receipt& envelope::reuse_receipt() {
  if (spare_receipt_ && !frame_.has_receipt())
    frame_.set_allocated_receipt(spare_receipt_.release());
  return *frame_.mutable_receipt();
}

void envelope::set_body(std::string& body, bool data) {
  v1::Message& m = reuse_message();
  (data ? m.mutable_data() : m.mutable_text())->swap(body);
  body.clear();
}

namespace {

void trim(std::string& s, std::size_t keep) noexcept {
  if (s.capacity() > keep) {
    std::string().swap(s);
  } else {
    s.clear();
  }
}

// Empties a string field, keeping its storage. A field never set reads as
// the shared empty default, and is left alone; one that reads non-empty is
// the message's own string (the messages here are never on an arena), so
// it is emptied through its getter, without protobuf's out-of-line
// mutable_x().
void trim_field(const std::string& field, std::size_t keep) noexcept {
  if (!field.empty()) trim(const_cast<std::string&>(field), keep);
}

void zero(google::protobuf::Timestamp& t) noexcept {
  t.set_seconds(0);
  t.set_nanos(0);
}

void trim(v1::Message& m, std::size_t keep) noexcept {
  trim_field(m.message_id(), keep);
  trim_field(m.from(), keep);
  trim_field(m.to(), keep);
  trim_field(m.from_connection(), keep);
  trim_field(m.id(), keep);
  // The body's case stays (leaving it would free the string).
  if (m.has_text()) trim_field(m.text(), keep);
  if (m.has_data()) trim_field(m.data(), keep);
  if (m.has_sent_at()) zero(*m.mutable_sent_at());
  m.set_copy(false);
}

void trim(v1::Receipt& r, std::size_t keep) noexcept {
  trim_field(r.message_id(), keep);
  trim_field(r.id(), keep);
  trim_field(r.by(), keep);
  if (r.has_at()) zero(*r.mutable_at());
  r.set_status(v1::Receipt::STATUS_UNSPECIFIED);
}

}  // namespace

void envelope::clear(std::size_t keep) noexcept {
  for (std::size_t i = 0; i < 2; ++i) {
    ready_[i].store(false, std::memory_order_relaxed);
    trim(encoded_[i], keep);
  }
  switch (frame_.frame_case()) {
    case v1::ServerFrame::kMessage:
      spare_message_.reset(frame_.release_message());
      trim(*spare_message_, keep);
      break;
    case v1::ServerFrame::kReceipt:
      spare_receipt_.reset(frame_.release_receipt());
      trim(*spare_receipt_, keep);
      break;
    default:
      frame_.Clear();
  }
}

const std::string& envelope::encoded(wire_format f) const {
  const auto i = static_cast<std::size_t>(f);
  if (!ready_[i].load(std::memory_order_acquire)) {
    std::lock_guard lock(mu_);
    if (!ready_[i].load(std::memory_order_relaxed)) {
      encode(frame_, f, encoded_[i]);
      ready_[i].store(true, std::memory_order_release);
    }
  }
  return encoded_[i];
}

}  // namespace chat
