// The cluster's send path, toConnection and presence. See cluster.hpp.
#include "bus/cluster.hpp"

#include <chat/router.hpp>

#include "bus/subject.hpp"
#include "core/answers.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>

#include <charconv>

namespace chat::detail::bus {
namespace {

using namespace std::chrono_literals;

// JetStream answers a publish in well under this; a node that waits longer
// tells the sender to retry (the resend is dropped as a duplicate if the
// first one was stored after all).
constexpr auto pub_ack_timeout = 5s;
constexpr auto probe_timeout = 2s;

// Nats-Msg-Id for (sender, client id): a header value has no line breaks,
// so a client id holding any control byte is sent as hex.
std::string msg_id(std::string_view sender, std::string_view client_id) {
  if (client_id.empty()) return {};
  std::string id(sender);
  id.push_back(' ');
  bool plain = true;
  for (const char c : client_id)
    plain = plain && static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
  if (plain) return id.append(client_id);
  constexpr char hex[] = "0123456789abcdef";
  id.push_back('x');
  for (const char c : client_id) {
    id.push_back(hex[static_cast<unsigned char>(c) >> 4]);
    id.push_back(hex[static_cast<unsigned char>(c) & 15]);
  }
  return id;
}

}  // namespace

struct cluster::send_job {
  envelope_ptr env;
  std::string client_id;
  reply_to to;
  std::string message_id;  // the stream sequence, once stored
};

cluster::cluster(const config& cfg, std::string node, registry& reg, shards& io,
                 log_fn log)
    : cfg_(cfg),
      node_(std::move(node)),
      reg_(reg),
      io_(io),
      log_(std::move(log)),
      link_(
          {cfg.nats, cfg.nats_creds, cfg.nats_tls_ca, cfg.nats_tls_cert,
           cfg.nats_tls_key, "chatd " + node_},
          node_, [this] { ensure_stream(); }, log_) {}

cluster::~cluster() { stop(); }

std::string cluster::start() {
  if (auto e = link_.start(); !e.empty()) return e;
  const std::string subject = node_subject(node_);
  if (natsConnection_Subscribe(&node_sub_, link_.connection(), subject.c_str(),
                               on_node, this) != NATS_OK)
    return "NATS: cannot subscribe to " + subject;
  return {};
}

void cluster::stop() {
  link_.stop();
  if (node_sub_) natsSubscription_Destroy(node_sub_);
  node_sub_ = nullptr;
  string_map<std::shared_ptr<user_state>> left;
  {
    std::lock_guard lock(mu_);
    left.swap(users_);
  }
  for (auto& [user, st] : left) close(st);
}

boost::asio::io_context& cluster::shard_of(std::string_view user) {
  return io_.at(string_hash{}(user) % io_.size());
}

// On the worker thread, after every (re)connect: the stream must exist
// before any send is taken.
void cluster::ensure_stream() {
  if (stream_busy_.exchange(true)) return;
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  const std::string name(stream_name);
  const std::string wild = std::string(inbox_prefix) + ">";
  const char* subjects[] = {wild.c_str()};
  sc.Name = name.c_str();
  sc.Subjects = subjects;
  sc.SubjectsLen = 1;
  sc.Storage = js_FileStorage;
  sc.Replicas = static_cast<int64_t>(cfg_.nats_replicas);
  sc.Duplicates = std::chrono::nanoseconds(cfg_.dedup_window).count();
  sc.MaxAge = std::chrono::nanoseconds(cfg_.message_ttl).count();
  // A full inbox refuses the new message (INBOX_FULL), never drops an old.
  sc.MaxMsgsPerSubject = static_cast<int64_t>(cfg_.inbox_max_messages);
  sc.Discard = js_DiscardNew;
  sc.DiscardNewPerSubject = true;
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&si, link_.jetstream(), &sc, nullptr, &jerr);
  if (s != NATS_OK && jerr == JSStreamNameExistErr) {
    s = js_GetStreamInfo(&si, link_.jetstream(), name.c_str(), nullptr, &jerr);
  }
  if (si) jsStreamInfo_Destroy(si);
  const std::string error = s == NATS_OK ? std::string()
                                         : std::string(natsStatus_GetText(s)) +
                                               " " + nats_GetLastError(nullptr);
  {
    std::lock_guard lock(mu_);
    stream_error_ = error;
  }
  stream_ready_.store(s == NATS_OK, std::memory_order_release);
  stream_busy_.store(false);
  if (s != NATS_OK) {
    log_(true, "JetStream stream CHAT not ready: " + error);
    return;
  }
  reopen();
}

void cluster::sweep() {
  link_.sweep();
  if (!link_.connected()) return;
  if (!stream_ready_.load(std::memory_order_acquire)) {
    if (!stream_busy_.load()) link_.post([this] { ensure_stream(); });
    return;
  }
  if (missing_subscriptions()) link_.post([this] { reopen(); });
}

std::string cluster::problem() const {
  if (!link_.connected())
    return "cluster bus down: NATS unreachable (" + link_.servers() + ")";
  if (!stream_ready_.load(std::memory_order_acquire)) {
    std::lock_guard lock(mu_);
    return "cluster bus: JetStream stream CHAT not ready" +
           (stream_error_.empty() ? std::string() : ": " + stream_error_);
  }
  return {};
}

std::optional<v1::ServerFrame> cluster::submit(envelope_ptr env,
                                               std::string client_id,
                                               reply_to to) {
  if (!link_.connected() || !stream_ready_.load(std::memory_order_acquire))
    return local_only(std::move(env), client_id);
  const v1::Message& m = env->message();
  std::string data = pack(client_id, env->frame());
  auto job = std::make_shared<send_job>();
  job->env = std::move(env);
  job->client_id = std::move(client_id);
  job->to = std::move(to);
  const bool sent = link_.request(
      inbox_subject(m.to()), data, msg_id(m.from(), job->client_id),
      pub_ack_timeout, [this, job](int status, std::string_view body) {
        on_pub_ack(job, status, body);
      });
  if (sent) return std::nullopt;
  return make_error(errc::unavailable,
                    "the cluster bus (NATS) is unreachable; retry",
                    job->client_id);
}

// NATS down: a recipient connected to this very node still gets the
// message, live only (it is not stored, and its id is not an inbox
// sequence). Anyone else: UNAVAILABLE, and the client retries.
std::optional<v1::ServerFrame> cluster::local_only(
    envelope_ptr env, const std::string& client_id) {
  std::vector<std::shared_ptr<connection>> live;
  reg_.snapshot(env->message().to(), live);
  if (live.empty()) {
    return make_error(errc::unavailable,
                      "the cluster bus (NATS) is unreachable; retry",
                      client_id);
  }
  for (const auto& c : live) c->deliver(env);
  delivered_.fetch_add(1, std::memory_order_relaxed);
  deliveries_.fetch_add(live.size(), std::memory_order_relaxed);
  return make_sent(client_id, env->message().message_id(), v1::Sent::DELIVERED);
}

// On a libnats thread: JetStream's PubAck ({"stream":..,"seq":N}) or its
// error. Then a presence probe tells DELIVERED from QUEUED.
void cluster::on_pub_ack(const std::shared_ptr<send_job>& job, int status,
                         std::string_view body) {
  std::uint64_t seq = 0;
  bool duplicate = false;
  bool full = false;
  if (status == 0) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(body, ec);
    if (!ec && v.is_object()) {
      const auto& o = v.get_object();
      if (auto* p = o.if_contains("seq"); p && p->is_int64())
        seq = static_cast<std::uint64_t>(p->as_int64());
      if (auto* p = o.if_contains("duplicate"); p && p->is_bool())
        duplicate = p->as_bool();
      // JetStream's "maximum messages per subject exceeded".
      if (auto* e = o.if_contains("error"); e && e->is_object())
        if (auto* c = e->as_object().if_contains("err_code"))
          full = c->is_int64() && c->as_int64() == 10077;
    }
  }
  if (full) {
    answer(job, make_error(errc::inbox_full,
                           "\"" + job->env->message().to() +
                               "\" has too many undelivered messages; retry "
                               "later",
                           job->client_id));
    return;
  }
  if (seq == 0) {
    answer(job, make_error(errc::unavailable,
                           status == 408
                               ? "the cluster store did not answer; retry"
                               : "the cluster store refused the message; retry",
                           job->client_id));
    return;
  }
  job->message_id = std::to_string(seq);
  const v1::Message& m = job->env->message();
  if (!duplicate && !m.from_connection().empty()) {
    // The sender's other devices, wherever they are, get a marked copy.
    v1::ServerFrame f = job->env->frame();
    f.mutable_message()->set_copy(true);
    f.mutable_message()->set_id(job->client_id);
    f.mutable_message()->set_message_id(job->message_id);
    std::string data;
    f.SerializeToString(&data);
    link_.publish(live_subject(m.from()), data);
  }
  const bool probing = link_.request(
      live_subject(m.to()), {}, {}, probe_timeout,
      [this, job](int st, std::string_view) {
        answer(job,
               make_sent(job->client_id, job->message_id,
                         st == 0 ? v1::Sent::DELIVERED : v1::Sent::QUEUED));
      });
  if (!probing)
    answer(job, make_sent(job->client_id, job->message_id, v1::Sent::QUEUED));
}

// From a libnats thread to the sender's shard: the connection is only
// touched there.
void cluster::answer(const std::shared_ptr<send_job>& job, v1::ServerFrame f) {
  if (job->to.fn) return job->to.fn(std::move(f));
  const std::string& who = job->env->message().from();
  boost::asio::post(shard_of(who), [this, job, f = std::move(f)]() mutable {
    if (auto c = reg_.find(job->to.connection_id)) c->notify(std::move(f));
  });
}

std::string cluster::pack(std::string_view client_id,
                          const v1::ServerFrame& f) {
  std::string data = std::to_string(client_id.size());
  data.push_back(':');
  data.append(client_id);
  f.AppendToString(&data);
  return data;
}

bool cluster::unpack(std::string_view data, std::string& client_id,
                     v1::ServerFrame& f) {
  std::size_t n = 0;
  const auto r = std::from_chars(data.data(), data.data() + data.size(), n);
  if (r.ec != std::errc() || r.ptr == data.data() + data.size() ||
      *r.ptr != ':')
    return false;
  const std::size_t start = static_cast<std::size_t>(r.ptr - data.data()) + 1;
  if (data.size() - start < n) return false;
  client_id.assign(data.substr(start, n));
  const std::string_view frame = data.substr(start + n);
  return f.ParseFromArray(frame.data(), static_cast<int>(frame.size())) &&
         (f.has_message() || f.has_receipt());
}

bool cluster::remote(std::string_view connection_id) const {
  const auto dash = connection_id.rfind('-');
  return dash != std::string_view::npos && dash > 0 &&
         connection_id.substr(0, dash) != node_;
}

void cluster::forward(envelope_ptr env, const std::string& connection_id,
                      std::string client_id, reply_to to) {
  auto job = std::make_shared<send_job>();
  job->env = std::move(env);
  job->client_id = std::move(client_id);
  job->to = std::move(to);
  job->message_id = job->env->message().message_id();
  // The payload: the target id, a newline, the message frame.
  std::string data = connection_id;
  data.push_back('\n');
  job->env->frame().AppendToString(&data);
  const std::string node = connection_id.substr(0, connection_id.rfind('-'));
  const bool sent = link_.request(
      node_subject(node), data, {}, probe_timeout,
      [this, job, connection_id](int st, std::string_view body) {
        if (st == 0 && body == "1") {
          answer(job, make_sent(job->client_id, job->message_id,
                                v1::Sent::DELIVERED));
        } else {
          answer(job, make_error(errc::recipient_offline,
                                 "no connection \"" + connection_id + "\"",
                                 job->client_id));
        }
      });
  if (!sent) {
    answer(job, make_error(errc::unavailable,
                           "the cluster bus (NATS) is unreachable; retry",
                           job->client_id));
  }
}

// On a libnats thread: a toConnection message for a connection here.
void cluster::on_node(natsConnection* nc, natsSubscription*, natsMsg* m,
                      void* closure) {
  auto* self = static_cast<cluster*>(closure);
  const std::string_view data(
      natsMsg_GetData(m), static_cast<std::size_t>(natsMsg_GetDataLength(m)));
  const auto nl = data.find('\n');
  std::shared_ptr<connection> c;
  v1::ServerFrame f;
  if (nl != std::string_view::npos &&
      f.ParseFromArray(data.data() + nl + 1,
                       static_cast<int>(data.size() - nl - 1)) &&
      f.has_message())
    c = self->reg_.find(data.substr(0, nl));
  if (const char* reply = natsMsg_GetReply(m))
    natsConnection_PublishString(nc, reply, c ? "1" : "0");
  natsMsg_Destroy(m);
  if (!c) return;
  f.mutable_message()->set_to(c->user());
  auto env = std::make_shared<const envelope>(std::move(f));
  self->delivered_.fetch_add(1, std::memory_order_relaxed);
  self->deliveries_.fetch_add(1, std::memory_order_relaxed);
  auto& shard = self->shard_of(c->user());
  boost::asio::post(
      shard, [c = std::move(c), env = std::move(env)] { c->deliver(env); });
}

bool cluster::online(std::string_view user) const {
  if (reg_.count(user) > 0) return true;
  if (!link_.connected()) return false;
  natsMsg* reply = nullptr;
  const std::string subject = live_subject(user);
  const bool yes =
      natsConnection_RequestString(&reply, link_.connection(), subject.c_str(),
                                   "", 2000) == NATS_OK &&
      !natsMsg_IsNoResponders(reply);
  if (reply) natsMsg_Destroy(reply);
  return yes;
}

}  // namespace chat::detail::bus
