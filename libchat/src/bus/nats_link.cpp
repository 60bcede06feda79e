// The NATS connection. See nats_link.hpp.
#include "bus/nats_link.hpp"

#include "bus/subject.hpp"

#include <charconv>

namespace chat::detail::bus {
namespace {

std::string text_of(natsStatus s) {
  const char* t = natsStatus_GetText(s);
  return t ? t : "unknown NATS error";
}

}  // namespace

nats_link::nats_link(nats_options opts, std::string node,
                     std::function<void()> on_up,
                     std::function<void(bool, std::string)> on_log)
    : opts_(std::move(opts)),
      node_(std::move(node)),
      reply_prefix_("chat.reply." + escape_token(node_) + "."),
      on_up_(std::move(on_up)),
      on_log_(std::move(on_log)) {}

nats_link::~nats_link() { stop(); }

std::string nats_link::servers() const {
  std::string s;
  for (const auto& u : opts_.servers) {
    if (!s.empty()) s += ",";
    s += u;
  }
  return s;
}

std::string nats_link::start() {
  // The worker starts last: jobs posted by an early connect callback wait
  // until the connection and JetStream context below are set.
  struct start_worker {
    nats_link& l;
    ~start_worker() {
      l.worker_ = std::thread([&link = l] { link.run(); });
    }
  } at_end{*this};
  if (natsOptions_Create(&nopts_) != NATS_OK) return "out of memory";
  std::vector<const char*> urls;
  for (const auto& u : opts_.servers) urls.push_back(u.c_str());
  natsStatus s = natsOptions_SetServers(nopts_, urls.data(),
                                        static_cast<int>(urls.size()));
  if (s == NATS_OK && !opts_.name.empty())
    s = natsOptions_SetName(nopts_, opts_.name.c_str());
  // Reconnect forever, 250 ms apart with jitter: a node rejoins by itself.
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(nopts_, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(nopts_, 250);
  if (s == NATS_OK) s = natsOptions_SetReconnectJitter(nopts_, 100, 1000);
  if (s == NATS_OK) s = natsOptions_SetPingInterval(nopts_, 2000);
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(nopts_, 2);
  // One delivery pool, not a thread per subscription (one per user here);
  // each subscription keeps its order.
  if (s == NATS_OK) s = natsOptions_UseGlobalMessageDelivery(nopts_, true);
  if (s == NATS_OK)
    s = natsOptions_SetDisconnectedCB(nopts_, on_disconnected, this);
  if (s == NATS_OK)
    s = natsOptions_SetReconnectedCB(nopts_, on_reconnected, this);
  if (s == NATS_OK) s = natsOptions_SetClosedCB(nopts_, on_closed, this);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(nopts_, on_error, this);
  if (s == NATS_OK)
    s = natsOptions_SetRetryOnFailedConnect(nopts_, true, on_connected, this);
  if (s == NATS_OK && !opts_.creds.empty())
    s = natsOptions_SetUserCredentialsFromFiles(nopts_, opts_.creds.c_str(),
                                                nullptr);
  if (s == NATS_OK && !opts_.tls_ca.empty()) {
    s = natsOptions_SetSecure(nopts_, true);
    if (s == NATS_OK)
      s = natsOptions_LoadCATrustedCertificates(nopts_, opts_.tls_ca.c_str());
  }
  if (s == NATS_OK && !opts_.tls_cert.empty()) {
    s = natsOptions_SetSecure(nopts_, true);
    if (s == NATS_OK)
      s = natsOptions_LoadCertificatesChain(nopts_, opts_.tls_cert.c_str(),
                                            opts_.tls_key.c_str());
  }
  if (s != NATS_OK)
    return "NATS options: " + text_of(s) + " " + nats_GetLastError(nullptr);
  s = natsConnection_Connect(&nc_, nopts_);
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED)
    return "NATS connect: " + text_of(s);
  if (natsConnection_JetStream(&js_, nc_, nullptr) != NATS_OK)
    return "NATS: no JetStream context";
  const std::string wild = reply_prefix_ + "*";
  if (natsConnection_Subscribe(&replies_, nc_, wild.c_str(), on_reply, this) !=
      NATS_OK)
    return "NATS: cannot subscribe to " + wild;
  if (s == NATS_OK)
    became_up();
  else
    on_log_(true, "NATS unreachable (" + servers() + "); retrying");
  return {};
}

void nats_link::stop() {
  {
    std::lock_guard lock(jobs_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  jobs_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  up_.store(false, std::memory_order_release);
  if (nc_) {
    natsConnection_Close(nc_);
    // libnats reports the close (and the disconnect before it) on its own
    // thread, later: wait for it, or it would find this object gone.
    std::unique_lock lock(jobs_mu_);
    jobs_cv_.wait_for(lock, std::chrono::seconds(5),
                      [this] { return closed_; });
  }
  if (replies_) natsSubscription_Destroy(replies_);
  if (js_) jsCtx_Destroy(js_);
  if (nc_) natsConnection_Destroy(nc_);
  if (nopts_) natsOptions_Destroy(nopts_);
  replies_ = nullptr;
  js_ = nullptr;
  nc_ = nullptr;
  nopts_ = nullptr;
  std::unordered_map<std::uint64_t, pending> left;
  {
    std::lock_guard lock(pending_mu_);
    left.swap(pending_);
  }
  for (auto& [token, p] : left) p.fn(408, {});
}

void nats_link::became_up() {
  up_.store(true, std::memory_order_release);
  post(on_up_);
}

void nats_link::on_connected(natsConnection*, void* self) {
  auto* l = static_cast<nats_link*>(self);
  l->on_log_(false, "NATS connected");
  l->became_up();
}

void nats_link::on_reconnected(natsConnection*, void* self) {
  auto* l = static_cast<nats_link*>(self);
  l->on_log_(false, "NATS reconnected");
  l->became_up();
}

// On a libnats thread: what it found wrong on its own (a slow
// subscription, a consumer it could not recreate), logged with the
// subscription's subject.
void nats_link::on_error(natsConnection* nc, natsSubscription* sub,
                         natsStatus err, void* self) {
  auto* l = static_cast<nats_link*>(self);
  std::string what = "NATS: " + text_of(err);
  if (sub) {
    const char* subject = natsSubscription_GetSubject(sub);
    what += " on ";
    what += subject ? subject : "a subscription";
  }
  const char* text = nullptr;
  if (natsConnection_GetLastError(nc, &text) == err && text && *text)
    what.append(": ").append(text);
  l->on_log_(true, what);
}

void nats_link::on_disconnected(natsConnection*, void* self) {
  auto* l = static_cast<nats_link*>(self);
  l->up_.store(false, std::memory_order_release);
  {
    std::lock_guard lock(l->jobs_mu_);
    if (l->stopping_) return;
  }
  l->on_log_(true, "NATS disconnected; reconnecting");
}

void nats_link::on_closed(natsConnection*, void* self) {
  auto* l = static_cast<nats_link*>(self);
  // Notified under the lock: stop() may destroy the condition variable as
  // soon as it sees closed_.
  std::lock_guard lock(l->jobs_mu_);
  l->closed_ = true;
  l->jobs_cv_.notify_all();
}

bool nats_link::publish(const std::string& subject, std::string_view data,
                        const char* reply, std::string_view msg_id) {
  if (!connected()) return false;
  natsMsg* m = nullptr;
  if (natsMsg_Create(&m, subject.c_str(), reply, data.data(),
                     static_cast<int>(data.size())) != NATS_OK)
    return false;
  natsStatus s = NATS_OK;
  if (!msg_id.empty())
    s = natsMsgHeader_Set(m, "Nats-Msg-Id", std::string(msg_id).c_str());
  if (s == NATS_OK) s = natsConnection_PublishMsg(nc_, m);
  natsMsg_Destroy(m);
  return s == NATS_OK;
}

bool nats_link::request(const std::string& subject, std::string_view data,
                        std::string_view msg_id,
                        std::chrono::milliseconds timeout, reply_fn fn) {
  if (!connected()) return false;
  std::uint64_t token = 0;
  {
    std::lock_guard lock(pending_mu_);
    token = next_token_++;
    pending_.emplace(token, pending{std::chrono::steady_clock::now() + timeout,
                                    std::move(fn)});
  }
  std::string reply = reply_prefix_;
  reply += std::to_string(token);
  if (publish(subject, data, reply.c_str(), msg_id)) return true;
  std::lock_guard lock(pending_mu_);
  pending_.erase(token);
  return false;
}

void nats_link::on_reply(natsConnection*, natsSubscription*, natsMsg* m,
                         void* self) {
  auto* l = static_cast<nats_link*>(self);
  const std::string_view subject = natsMsg_GetSubject(m);
  const auto dot = subject.rfind('.');
  std::uint64_t token = 0;
  std::from_chars(subject.data() + dot + 1, subject.data() + subject.size(),
                  token);
  reply_fn fn;
  {
    std::lock_guard lock(l->pending_mu_);
    auto it = l->pending_.find(token);
    if (it != l->pending_.end()) {
      fn = std::move(it->second.fn);
      l->pending_.erase(it);
    }
  }
  if (fn) {
    const int status = natsMsg_IsNoResponders(m) ? 503 : 0;
    fn(status,
       std::string_view(natsMsg_GetData(m),
                        static_cast<std::size_t>(natsMsg_GetDataLength(m))));
  }
  natsMsg_Destroy(m);
}

void nats_link::sweep() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<reply_fn> late;
  {
    std::lock_guard lock(pending_mu_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.deadline > now) {
        ++it;
        continue;
      }
      late.push_back(std::move(it->second.fn));
      it = pending_.erase(it);
    }
  }
  for (auto& fn : late) fn(408, {});
}

void nats_link::post(std::function<void()> job) {
  {
    std::lock_guard lock(jobs_mu_);
    if (stopping_) return;
    jobs_.push_back(std::move(job));
  }
  jobs_cv_.notify_one();
}

void nats_link::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(jobs_mu_);
      jobs_cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace chat::detail::bus
