// The router: one send in, deliveries to the addressed user's connections
// and exactly one answer out.
#include <chat/router.hpp>

#include "core/answers.hpp"
#include "core/clock.hpp"
#include "core/reused.hpp"
#include "store/delivery.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <vector>

namespace chat {
namespace {

using connection_list = std::vector<std::shared_ptr<connection>>;

// Reused by every route on a thread so that steady-state routing does not
// allocate for the target list.
thread_local connection_list tls_targets;

// URL-safe digits in ascending ASCII order, so that ids of one length sort
// like the numbers they carry.
constexpr char id_digits[] =
    "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

// Appends `v` in base 64 with `width` digits at least.
void append_base64(std::string& out, std::uint64_t v, int width = 1) {
  char buf[11];
  char* p = buf + sizeof buf;
  do {
    *--p = id_digits[v & 63];
    v >>= 6;
  } while (v != 0 || buf + sizeof buf - p < width);
  out.append(p, static_cast<std::size_t>(buf + sizeof buf - p));
}

// Sets a string field, keeping its storage. Protobuf's set_x(data, size)
// builds a temporary std::string first, which allocates past 15 bytes;
// clear() then append() copies where assign() would take the general
// path that first checks whether `v` lies inside the string.
void assign(std::string* field, std::string_view v) {
  field->clear();
  field->append(v.data(), v.size());
}

void stamp_now(google::protobuf::Timestamp& ts, std::int64_t ms) {
  ts.set_seconds(ms / 1000);
  ts.set_nanos(static_cast<std::int32_t>(ms % 1000) * 1'000'000);
}

// The characters of a user name: [A-Za-z0-9._@-].
constexpr auto name_chars = [] {
  std::array<bool, 256> ok{};
  for (int c = 'a'; c <= 'z'; ++c) ok[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) ok[static_cast<std::size_t>(c)] = true;
  for (int c = '0'; c <= '9'; ++c) ok[static_cast<std::size_t>(c)] = true;
  for (const char c : {'.', '_', '-', '@'})
    ok[static_cast<unsigned char>(c)] = true;
  return ok;
}();

}  // namespace

bool valid_user_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    if (!name_chars[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

v1::ServerFrame make_error(errc code, std::string message, std::string id) {
  v1::ServerFrame f;
  v1::Error* e = f.mutable_error();
  e->set_id(std::move(id));
  e->set_code(static_cast<v1::Error::Code>(code));
  e->set_message(std::move(message));
  return f;
}

router::router(registry& reg, const hooks* h, detail::delivery* box,
               std::string_view node)
    : reg_(reg), hooks_(h), box_(box) {
  if (!node.empty()) id_prefix_.append(node).push_back('-');
  // Distinct for every router of the process, even two made within one
  // millisecond (a server restarted on the same store by a test).
  static std::atomic<std::int64_t> last{0};
  std::int64_t stamp = detail::wall_ms();
  std::int64_t seen = last.load();
  do {
    stamp = std::max(stamp, seen + 1);
  } while (!last.compare_exchange_weak(seen, stamp));
  append_base64(id_prefix_, static_cast<std::uint64_t>(stamp), 7);
}

std::uint64_t router::delivered() const noexcept {
  return delivered_.load(std::memory_order_relaxed) +
         (box_ ? box_->delivered() : 0);
}

std::uint64_t router::deliveries() const noexcept {
  return delivered_.load(std::memory_order_relaxed) +
         extra_deliveries_.load(std::memory_order_relaxed) +
         (box_ ? box_->deliveries() : 0);
}

bool router::attach(const std::shared_ptr<connection>& c) {
  return box_ ? box_->attach(c) : reg_.add(c);
}

bool router::detach(const connection& c) {
  return box_ ? box_->detach(c) : reg_.remove(c);
}

void router::ack(const connection& c, std::string_view message_id) {
  if (box_) box_->ack(c, message_id, false);
}

bool router::online(std::string_view user) const {
  return box_ ? box_->online(user) : reg_.count(user) > 0;
}

std::string router::problem() const { return box_ ? box_->problem() : ""; }

namespace {

// Runs the embedder's policy hook; a throwing hook refuses the message.
bool allowed(const hooks* h, const v1::Message& m) {
  if (h == nullptr || !h->on_message) return true;
  try {
    return h->on_message(m);
  } catch (const std::exception& e) {
    if (h->log)
      h->log(log_level::error,
             std::string("on_message hook threw: ") + e.what());
  } catch (...) {
    if (h->log) h->log(log_level::error, "on_message hook threw");
  }
  return false;
}

}  // namespace

void router::next_message_id(std::string& id) {
  // The router's start time, then a counter: at most 15 characters for the
  // first 2^48 messages, so the id is held inline by std::string (no
  // allocation wherever it is copied). The start time keeps a restarted
  // node's ids apart from those it stored before.
  id = id_prefix_;  // keeps id's storage
  append_base64(id, seq_.fetch_add(1, std::memory_order_relaxed));
}

v1::ServerFrame router::route(const sender& from, v1::Send& send,
                              const detail::reply_to* later) {
  if (closed_.load(std::memory_order_relaxed)) {
    return make_error(errc::unavailable, "server is shutting down", send.id());
  }
  if (send.body_case() == v1::Send::BODY_NOT_SET) {
    return make_error(errc::invalid_frame, "send needs \"text\" or \"data\"",
                      send.id());
  }
  detail::reused<std::shared_ptr<connection>> lease(tls_targets);
  connection_list& targets = lease.v;
  switch (send.target_case()) {
    case v1::Send::kTo:
      if (!valid_user_name(send.to())) {
        return make_error(errc::invalid_recipient,
                          "\"to\" is not a valid user name", send.id());
      }
      if (send.to() == from.user) {
        return make_error(errc::invalid_recipient, "cannot send to yourself",
                          send.id());
      }
      if (box_) return store_and_forward(from, send, later);
      reg_.snapshot(send.to(), targets);
      break;
    case v1::Send::kToConnection:
      if (send.to_connection() == from.connection_id) {
        return make_error(errc::invalid_recipient,
                          "cannot send to your own connection", send.id());
      }
      if (auto c = reg_.find(send.to_connection())) {
        targets.push_back(std::move(c));
      } else if (box_ && box_->remote(send.to_connection())) {
        return forward(from, send, later);
      }
      break;
    default:
      return make_error(errc::invalid_frame,
                        "send needs \"to\" or \"toConnection\"", send.id());
  }
  if (targets.empty()) {
    return make_error(errc::recipient_offline,
                      send.target_case() == v1::Send::kTo
                          ? "\"" + send.to() + "\" has no live connection"
                          : "no connection \"" + send.to_connection() + "\"",
                      send.id());
  }

  envelope_ptr env = build(from, send, targets.front()->user());
  if (!env) {
    return make_error(errc::rejected, "message refused by the server's policy",
                      send.id());
  }
  // Answered first: once delivered, the envelope may be gone (to a
  // connection that has closed).
  auto sent = detail::take_sent(send.id(), env->message().message_id(),
                                v1::Sent::DELIVERED);
  // The last recipient takes the router's reference.
  const std::size_t n = targets.size();
  for (std::size_t i = 0; i + 1 < n; ++i) targets[i]->deliver(env);
  targets[n - 1]->deliver(std::move(env));
  delivered_.fetch_add(1, std::memory_order_relaxed);
  if (n > 1) extra_deliveries_.fetch_add(n - 1, std::memory_order_relaxed);
  return detail::framed(std::move(sent));
}

void router::make_message(const sender& from, v1::Send& send,
                          std::string_view to, envelope& env) {
  // Every field is set (assigned, so each string keeps the storage the
  // recycled envelope brought).
  v1::Message& m = env.reuse_message();
  next_message_id(*m.mutable_message_id());
  assign(m.mutable_from(), from.user);
  assign(m.mutable_to(), to);
  // The send's body storage comes back with an earlier message's, so the
  // connection decodes its next send without allocating.
  if (send.body_case() == v1::Send::kText) {
    env.set_body(*send.mutable_text(), false);
  } else {
    env.set_body(*send.mutable_data(), true);
  }
  stamp_now(*m.mutable_sent_at(), detail::received_at::ms());
  assign(m.mutable_from_connection(), from.connection_id);
}

envelope_ptr router::build(const sender& from, v1::Send& send,
                           std::string_view to) {
  auto env = envelope::make();
  make_message(from, send, to, *env);
  if (!allowed(hooks_, env->message())) return nullptr;
  return env;
}

v1::ServerFrame router::store_and_forward(const sender& from, v1::Send& send,
                                          const detail::reply_to* later) {
  detail::reply_to to =
      later ? *later : detail::reply_to{std::string(from.connection_id), {}};
  bool deferred = false;
  if (auto prior = box_->resend(from.user, send.id(), to, deferred))
    return std::move(*prior);
  if (deferred) return {};
  envelope_ptr env = build(from, send, send.to());
  if (!env) {
    return make_error(errc::rejected, "message refused by the server's policy",
                      send.id());
  }
  auto answer = box_->submit(std::move(env), send.id(), std::move(to));
  return answer ? std::move(*answer) : v1::ServerFrame{};
}

v1::ServerFrame router::forward(const sender& from, v1::Send& send,
                                const detail::reply_to* later) {
  detail::reply_to to =
      later ? *later : detail::reply_to{std::string(from.connection_id), {}};
  envelope_ptr env = build(from, send, {});
  if (!env) {
    return make_error(errc::rejected, "message refused by the server's policy",
                      send.id());
  }
  box_->forward(std::move(env), send.to_connection(), send.id(), std::move(to));
  return {};
}

v1::ServerFrame router::handle(const connection& from, v1::ClientFrame& frame) {
  switch (frame.frame_case()) {
    case v1::ClientFrame::kSend:
      return route({from.user(), from.id()}, *frame.mutable_send());
    case v1::ClientFrame::kPing: {
      v1::ServerFrame pong;
      pong.mutable_pong()->set_id(frame.ping().id());
      return pong;
    }
    case v1::ClientFrame::kPong:
      return {};
    case v1::ClientFrame::kAck:
      if (frame.ack().message_id().empty())
        return make_error(errc::invalid_frame, "ack needs \"messageId\"");
      if (box_)
        box_->ack(from, frame.ack().message_id(), frame.ack().cumulative());
      return {};
    case v1::ClientFrame::kReceipt:
      if (frame.receipt().message_id().empty() ||
          frame.receipt().status() != v1::Receipt::READ) {
        return make_error(errc::invalid_frame,
                          "a client's receipt needs \"messageId\" and status "
                          "\"READ\" (delivery is told by an ack)");
      }
      if (box_) box_->read(from, frame.receipt().message_id());
      return {};
    case v1::ClientFrame::kHello:
      return make_error(errc::invalid_frame, "already authenticated");
    default:
      return make_error(errc::unknown_frame, "frame names no known frame type");
  }
}

}  // namespace chat
