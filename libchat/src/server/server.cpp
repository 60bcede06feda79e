// chat::server: a config in; threads, router and transports out.
#include <chat/server.hpp>

#include "server/shards.hpp"
#ifdef CHAT_WITH_NATS
#include "bus/cluster.hpp"
#endif
#include "store/mailbox.hpp"
#include "store/sqlite_journal.hpp"
#include "transport/inproc.hpp"
#include "transport/transport.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <charconv>
#include <random>

namespace chat {

namespace {

std::string random_node_id() {
  std::random_device rd;
  char buf[9];
  const auto r = std::to_chars(buf, buf + 8, rd() & 0xffffffffu, 16);
  return std::string(8 - static_cast<std::size_t>(r.ptr - buf), '0') +
         std::string(buf, r.ptr);
}

detail::mailbox_limits limits_of(const config& c) {
  detail::mailbox_limits l;
  l.inbox_max_messages = c.inbox_max_messages;
  l.inbox_max_bytes = c.inbox_max_bytes;
  l.message_ttl = c.message_ttl;
  l.dedup_window = c.dedup_window;
  l.dedup_max_ids = c.dedup_max_ids;
  return l;
}

// Opens the store `spec` names; null for "memory", with `error` set when
// the spec or the file is unusable.
std::unique_ptr<detail::sqlite_journal> open_store(const std::string& spec,
                                                   std::string& error) {
  if (spec.empty() || spec == "memory") return nullptr;
  constexpr std::string_view prefix = "sqlite:";
  if (spec.rfind(prefix, 0) != 0 || spec.size() == prefix.size()) {
    error = "store must be \"memory\" or \"sqlite:PATH\", not \"" + spec + "\"";
    return nullptr;
  }
  return detail::sqlite_journal::open(spec.substr(prefix.size()), error);
}

}  // namespace

// Members are declared in dependency order: the shards are destroyed first,
// taking every session (and its references into the rest) with them.
struct server::impl {
  explicit impl(config c)
      : cfg(std::move(c)),
        node(cfg.node_id.empty() ? random_node_id() : cfg.node_id),
        journal(open_store(cfg.store, store_error)),
        box(reg, limits_of(cfg), journal.get()),
        cluster(make_cluster()),
        route(reg, &cfg.hooks,
              cluster ? static_cast<detail::delivery*>(cluster.get()) : &box,
              cluster ? std::string_view(node) : std::string_view()),
        io(cfg.threads),
        ctx{cfg,
            route,
            reg,
            io,
            sessions,
            detail::logger(cfg.hooks),
            node,
            stats,
            box,
            nullptr,
            cluster ? node + "-" : std::string()} {}
  ~impl() {
    // Their threads complete sends: stop them first.
    if (cluster) cluster->stop();
    if (journal) journal->stop();
  }

#ifdef CHAT_WITH_NATS
  std::unique_ptr<detail::bus::cluster> make_cluster() {
    if (cfg.nats.empty()) return nullptr;
    return std::make_unique<detail::bus::cluster>(
        cfg, node, reg, io, [this](bool error, std::string text) {
          detail::logger(cfg.hooks)(error ? log_level::warn : log_level::info,
                                    text);
        });
  }
#else
  std::unique_ptr<detail::mailbox> make_cluster() { return nullptr; }
#endif

  // Sweeps expired messages and old dedup records every second.
  void tick() {
    sweeper->expires_after(std::chrono::seconds(1));
    sweeper->async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      box.sweep();
      if (cluster) cluster->sweep();
      tick();
    });
  }

  config cfg;
  std::string node;
  detail::metrics stats;
  registry reg;
  std::string store_error;
  std::unique_ptr<detail::sqlite_journal> journal;
  detail::mailbox box;
#ifdef CHAT_WITH_NATS
  std::unique_ptr<detail::bus::cluster> cluster;
#else
  std::unique_ptr<detail::mailbox> cluster;  // always null
#endif
  router route;
  detail::tracker sessions;
  detail::shards io;
  detail::context ctx;
  std::unique_ptr<detail::transport> ws;
  std::unique_ptr<detail::transport> tcp;
  std::unique_ptr<detail::transport> apigw;
  std::unique_ptr<boost::asio::steady_timer> sweeper;
  bool running = false;
  bool loaded = false;
};

server::server(config cfg) : impl_(std::make_unique<impl>(std::move(cfg))) {}

server::~server() { stop(); }

std::error_code server::start() {
  auto& m = *impl_;
  if (m.running) return {};
  if (auto why = check(m.cfg); !why.empty()) {
    m.ctx.log(log_level::error, "invalid config: " + why);
    return std::make_error_code(std::errc::invalid_argument);
  }
  if (!m.store_error.empty()) {
    m.ctx.log(log_level::error, m.store_error);
    return std::make_error_code(std::errc::invalid_argument);
  }
  if (!m.cfg.tls_cert.empty() && !m.ctx.tls) {
    std::string why;
    m.ctx.tls = detail::make_tls_context(m.cfg, why);
    if (!m.ctx.tls) {
      m.ctx.log(log_level::error, "tls: " + why);
      return std::make_error_code(std::errc::invalid_argument);
    }
  }
  if (!m.cfg.nats.empty()) {
#ifdef CHAT_WITH_NATS
    if (!m.loaded) {
      if (auto e = m.cluster->start(); !e.empty()) {
        m.ctx.log(log_level::error, e);
        return std::make_error_code(std::errc::invalid_argument);
      }
    }
#else
    m.ctx.log(log_level::error, "built without NATS: cluster mode is off");
    return std::make_error_code(std::errc::not_supported);
#endif
  }
  if (!m.loaded) {
    // Before any listener: nothing is routed until the state is back.
    m.box.load();
    m.loaded = true;
    if (m.journal) m.journal->start();
    if (auto why = m.box.problem(); !why.empty())
      m.ctx.log(log_level::error, why);
  }
  if (!m.cfg.listen.empty()) {
    m.ws = detail::make_websocket_transport(m.ctx);
    if (auto ec = m.ws->start()) {
      m.ws.reset();
      return ec;
    }
  }
  if (!m.cfg.tcp_listen.empty()) {
    m.tcp = detail::make_tcp_transport(m.ctx);
    if (auto ec = m.tcp->start()) {
      m.tcp.reset();
      if (m.ws) m.ws->stop();
      m.ws.reset();
      return ec;
    }
  }
  if (!m.cfg.apigw_listen.empty()) {
    m.apigw = detail::make_apigw_transport(m.ctx);
    if (auto ec = m.apigw->start()) {
      m.apigw.reset();
      if (m.ws) m.ws->stop();
      if (m.tcp) m.tcp->stop();
      m.ws.reset();
      m.tcp.reset();
      return ec;
    }
  }
  m.sweeper = std::make_unique<boost::asio::steady_timer>(m.io.at(0));
  m.tick();
  m.io.start();
  m.running = true;
  m.ctx.log(log_level::info, "node " + m.node + " running on " +
                                 std::to_string(m.io.size()) + " threads");
  return {};
}

void server::stop() {
  auto& m = *impl_;
  if (!m.running) return;
  m.running = false;
  m.route.close();
  if (m.ws) m.ws->stop();
  if (m.tcp) m.tcp->stop();
  if (m.apigw) m.apigw->stop();
  m.sessions.shutdown_all(false);
  if (!m.sessions.wait_empty(m.cfg.drain_timeout)) {
    m.ctx.log(log_level::warn,
              std::to_string(m.sessions.size()) +
                  " connections did not close in time; cutting them off");
    m.sessions.shutdown_all(true);
    (void)m.sessions.wait_empty(std::chrono::seconds(1));
  }
  boost::asio::post(m.io.at(0), [&m] { m.sweeper->cancel(); });
  // Before the shards stop: NATS callbacks post to them.
  if (m.cluster) m.cluster->stop();
  m.io.stop();
  m.sweeper.reset();
  m.ctx.log(log_level::info, "stopped");
}

std::uint16_t server::port() const noexcept {
  return impl_->ws ? impl_->ws->port() : 0;
}

std::uint16_t server::tcp_port() const noexcept {
  return impl_->tcp ? impl_->tcp->port() : 0;
}

std::uint16_t server::apigw_port() const noexcept {
  return impl_->apigw ? impl_->apigw->port() : 0;
}

std::shared_ptr<endpoint> server::attach(
    std::string user, std::function<void(const v1::ServerFrame&)> on_frame) {
  auto& m = *impl_;
  if (!m.running || !valid_user_name(user)) return nullptr;
  auto c = std::make_shared<detail::inproc_connection>(m.ctx, m.io.next(),
                                                       std::move(on_frame));
  m.sessions.add(c);
  m.ctx.attach(c, std::move(user), detail::transport_kind::inproc, {});
  return c;
}

v1::ServerFrame server::send(std::string_view from_user, v1::Send send) {
  auto& m = *impl_;
  if (!m.running)
    return make_error(errc::unavailable, "server is not running", send.id());
  if (!valid_user_name(from_user)) {
    return make_error(errc::invalid_frame,
                      "the sender is not a valid user name", send.id());
  }
  // Through the context, as every transport sends: counted and timed. With
  // a durable store the answer comes once the write is on disk.
  return m.ctx.route_send_wait({from_user, {}}, send);
}

std::size_t server::disconnect(std::string_view user_or_connection) {
  auto& m = *impl_;
  std::vector<std::shared_ptr<connection>> targets;
  if (auto c = m.reg.find(user_or_connection)) {
    targets.push_back(std::move(c));
  } else {
    m.reg.snapshot(user_or_connection, targets);
  }
  // Closing only queues the close on each connection's thread.
  for (const auto& c : targets)
    c->close(close_code::policy_violation, "disconnected by the server");
  return targets.size();
}

server_stats server::stats() const {
  const auto& m = *impl_;
  return {m.reg.size(), m.route.delivered(), m.io.size()};
}

std::size_t server::connections(std::string_view user) const {
  return impl_->reg.count(user);
}

bool server::online(std::string_view user) const {
  return impl_->route.online(user);
}

std::size_t server::connection_count() const { return impl_->reg.size(); }

const config& server::settings() const noexcept { return impl_->cfg; }

std::string server::metrics_text() const { return impl_->ctx.metrics_text(); }

bool server::ready() const noexcept {
  return impl_->running && impl_->ctx.accepting() &&
         impl_->route.problem().empty();
}

}  // namespace chat
