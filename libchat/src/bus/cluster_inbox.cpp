// The users connected to this node: their inbox consumers, presence,
// acks and receipts. See cluster.hpp.
#include "bus/cluster.hpp"
#include "bus/subject.hpp"
#include "core/clock.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <charconv>
#include <utility>

namespace chat::detail::bus {
namespace {

// Acked messages remembered per user here, so a READ receipt that follows
// the ack still finds the sender.
constexpr std::size_t recent_max = 1024;

std::uint64_t parse_seq(std::string_view id) {
  std::uint64_t seq = 0;
  const auto r = std::from_chars(id.data(), id.data() + id.size(), seq);
  return r.ec == std::errc() && r.ptr == id.data() + id.size() ? seq : 0;
}

}  // namespace

// A message delivered here and not acked yet.
struct cluster::held {
  std::uint64_t seq = 0;
  envelope_ptr env;
  std::string client_id;
};

struct cluster::user_state {
  explicit user_state(cluster& o, std::string u)
      : owner(o), user(std::move(u)) {}
  cluster& owner;
  std::string user;
  // Set and cleared on the worker thread; read under owner.mu_.
  natsSubscription* live = nullptr;   // chat.live.<user>
  natsSubscription* inbox = nullptr;  // ordered consumer of chat.inbox.<user>
  bool opening = false;               // Guarded by owner.mu_.
  bool closed = false;                // Guarded by owner.mu_.
  std::uint64_t last_seq = 0;         // Guarded by owner.mu_.
  std::deque<held> unacked;           // Guarded by owner.mu_; by seq.
  std::deque<held> recent;            // Guarded by owner.mu_; acked.
};

bool cluster::attach(const std::shared_ptr<connection>& c) {
  std::shared_ptr<user_state> fresh;
  {
    std::lock_guard lock(mu_);
    if (!reg_.add(c)) return false;
    auto& st = users_[c->user()];
    if (!st) {
      st = fresh = std::make_shared<user_state>(*this, c->user());
      st->opening = true;
    } else {
      // What this node handed the user's other connections and is not
      // acked yet; the consumer brings the rest.
      for (const auto& h : st->unacked) c->deliver(h.env);
    }
  }
  if (fresh) link_.post([this, fresh] { open(fresh); });
  return true;
}

bool cluster::detach(const connection& c) {
  std::shared_ptr<user_state> gone;
  {
    std::lock_guard lock(mu_);
    if (!reg_.remove(c)) return false;
    if (reg_.count(c.user()) > 0) return true;
    auto it = users_.find(c.user());
    if (it == users_.end()) return true;
    gone = std::move(it->second);
    users_.erase(it);
    gone->closed = true;
  }
  link_.post([this, gone] { close(gone); });
  return true;
}

// On the worker thread: subscribe to the user's presence subject and its
// inbox (from the first message still in the stream). Retried by
// ensure_stream() after a reconnect when NATS was away.
void cluster::open(const std::shared_ptr<user_state>& st) {
  {
    std::lock_guard lock(mu_);
    st->opening = false;  // from here on, only this thread subscribes
    if (st->closed || st->inbox) return;
  }
  if (!link_.connected()) return;
  natsConnection* nc = link_.connection();
  natsStatus s = NATS_OK;
  natsSubscription* live = st->live;  // only this thread writes them
  natsSubscription* inbox = nullptr;
  if (!live) {
    const std::string subject = live_subject(st->user);
    auto* ref = new std::shared_ptr<user_state>(st);
    s = natsConnection_Subscribe(&live, nc, subject.c_str(), on_live, ref);
    if (s == NATS_OK)
      s = natsSubscription_SetOnCompleteCB(live, on_done, ref);
    else
      delete ref;
  }
  if (s == NATS_OK) {
    const std::string subject = inbox_subject(st->user);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream_name.data();
    so.Ordered = true;  // in order, gaps refetched, recreated if lost
    auto* ref = new std::shared_ptr<user_state>(st);
    jsErrCode jerr = static_cast<jsErrCode>(0);
    s = js_Subscribe(&inbox, link_.jetstream(), subject.c_str(), on_inbox, ref,
                     nullptr, &so, &jerr);
    if (s == NATS_OK)
      s = natsSubscription_SetOnCompleteCB(inbox, on_done, ref);
    else
      delete ref;
  }
  if (s != NATS_OK)
    log_(true, "cannot subscribe for \"" + st->user +
                   "\": " + natsStatus_GetText(s) + "; retrying");
  bool closed = false;
  {
    std::lock_guard lock(mu_);
    st->live = live;
    st->inbox = inbox;
    st->opening = false;
    closed = st->closed;
  }
  if (closed) close(st);
}

// On the worker thread: subscriptions that could not be made (NATS was
// away, or JetStream did not answer in time).
void cluster::reopen() {
  std::vector<std::shared_ptr<user_state>> todo;
  {
    std::lock_guard lock(mu_);
    for (auto& [user, st] : users_)
      if (!st->inbox && !st->opening) todo.push_back(st);
  }
  for (auto& st : todo) open(st);
}

bool cluster::missing_subscriptions() const {
  std::lock_guard lock(mu_);
  for (auto& [user, st] : users_)
    if (!st->inbox && !st->opening) return true;
  return false;
}

// On the worker thread (or after it stopped), without mu_: removing the
// consumer is a request to JetStream, and I/O threads must not wait on it.
void cluster::close(const std::shared_ptr<user_state>& st) {
  natsSubscription* subs[2] = {};
  {
    std::lock_guard lock(mu_);
    if (st->opening) return;  // open() closes it when it is done
    subs[0] = std::exchange(st->live, nullptr);
    subs[1] = std::exchange(st->inbox, nullptr);
  }
  for (natsSubscription* sub : subs) {
    if (!sub) continue;
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
  }
}

void cluster::on_done(void* closure) {
  delete static_cast<std::shared_ptr<user_state>*>(closure);
}

// On a libnats thread: the next message or receipt of the user's inbox.
// Moved to the user's shard; one shard per user keeps the order.
void cluster::on_inbox(natsConnection*, natsSubscription*, natsMsg* m,
                       void* closure) {
  const auto st = *static_cast<std::shared_ptr<user_state>*>(closure);
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
    const auto seq = meta->Sequence.Stream;
    std::string data(natsMsg_GetData(m),
                     static_cast<std::size_t>(natsMsg_GetDataLength(m)));
    jsMsgMetaData_Destroy(meta);
    cluster& self = st->owner;
    boost::asio::post(
        self.shard_of(st->user),
        [st, seq, data = std::move(data)] { st->owner.take(st, seq, data); });
  }
  natsMsg_Destroy(m);
}

void cluster::take(const std::shared_ptr<user_state>& st, std::uint64_t seq,
                   const std::string& data) {
  v1::ServerFrame f;
  std::string client_id;
  if (!unpack(data, client_id, f)) return;
  const bool receipt = f.has_receipt();
  if (!receipt) f.mutable_message()->set_message_id(std::to_string(seq));
  auto env = std::make_shared<const envelope>(std::move(f));
  std::size_t n = 0;
  {
    std::lock_guard lock(mu_);
    if (st->closed || seq <= st->last_seq) return;
    st->last_seq = seq;
    thread_local std::vector<std::shared_ptr<connection>> live;
    n = reg_.snapshot(st->user, live);
    for (const auto& c : live) c->deliver(env);
    live.clear();
    if (!receipt)
      st->unacked.push_back({seq, std::move(env), std::move(client_id)});
  }
  if (receipt) {
    if (n > 0) delete_message(seq);
    return;
  }
  delivered_.fetch_add(1, std::memory_order_relaxed);
  deliveries_.fetch_add(n, std::memory_order_relaxed);
}

// On a libnats thread: a probe (has a reply subject) is answered while the
// user is connected here; anything else is a copy for the sender's devices.
void cluster::on_live(natsConnection* nc, natsSubscription*, natsMsg* m,
                      void* closure) {
  const auto st = *static_cast<std::shared_ptr<user_state>*>(closure);
  cluster& self = st->owner;
  if (const char* reply = natsMsg_GetReply(m)) {
    natsConnection_PublishString(nc, reply, "1");
    natsMsg_Destroy(m);
    return;
  }
  v1::ServerFrame f;
  const bool ok =
      f.ParseFromArray(natsMsg_GetData(m), natsMsg_GetDataLength(m)) &&
      f.has_message();
  natsMsg_Destroy(m);
  if (!ok) return;
  auto env = std::make_shared<const envelope>(std::move(f));
  boost::asio::post(self.shard_of(st->user), [&self, st, env] {
    std::vector<std::shared_ptr<connection>> live;
    self.reg_.snapshot(st->user, live);
    for (const auto& c : live)
      if (c->id() != env->message().from_connection()) c->deliver(env);
  });
}

void cluster::delete_message(std::uint64_t seq) {
  static const std::string subject =
      "$JS.API.STREAM.MSG.DELETE." + std::string(stream_name);
  // Not erased on disk (a plain delete): cheaper, and the body is gone
  // from the stream all the same.
  const std::string body =
      R"({"seq":)" + std::to_string(seq) + R"(,"no_erase":true})";
  link_.publish(subject, body, "chat.void");
}

// Deletes acked messages from the stream and sends their receipts into the
// senders' inboxes.
void cluster::settle(std::deque<held>& done, v1::Receipt::Status status) {
  for (const held& h : done) {
    if (status == v1::Receipt::DELIVERED) delete_message(h.seq);
    const v1::Message& m = h.env->message();
    if (m.from_connection().empty()) continue;  // a service user's send
    v1::ServerFrame f;
    v1::Receipt* r = f.mutable_receipt();
    r->set_message_id(m.message_id());
    r->set_id(h.client_id);
    r->set_status(status);
    r->set_by(m.to());
    const std::int64_t now = detail::wall_ms();
    r->mutable_at()->set_seconds(now / 1000);
    r->mutable_at()->set_nanos(static_cast<std::int32_t>(now % 1000) * 1000000);
    const std::string data = pack({}, f);
    // Two devices acking the same message make one receipt.
    const std::string id = "r" + m.message_id() + "." + std::to_string(status);
    link_.publish(inbox_subject(m.from()), data, nullptr, id);
  }
}

void cluster::ack(const connection& c, std::string_view message_id,
                  bool cumulative) {
  const std::uint64_t seq = parse_seq(message_id);
  if (seq == 0) return;
  std::deque<held> done;
  {
    std::lock_guard lock(mu_);
    auto it = users_.find(c.user());
    if (it == users_.end()) return;
    user_state& st = *it->second;
    auto& q = st.unacked;
    auto target = std::find_if(q.begin(), q.end(),
                               [&](const held& h) { return h.seq == seq; });
    if (target == q.end()) return;
    const auto end = std::next(target);
    const auto begin = cumulative ? q.begin() : target;
    std::move(begin, end, std::back_inserter(done));
    q.erase(begin, end);
    for (const held& h : done) st.recent.push_back(h);
    while (st.recent.size() > recent_max) st.recent.pop_front();
  }
  settle(done, v1::Receipt::DELIVERED);
}

void cluster::read(const connection& c, std::string_view message_id) {
  const std::uint64_t seq = parse_seq(message_id);
  if (seq == 0) return;
  std::deque<held> done;
  bool unacked = false;
  {
    std::lock_guard lock(mu_);
    auto it = users_.find(c.user());
    if (it == users_.end()) return;
    user_state& st = *it->second;
    const auto match = [&](const held& h) { return h.seq == seq; };
    if (auto u = std::find_if(st.unacked.begin(), st.unacked.end(), match);
        u != st.unacked.end()) {
      done.push_back(*u);
      st.unacked.erase(u);
      unacked = true;
    } else if (auto r = std::find_if(st.recent.begin(), st.recent.end(), match);
               r != st.recent.end()) {
      done.push_back(*r);
      st.recent.erase(r);
    }
  }
  if (unacked) delete_message(seq);
  settle(done, v1::Receipt::READ);
}

}  // namespace chat::detail::bus
