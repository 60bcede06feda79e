#include <chat/envelope.hpp>

#include <cstddef>
#include <mutex>
#include <utility>

namespace chat {
namespace {

// Storage kept by a recycled envelope: a string larger than this is freed
// with its message rather than held by the pool.
constexpr std::size_t keep_bytes = 2048;

// An envelope that goes back to the pool. The shared_ptr's control block
// is built in `control_`, so an envelope from the pool costs no allocation
// at all; the control block's allocator gives the envelope back when the
// control block goes (after the last shared and weak holder).
class pooled_envelope final : public envelope {
 public:
  // After the last shared holder.
  void empty() noexcept { clear(keep_bytes); }

  alignas(std::max_align_t) unsigned char control_[64];
  pooled_envelope* next_ = nullptr;        // in a free list
  pooled_envelope* next_batch_ = nullptr;  // the shared pool's batches
};

// Free envelopes. Each thread keeps up to 2 * batch of them; beyond that it
// hands a batch to the shared pool, and an empty thread takes a batch from
// there, so envelopes made on one thread and let go on another (a sender's
// and a recipient's) circulate with one lock per batch. The shared pool
// keeps at most max_batches; more is freed.
class envelope_pool {
 public:
  static constexpr std::size_t batch = 32;
  static constexpr std::size_t max_batches = 16;

  static pooled_envelope* take() {
    if (dead_) return new pooled_envelope;  // at this thread's exit
    local& l = mine();
    if (l.head == nullptr) l.head = shared().pop(l.count);
    if (pooled_envelope* e = l.head) {
      l.head = e->next_;
      --l.count;
      return e;
    }
    return new pooled_envelope;
  }

  static void give(pooled_envelope* e) noexcept {
    if (dead_) {  // at this thread's exit
      delete e;
      return;
    }
    local& l = mine();
    e->next_ = l.head;
    l.head = e;
    if (++l.count < 2 * batch) return;
    // The oldest half goes to the shared pool.
    pooled_envelope* last = l.head;
    for (std::size_t i = 1; i < batch; ++i) last = last->next_;
    pooled_envelope* rest = last->next_;
    last->next_ = nullptr;
    l.count = batch;
    shared().push(rest, batch);
  }

 private:
  struct local {
    pooled_envelope* head = nullptr;
    std::size_t count = 0;
    ~local() {
      dead_ = true;
      release(head);
    }
  };

  struct shared_pool {
    std::mutex mu;
    pooled_envelope* batches = nullptr;
    std::size_t count = 0;

    pooled_envelope* pop(std::size_t& n) {
      std::lock_guard lock(mu);
      pooled_envelope* b = batches;
      if (b == nullptr) return nullptr;
      batches = b->next_batch_;
      --count;
      n = batch;
      return b;
    }
    void push(pooled_envelope* b, std::size_t n) noexcept {
      {
        std::lock_guard lock(mu);
        if (count < max_batches && n == batch) {
          b->next_batch_ = batches;
          batches = b;
          ++count;
          return;
        }
      }
      release(b);
    }
  };

  static void release(pooled_envelope* e) noexcept {
    while (e != nullptr) delete std::exchange(e, e->next_);
  }

  static local& mine() noexcept {
    thread_local local l;
    return l;
  }
  // Never destroyed: envelopes may be let go during static destruction.
  static shared_pool& shared() noexcept {
    static auto* p = new shared_pool;
    return *p;
  }

  static thread_local bool dead_;
};

thread_local bool envelope_pool::dead_ = false;

struct empty_envelope {
  void operator()(pooled_envelope* e) const noexcept { e->empty(); }
};

// Builds the control block in the envelope; gives the envelope back to the
// pool when the control block goes.
template <class T>
struct in_envelope {
  using value_type = T;
  pooled_envelope* home;

  explicit in_envelope(pooled_envelope* e) noexcept : home(e) {}
  template <class U>
  in_envelope(const in_envelope<U>& o) noexcept : home(o.home) {}

  T* allocate(std::size_t n) {
    static_assert(sizeof(T) <= sizeof pooled_envelope::control_ &&
                  alignof(T) <= alignof(std::max_align_t));
    if (n != 1) throw std::bad_alloc();
    return reinterpret_cast<T*>(home->control_);
  }
  void deallocate(T*, std::size_t) noexcept { envelope_pool::give(home); }

  template <class U>
  bool operator==(const in_envelope<U>& o) const noexcept {
    return home == o.home;
  }
};

}  // namespace

std::shared_ptr<envelope> envelope::make() {
  pooled_envelope* e = envelope_pool::take();
  return std::shared_ptr<envelope>(e, empty_envelope{},
                                   in_envelope<pooled_envelope>(e));
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

// Empties a string field, keeping its storage; a field never set (the
// shared default) is left alone.
template <class M>
void trim(M& m, const std::string& (M::*get)() const, std::string* (M::*mut)(),
          std::size_t keep) noexcept {
  if (!(m.*get)().empty()) trim(*(m.*mut)(), keep);
}

void trim(v1::Message& m, std::size_t keep) noexcept {
  using M = v1::Message;
  trim(m, &M::message_id, &M::mutable_message_id, keep);
  trim(m, &M::from, &M::mutable_from, keep);
  trim(m, &M::to, &M::mutable_to, keep);
  trim(m, &M::from_connection, &M::mutable_from_connection, keep);
  trim(m, &M::id, &M::mutable_id, keep);
  // The body's case stays (leaving it would free the string).
  if (m.has_text()) trim(*m.mutable_text(), keep);
  if (m.has_data()) trim(*m.mutable_data(), keep);
  if (m.has_sent_at()) m.mutable_sent_at()->Clear();
  m.set_copy(false);
}

void trim(v1::Receipt& r, std::size_t keep) noexcept {
  using R = v1::Receipt;
  trim(r, &R::message_id, &R::mutable_message_id, keep);
  trim(r, &R::id, &R::mutable_id, keep);
  trim(r, &R::by, &R::mutable_by, keep);
  if (r.has_at()) r.mutable_at()->Clear();
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
