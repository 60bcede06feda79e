// The mailbox: inboxes, acks, receipts and dedup. See mailbox.hpp.
#include "store/mailbox.hpp"

#include <chat/router.hpp>

#include "core/answers.hpp"
#include "core/clock.hpp"
#include "core/flat_index.hpp"
#include "core/pool.hpp"
#include "core/reused.hpp"
#include "core/ring.hpp"
#include "core/string_map.hpp"

#include <algorithm>

namespace chat::detail {
namespace {

// Acked messages are remembered (without their body) for the dedup window,
// so that a READ receipt can still find its sender; at most this many per
// stripe, the oldest forgotten first.
constexpr std::size_t max_retained_per_stripe = 1 << 14;
// Dedup records per stripe, whatever the per-sender bound.
constexpr std::size_t max_dedup_per_stripe = 1 << 16;
// Dedup records per stripe, forgotten ones included (they are freed in
// order, and may wait behind a live one): at most 8.4 million records of
// 100 to 200 bytes in all, however the senders behave.
constexpr std::size_t max_dedup_kept_per_stripe = 2 * max_dedup_per_stripe;
constexpr std::size_t stripe_count = 64;

// A sender's dedup key for a lookup: built in a buffer reused by the
// thread, valid until the thread's next call.
std::string_view dedup_probe(std::string_view sender,
                             std::string_view client_id) {
  thread_local std::string k;
  k.clear();
  k.append(sender).push_back('\n');
  k.append(client_id);
  return k;
}

}  // namespace

struct mailbox::entry : std::enable_shared_from_this<entry> {
  std::uint64_t seq = 0;
  std::string message_id;
  std::string recipient;
  std::string sender;
  std::string client_id;
  std::int64_t created_ms = 0;
  envelope_ptr env;  // null once acked
  std::size_t bytes = 0;
  // Sent by server::send, not from a connection. (The sending connection
  // is the message's `from_connection`, read from `env` while pending.)
  bool service = false;
  bool pending = true;  // not durable yet: handed to no one
  bool in_inbox = true;
  delivery_state state = delivery_state::unacked;
  reply_to to;  // the sender, while pending
};

// An entry's storage, kept by detail::pool between entries, with room for
// its shared_ptr's control block: storing a message allocates nothing of
// its own.
struct mailbox::entry_home {
  alignas(entry) unsigned char object[sizeof(entry)];
  alignas(std::max_align_t) unsigned char control_[64];
  entry_home* next_ = nullptr;
  entry_home* next_batch_ = nullptr;
};

std::shared_ptr<mailbox::entry> mailbox::make_entry() {
  entry_home* h = pool<entry_home>::take();
  entry* e = ::new (static_cast<void*>(h->object)) entry;
  return share_pooled<entry>(e, h, [](entry* p) noexcept { p->~entry(); });
}

struct mailbox::message_id_of {
  std::string_view operator()(const entry& e) const noexcept {
    return e.message_id;
  }
};

struct mailbox::dedup_record {
  std::string key;  // dedup_key(sender, client id)
  std::string message_id;
  std::int64_t created_ms = 0;
  int status = 0;       // 0 while the original is pending
  bool indexed = true;  // false once forgotten (it waits to be trimmed)
  std::vector<reply_to> waiters;
};

struct mailbox::dedup_key_of {
  std::string_view operator()(const dedup_record& r) const noexcept {
    return r.key;
  }
};

struct mailbox::box {
  ring<std::shared_ptr<entry>> inbox;  // unacked, by seq
  std::size_t bytes = 0;
  ring<std::pair<std::uint64_t, envelope_ptr>> receipts;
  // This sender's dedup records (in its stripe's dedup_order), oldest first.
  ring<dedup_record*> sent_ids;
  bool empty() const noexcept {
    return inbox.empty() && receipts.empty() && sent_ids.empty();
  }
};

struct mailbox::stripe {
  mutable std::mutex mu;
  string_map<box> boxes;
  // Messages to users here, by id: those in an inbox and those retained.
  flat_index<entry, message_id_of> by_id;
  ring<std::shared_ptr<entry>> retained;  // acked, oldest first
  // Senders here: their dedup records, owned by dedup_order, oldest first,
  // and indexed by key while not forgotten.
  ring<std::unique_ptr<dedup_record>> dedup_order;
  flat_index<dedup_record, dedup_key_of> dedup;
  // Records trimmed from dedup_order, reused (with their strings' storage)
  // by the next ones: one comes and one goes per send in steady state.
  // Reserved up front, so that keeping one never allocates.
  static constexpr std::size_t max_spare_records = 64;
  std::vector<std::unique_ptr<dedup_record>> spare_records;

  stripe() { spare_records.reserve(max_spare_records); }

  // A new dedup record for `key`, made at `made`, indexed; null (nothing
  // done) when the key is indexed already.
  dedup_record* add_dedup(std::string_view key, std::int64_t made) {
    std::unique_ptr<dedup_record> p;
    if (spare_records.empty()) {
      p = std::make_unique<dedup_record>();
    } else {
      p = std::move(spare_records.back());
      spare_records.pop_back();
    }
    dedup_record& r = *p;
    r.key.assign(key);
    r.message_id.clear();
    r.created_ms = made;
    r.status = 0;
    r.indexed = true;
    r.waiters.clear();
    dedup_order.push_back(std::move(p));
    bool added = false;
    try {
      added = dedup.insert(&r);
    } catch (...) {
      drop_back_record();
      throw;
    }
    if (!added) {
      drop_back_record();
      return nullptr;
    }
    box_of(sender_of(r.key)).sent_ids.push_back(&r);
    return &r;
  }

  // Keeps a record taken off dedup_order for reuse, or frees it.
  void spare(std::unique_ptr<dedup_record> p) noexcept {
    if (spare_records.size() < max_spare_records)
      spare_records.push_back(std::move(p));
  }
  void drop_back_record() noexcept {
    spare(std::move(dedup_order.back()));
    dedup_order.pop_back();
  }

  // `user`'s message `id`, or null. Acks and reads come mostly in order:
  // the message is among the first of the user's inbox (`b`, may be null),
  // whose entries are still in cache from their delivery. The index, a
  // probe into a table as large as everything stored, comes second.
  entry* find_message(box* b, std::string_view user, std::string_view id) {
    if (b != nullptr) {
      const std::size_t n = std::min<std::size_t>(b->inbox.size(), 4);
      for (std::size_t i = 0; i < n; ++i)
        if (b->inbox[i]->message_id == id) return b->inbox[i].get();
    }
    entry* e = by_id.find(id);
    return e != nullptr && e->recipient == user ? e : nullptr;
  }

  box& box_of(std::string_view user) {
    auto b = boxes.find(user);
    if (b == boxes.end()) b = boxes.try_emplace(std::string(user)).first;
    return b->second;
  }

  // Forgets `r`: resends no longer find it; trim_dedup frees it later.
  void forget(dedup_record& r) {
    if (!r.indexed) return;
    dedup.erase(r.key);
    r.indexed = false;
  }

  static std::string_view sender_of(std::string_view key) noexcept {
    return key.substr(0, key.find('\n'));
  }

  // Frees dedup records past the window or the bound, oldest first; stops
  // at one still pending.
  void trim_dedup(std::int64_t now, const mailbox_limits& l) {
    const std::int64_t window = l.dedup_window.count();
    while (!dedup_order.empty()) {
      dedup_record& r = *dedup_order.front();
      // Live records count against the bound; forgotten ones wait for
      // their turn, unless they pile up behind a live one.
      const bool over = dedup.size() > max_dedup_per_stripe ||
                        dedup_order.size() > max_dedup_kept_per_stripe;
      if (!over && r.indexed && now - r.created_ms < window) break;
      if (r.indexed && r.status == 0) break;  // its send is not done
      forget(r);
      // The sender's own list is in the same order, so the record is at
      // its front unless the per-sender bound dropped it already.
      auto b = boxes.find(sender_of(r.key));
      if (b != boxes.end() && !b->second.sent_ids.empty() &&
          b->second.sent_ids.front() == &r) {
        b->second.sent_ids.pop_front();
        if (b->second.empty()) boxes.erase(b);
      }
      spare(std::move(dedup_order.front()));
      dedup_order.pop_front();
    }
  }
};

mailbox::mailbox(registry& reg, mailbox_limits limits, journal* j, clock_ms now)
    : reg_(reg),
      limits_(limits),
      journal_(j),
      now_(now ? std::move(now) : clock_ms(detail::received_at::ms)),
      stripes_(new stripe[stripe_count]),
      mask_(stripe_count - 1) {}

mailbox::~mailbox() = default;

mailbox::stripe& mailbox::stripe_of(std::string_view user) const {
  return stripes_[string_hash{}(user)&mask_];
}

void mailbox::reply(const reply_to& to, registry& reg,
                    const v1::ServerFrame& f) {
  if (to.fn) return to.fn(f);
  if (to.connection_id.empty()) return;
  if (auto c = reg.find(to.connection_id)) c->notify(f);
}

void mailbox::load() {
  if (!journal_) return;
  std::uint64_t max_seq = 0;
  const std::int64_t now = now_();
  journal_->load(
      [&](stored_message m) {
        max_seq = std::max(max_seq, m.seq);
        auto e = make_entry();
        e->seq = m.seq;
        e->message_id = std::move(m.message_id);
        e->recipient = std::move(m.recipient);
        e->sender = std::move(m.sender);
        e->client_id = std::move(m.client_id);
        e->created_ms = m.created_ms;
        e->state = m.state;
        e->pending = false;
        e->in_inbox = m.state == delivery_state::unacked;
        if (e->in_inbox) {
          v1::ServerFrame f;
          if (!f.mutable_message()->ParseFromString(m.frame)) return;
          e->bytes = m.frame.size();
          e->service = f.message().from_connection().empty();
          e->env = std::make_shared<const envelope>(std::move(f));
        }
        if (!e->client_id.empty()) {
          stripe& ss = stripe_of(e->sender);
          const std::string_view key = dedup_probe(e->sender, e->client_id);
          // A later record of the same key (a retry of a refused send)
          // replaces the earlier one.
          if (dedup_record* old = ss.dedup.find(key)) ss.forget(*old);
          dedup_record& d = *ss.add_dedup(key, e->created_ms);
          d.message_id = e->message_id;
          d.status = m.status != 0 ? m.status : v1::Sent::QUEUED;
          ss.trim_dedup(now, limits_);
        }
        stripe& s = stripe_of(e->recipient);
        if (e->in_inbox) {
          box& b = s.boxes[e->recipient];
          b.inbox.push_back(e);
          b.bytes += e->bytes;
          stats_.stored.fetch_add(1, std::memory_order_relaxed);
        } else {
          s.retained.push_back(e);
        }
        s.by_id.insert(e.get());  // a repeated id keeps the first
      },
      [&](stored_receipt r) {
        max_seq = std::max(max_seq, r.seq);
        v1::ServerFrame f;
        if (!f.ParseFromString(r.frame)) return;
        stripe_of(r.user).boxes[r.user].receipts.emplace_back(
            r.seq, std::make_shared<const envelope>(std::move(f)));
      });
  seq_.store(max_seq + 1, std::memory_order_relaxed);
}

std::optional<v1::ServerFrame> mailbox::resend(std::string_view sender,
                                               const std::string& client_id,
                                               reply_to& to, bool& deferred) {
  deferred = false;
  if (client_id.empty()) return std::nullopt;
  stripe& s = stripe_of(sender);
  std::lock_guard lock(s.mu);
  s.trim_dedup(now_(), limits_);
  dedup_record* r = s.dedup.find(dedup_probe(sender, client_id));
  if (r == nullptr) return std::nullopt;
  stats_.duplicates.fetch_add(1, std::memory_order_relaxed);
  if (r->status == 0) {
    r->waiters.push_back(std::move(to));
    deferred = true;
    return std::nullopt;
  }
  return make_sent(client_id, r->message_id, r->status);
}

std::optional<v1::ServerFrame> mailbox::submit(envelope_ptr env,
                                               std::string client_id,
                                               reply_to to) {
  const v1::Message& m = env->message();
  auto e = make_entry();
  e->seq = seq_.fetch_add(1, std::memory_order_relaxed);
  e->message_id = m.message_id();
  e->recipient = m.to();
  e->sender = m.from();
  e->client_id = std::move(client_id);
  e->service = m.from_connection().empty();
  e->created_ms = now_();
  e->bytes = static_cast<std::size_t>(m.ByteSizeLong());
  e->env = std::move(env);
  e->to = std::move(to);

  if (!e->client_id.empty()) {
    stripe& ss = stripe_of(e->sender);
    std::lock_guard lock(ss.mu);
    dedup_record* r =
        ss.add_dedup(dedup_probe(e->sender, e->client_id), e->created_ms);
    if (r == nullptr) {
      // The same send raced itself in: answer it as a resend.
      stats_.duplicates.fetch_add(1, std::memory_order_relaxed);
      dedup_record& first =
          *ss.dedup.find(dedup_probe(e->sender, e->client_id));
      if (first.status == 0) {
        first.waiters.push_back(std::move(e->to));
        return std::nullopt;
      }
      return make_sent(e->client_id, first.message_id, first.status);
    }
    r->message_id = e->message_id;
    auto& ids = ss.box_of(e->sender).sent_ids;
    if (ids.size() > limits_.dedup_max_ids) {
      // Beyond the sender's last N ids; a pending one stays findable.
      dedup_record* old = ids.front();
      if (old->status != 0) ss.forget(*old);
      ids.pop_front();
    }
  }

  std::size_t waiting = 0;
  bool full = false;
  {
    stripe& rs = stripe_of(e->recipient);
    std::lock_guard lock(rs.mu);
    box& b = rs.boxes[e->recipient];
    waiting = b.inbox.size();
    full = waiting >= limits_.inbox_max_messages ||
           b.bytes + e->bytes > limits_.inbox_max_bytes;
    if (full) {
      if (b.empty()) rs.boxes.erase(e->recipient);
    } else {
      b.inbox.push_back(e);
      b.bytes += e->bytes;
      rs.by_id.insert(e.get());  // ids are unique: made by this node
      stats_.stored.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (full) {
    v1::ServerFrame refused =
        make_error(errc::inbox_full,
                   "\"" + e->recipient + "\" has " + std::to_string(waiting) +
                       " undelivered messages; retry later",
                   e->client_id);
    // Resends that came in meanwhile get the same answer; the send itself
    // is forgotten, so that a retry is a new send.
    finish_dedup(*e, refused, {});
    return refused;
  }

  if (!journal_) {
    // Memory only: complete now and answer directly.
    e->to = {};
    return complete(e, true);
  }
  stored_message sm;
  sm.seq = e->seq;
  sm.message_id = e->message_id;
  sm.recipient = e->recipient;
  sm.sender = e->sender;
  sm.client_id = e->client_id;
  sm.created_ms = e->created_ms;
  e->env->message().SerializeToString(&sm.frame);
  journal_->put(std::move(sm),
                [this, e](bool durable) { complete(e, durable); });
  return std::nullopt;
}

v1::ServerFrame mailbox::complete(const std::shared_ptr<entry>& e,
                                  bool durable) {
  int status = v1::Sent::QUEUED;
  envelope_ptr env;  // for the copies to the sender's other connections
  {
    stripe& rs = stripe_of(e->recipient);
    std::lock_guard lock(rs.mu);
    auto b = rs.boxes.find(e->recipient);
    if (!durable) {
      if (b != rs.boxes.end()) {
        auto& q = b->second.inbox;
        q.erase_value(e);
        b->second.bytes -= e->bytes;
        if (b->second.empty()) rs.boxes.erase(b);
      }
      rs.by_id.erase(e->message_id);
      stats_.stored.fetch_sub(1, std::memory_order_relaxed);
    } else {
      e->pending = false;
      thread_local std::vector<std::shared_ptr<connection>> spare;
      reused<std::shared_ptr<connection>> live(spare);
      reg_.snapshot(e->recipient, live.v);
      // An ack cannot come before this delivery, so the entry is still
      // unacked; an expiry sweep skips pending entries.
      for (const auto& c : live.v) c->deliver(e->env);
      if (!live.v.empty()) {
        status = v1::Sent::DELIVERED;
        stats_.delivered.fetch_add(1, std::memory_order_relaxed);
        stats_.deliveries.fetch_add(live.v.size(), std::memory_order_relaxed);
      }
      // Taken under the lock: once it is released, an ack may drop it.
      if (!e->service) env = e->env;
    }
  }
  const reply_to to = std::move(e->to);
  if (!durable) {
    stats_.store_failures.fetch_add(1, std::memory_order_relaxed);
    v1::ServerFrame answer =
        make_error(errc::unavailable, "the message could not be stored; retry",
                   e->client_id);
    finish_dedup(*e, answer, to);
    return answer;
  }
  if (status == v1::Sent::QUEUED)
    stats_.queued.fetch_add(1, std::memory_order_relaxed);
  if (journal_ && status != v1::Sent::QUEUED)
    journal_->answered(e->message_id, status);

  // The sender's other devices get a copy, marked as such.
  if (env) {
    thread_local std::vector<std::shared_ptr<connection>> spare;
    reused<std::shared_ptr<connection>> mine(spare);
    reg_.snapshot(e->sender, mine.v);
    envelope_ptr copy;
    for (const auto& c : mine.v) {
      if (c->id() == env->message().from_connection()) continue;
      if (!copy) {
        v1::ServerFrame f = env->frame();
        f.mutable_message()->set_copy(true);
        f.mutable_message()->set_id(e->client_id);
        copy = std::make_shared<const envelope>(std::move(f));
      }
      c->deliver(copy);
    }
  }
  v1::ServerFrame answer = make_sent(e->client_id, e->message_id, status);
  finish_dedup(*e, answer, to);
  return answer;
}

// Records the outcome of a send for its resends and answers everyone who
// waits for it. An empty `answer` (the send was refused) forgets the send,
// so that a retry is a new send.
void mailbox::finish_dedup(const entry& e, const v1::ServerFrame& answer,
                           const reply_to& to) {
  std::vector<reply_to> waiters;
  if (!e.client_id.empty()) {
    stripe& ss = stripe_of(e.sender);
    std::lock_guard lock(ss.mu);
    dedup_record* r = ss.dedup.find(dedup_probe(e.sender, e.client_id));
    if (r != nullptr && r->message_id == e.message_id) {
      waiters = std::move(r->waiters);
      if (answer.has_sent()) {
        r->status = answer.sent().status();
      } else {
        ss.forget(*r);  // trim_dedup frees it in its turn
      }
    }
  }
  if (answer.frame_case() == v1::ServerFrame::FRAME_NOT_SET) return;
  reply(to, reg_, answer);
  for (const auto& w : waiters) reply(w, reg_, answer);
}

bool mailbox::attach(const std::shared_ptr<connection>& c) {
  stripe& s = stripe_of(c->user());
  std::vector<std::uint64_t> delivered_receipts;
  {
    std::lock_guard lock(s.mu);
    if (!reg_.add(c)) return false;
    auto it = s.boxes.find(c->user());
    if (it == s.boxes.end()) return true;
    box& b = it->second;
    expire(s, b, now_());
    for (const auto& e : b.inbox) {
      if (e->pending) continue;  // complete() hands it out
      c->deliver(e->env);
      stats_.redelivered.fetch_add(1, std::memory_order_relaxed);
    }
    for (auto& [seq, env] : b.receipts) {
      c->deliver(env);
      delivered_receipts.push_back(seq);
    }
    b.receipts.clear();
    if (b.empty()) s.boxes.erase(it);
  }
  if (journal_)
    for (const auto seq : delivered_receipts) journal_->erase_receipt(seq);
  return true;
}

// Drops the messages at the front of b's inbox that outlived their TTL.
void mailbox::expire(stripe& s, box& b, std::int64_t now) {
  const std::int64_t ttl = limits_.message_ttl.count();
  while (!b.inbox.empty() && !b.inbox.front()->pending &&
         now - b.inbox.front()->created_ms >= ttl) {
    const entry& old = *b.inbox.front();
    b.bytes -= old.bytes;
    if (journal_) journal_->erase(old.message_id);
    s.by_id.erase(old.message_id);
    b.inbox.pop_front();
    stats_.expired.fetch_add(1, std::memory_order_relaxed);
    stats_.stored.fetch_sub(1, std::memory_order_relaxed);
  }
}

void mailbox::acknowledge(stripe& s, box* b, const std::shared_ptr<entry>& held,
                          v1::Receipt::Status status,
                          std::vector<receipt_job>& out) {
  entry& e = *held;
  if (e.in_inbox) {
    e.in_inbox = false;
    if (b != nullptr) b->bytes -= e.bytes;
    e.env.reset();
    stats_.acked.fetch_add(1, std::memory_order_relaxed);
    stats_.stored.fetch_sub(1, std::memory_order_relaxed);
    s.retained.push_back(held);
    while (s.retained.size() > max_retained_per_stripe) {
      s.by_id.erase(s.retained.front()->message_id);
      if (journal_) journal_->erase(s.retained.front()->message_id);
      s.retained.pop_front();
    }
  }
  e.state = status == v1::Receipt::READ ? delivery_state::read
                                        : delivery_state::acked;
  if (journal_) journal_->progress(e.message_id, e.state);
  // A service user (the embedding program's server::send) has no
  // connection to tell; its receipts would only pile up.
  if (e.service) return;
  receipt_job job;
  job.sender = e.sender;
  job.env = envelope::make();
  v1::Receipt* r = &job.env->reuse_receipt();  // every field is set
  r->set_message_id(e.message_id);
  r->set_id(e.client_id);
  r->set_status(status);
  r->set_by(e.recipient);
  const std::int64_t now = now_();
  r->mutable_at()->set_seconds(now / 1000);
  r->mutable_at()->set_nanos(static_cast<std::int32_t>(now % 1000) * 1000000);
  out.push_back(std::move(job));
}

void mailbox::ack(const connection& c, std::string_view message_id,
                  bool cumulative) {
  thread_local std::vector<receipt_job> spare;
  reused<receipt_job> receipts(spare);
  {
    stripe& s = stripe_of(c.user());
    std::lock_guard lock(s.mu);
    auto b = s.boxes.find(c.user());
    if (b == s.boxes.end()) return;
    entry* found = s.find_message(&b->second, c.user(), message_id);
    if (found == nullptr || !found->in_inbox || found->pending) return;
    const std::shared_ptr<entry> target = found->shared_from_this();
    auto& q = b->second.inbox;
    if (cumulative) {
      while (!q.empty() && q.front()->seq <= target->seq &&
             !q.front()->pending) {
        const std::shared_ptr<entry> e = q.front();
        q.pop_front();
        acknowledge(s, &b->second, e, v1::Receipt::DELIVERED, receipts.v);
      }
    } else {
      q.erase_value(target);
      acknowledge(s, &b->second, target, v1::Receipt::DELIVERED, receipts.v);
    }
    // An emptied box stays until sweep(): a user who receives and acks
    // message after message would otherwise free and rebuild it each time.
  }
  for (auto& r : receipts.v) deliver_receipt(std::move(r));
}

void mailbox::read(const connection& c, std::string_view message_id) {
  thread_local std::vector<receipt_job> spare;
  reused<receipt_job> receipts(spare);
  {
    stripe& s = stripe_of(c.user());
    std::lock_guard lock(s.mu);
    auto b = s.boxes.find(c.user());
    box* bp = b != s.boxes.end() ? &b->second : nullptr;
    entry* found = s.find_message(bp, c.user(), message_id);
    if (found == nullptr) return;
    const std::shared_ptr<entry> e = found->shared_from_this();
    if (e->pending || e->state == delivery_state::read) return;
    if (e->in_inbox && bp != nullptr) {
      auto& q = bp->inbox;
      q.erase_value(e);
    }
    acknowledge(s, bp, e, v1::Receipt::READ, receipts.v);
  }
  for (auto& r : receipts.v) deliver_receipt(std::move(r));
}

void mailbox::deliver_receipt(receipt_job job) {
  envelope_ptr env = std::move(job.env);
  stripe& s = stripe_of(job.sender);
  std::lock_guard lock(s.mu);
  thread_local std::vector<std::shared_ptr<connection>> spare;
  reused<std::shared_ptr<connection>> live(spare);
  reg_.snapshot(job.sender, live.v);
  for (const auto& c : live.v) c->deliver(env);
  if (!live.v.empty()) return;
  // Kept for the sender's next connection, within the inbox bound.
  box& b = s.boxes[job.sender];
  const std::uint64_t seq = seq_.fetch_add(1, std::memory_order_relaxed);
  if (journal_) {
    stored_receipt r;
    r.seq = seq;
    r.user = job.sender;
    env->frame().SerializeToString(&r.frame);
    journal_->put_receipt(std::move(r));
  }
  b.receipts.emplace_back(seq, std::move(env));
  if (b.receipts.size() > limits_.inbox_max_messages) {
    if (journal_) journal_->erase_receipt(b.receipts.front().first);
    b.receipts.pop_front();
  }
}

void mailbox::sweep() {
  const std::int64_t now = now_();
  const std::int64_t window = limits_.dedup_window.count();
  for (std::size_t i = 0; i <= mask_; ++i) {
    stripe& s = stripes_[i];
    std::lock_guard lock(s.mu);
    s.trim_dedup(now, limits_);
    while (!s.retained.empty() &&
           now - s.retained.front()->created_ms >= window) {
      s.by_id.erase(s.retained.front()->message_id);
      if (journal_) journal_->erase(s.retained.front()->message_id);
      s.retained.pop_front();
    }
    s.retained.shrink();
    s.dedup_order.shrink();
    for (auto it = s.boxes.begin(); it != s.boxes.end();) {
      box& b = it->second;
      expire(s, b, now);
      if (b.empty()) {
        it = s.boxes.erase(it);
        continue;
      }
      b.inbox.shrink();
      b.receipts.shrink();
      b.sent_ids.shrink();
      ++it;
    }
  }
}

std::size_t mailbox::inbox_size(std::string_view user) const {
  stripe& s = stripe_of(user);
  std::lock_guard lock(s.mu);
  auto it = s.boxes.find(user);
  return it == s.boxes.end() ? 0 : it->second.inbox.size();
}

}  // namespace chat::detail
