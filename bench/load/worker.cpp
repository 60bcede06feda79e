// chat-load's event loop: connecting, reading, writing.
#include "worker.hpp"

#include "conn.hpp"
#include "wire.hpp"

#include <cerrno>
#include <chrono>
#include <random>

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace load {
namespace {

double seconds_now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

worker::worker(const options& o, const control& c, const sockaddr_in& server,
               int index)
    : opt_(o),
      ctl_(c),
      server_(server),
      peer_(server),
      index_(index),
      ep_(epoll_create1(EPOLL_CLOEXEC)),
      buf_(256 * 1024),
      body_(o.body, 'x') {
  if (!o.peer_port.empty())
    peer_.sin_port = htons(static_cast<std::uint16_t>(std::stoi(o.peer_port)));
}

worker::~worker() {
  for (auto& c : conns_)
    if (c->fd >= 0) ::close(c->fd);
  if (ep_ >= 0) ::close(ep_);
}

void worker::add_pair(int pair) {
  auto a = std::make_unique<conn>();
  auto b = std::make_unique<conn>();
  a->user = opt_.prefix + "a" + std::to_string(pair);
  b->user = opt_.prefix + "b" + std::to_string(pair);
  a->partner = b.get();
  b->partner = a.get();
  b->peer = true;
  a->index = conns_.size();
  b->index = conns_.size() + 1;
  for (auto* c : {a.get(), b.get()}) waiting_[1].push_back(c);
  conns_.push_back(std::move(a));
  conns_.push_back(std::move(b));
  active_ += 2;
}

void worker::add_idle(int n) {
  for (int i = 0; i < n; ++i) {
    auto c = std::make_unique<conn>();
    c->user =
        opt_.prefix + "i" + std::to_string(index_) + "-" + std::to_string(i);
    c->index = conns_.size();
    waiting_[0].push_back(c.get());
    conns_.push_back(std::move(c));
  }
}

void worker::run() {
  std::mt19937 rng(static_cast<unsigned>(index_) * 7919u + 1);
  for (auto& c : conns_) c->mask = static_cast<std::uint32_t>(rng());
  std::vector<epoll_event> events(1024);
  last_s_ = seconds_now();
  for (;;) {
    const phase ph = ctl_.now.load();
    if (ph == phase::quit) break;
    const double now_s = seconds_now();
    start_connects(ph, now_s);
    if (ph == phase::run && ctl_.sending.load(std::memory_order_relaxed)) {
      if (!started_) {
        started_ = true;
        for (auto& c : conns_)
          if (c->partner != nullptr) pump(*c);
      }
      serve_blocked(now_s);
    }
    last_s_ = now_s;
    const int timeout = opt_.rate > 0 || opt_.connect_rate > 0 ? 1 : 5;
    const int n = epoll_wait(ep_, events.data(),
                             static_cast<int>(events.size()), timeout);
    for (int i = 0; i < n; ++i)
      on_event(*static_cast<conn*>(events[i].data.ptr), events[i].events);
    for (conn* c : dirty_) {
      c->dirty = false;
      flush(*c);
    }
    dirty_.clear();
    progress.store(received_, std::memory_order_relaxed);
    update_drained();
  }
}

// Opens the connections of the current phase, at --connect-rate.
void worker::start_connects(phase ph, double now_s) {
  auto& queue = waiting_[ph == phase::connect_idle ? 0 : 1];
  if (queue.empty()) return;
  if (opt_.connect_rate > 0) {
    const double per_s = opt_.connect_rate / opt_.threads;
    connect_tokens_ =
        std::min(connect_tokens_ + (now_s - last_s_) * per_s, per_s / 100 + 1);
  }
  while (!queue.empty() && (opt_.connect_rate == 0 || connect_tokens_ >= 1)) {
    connect_tokens_ -= 1;
    connect(*queue.front());
    queue.pop_front();
  }
}

void worker::connect(conn& c) {
  c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) return fail(c, true);
  const int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!opt_.sources.empty()) {
    // Several source addresses give 28k ports each; the kernel picks the
    // port at connect() so that each address's range is used in full.
    setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    const auto& src = opt_.sources[c.index % opt_.sources.size()];
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (inet_pton(AF_INET, src.c_str(), &local.sin_addr) != 1 ||
        ::bind(c.fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
      return fail(c, true);
  }
  const sockaddr_in& to = c.peer ? peer_ : server_;
  if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 &&
      errno != EINPROGRESS)
    return fail(c, true);
  c.state = conn::st::connecting;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.ptr = &c;
  epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
  c.armed_out = true;
}

void worker::on_event(conn& c, std::uint32_t events) {
  if (c.state == conn::st::closed) return;
  if (c.state == conn::st::connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP)) != 0) return fail(c, true);
    if ((events & EPOLLOUT) == 0) return;
    on_connected(c);
    return;
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c);
  if (c.state != conn::st::closed && (events & EPOLLOUT)) flush(c);
}

// Sends the upgrade (WebSocket) or the hello (TCP).
void worker::on_connected(conn& c) {
  c.state = conn::st::upgrading;
  if (opt_.via == transport::ws) {
    const std::string& port =
        c.peer && !opt_.peer_port.empty() ? opt_.peer_port : opt_.port;
    c.out = upgrade_request(opt_.host, port, opt_.path, c.user, opt_.protobuf);
  } else {
    c.state = conn::st::welcoming;
    chat::v1::ClientFrame hello;
    hello.mutable_hello()->set_user(c.user);
    write_frame(c, hello.SerializeAsString(), true);
  }
  flush(c);
}

void worker::on_readable(conn& c) {
  const ssize_t n = ::read(c.fd, buf_.data(), buf_.size());
  if (n > 0) return on_bytes(c, {buf_.data(), static_cast<std::size_t>(n)});
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  fail(c, false);
}

// Handles what a read brought, keeping an incomplete frame for the next.
void worker::on_bytes(conn& c, std::string_view bytes) {
  if (c.in.empty()) {
    const std::size_t used = parse(c, bytes);
    if (c.state != conn::st::closed) c.in.assign(bytes.substr(used));
    return;
  }
  c.in.append(bytes);
  const std::size_t used = parse(c, c.in);
  if (c.state != conn::st::closed) c.in.erase(0, used);
}

void worker::mark(conn& c) {
  if (c.dirty) return;
  c.dirty = true;
  dirty_.push_back(&c);
}

void worker::flush(conn& c) {
  if (c.state == conn::st::closed) return;
  while (!c.out.empty()) {
    const ssize_t n = ::write(c.fd, c.out.data(), c.out.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      return fail(c, false);
    }
    c.out.erase(0, static_cast<std::size_t>(n));
  }
  watch(c, !c.out.empty());
}

// Asks for EPOLLOUT only while output is pending.
void worker::watch(conn& c, bool out) {
  if (c.armed_out == out) return;
  c.armed_out = out;
  epoll_event ev{};
  ev.events = EPOLLIN | (out ? EPOLLOUT : 0u);
  ev.data.ptr = &c;
  epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
}

void worker::fail(conn& c, bool connecting) {
  const bool was_open = c.state == conn::st::open;
  if (c.fd >= 0) {
    ::close(c.fd);  // also leaves the epoll set
    c.fd = -1;
  }
  c.state = conn::st::closed;
  if (connecting || !was_open) {
    ++tally_.connect_failed;
    failed.fetch_add(1);
  } else {
    ++tally_.closed;
  }
}

}  // namespace load
