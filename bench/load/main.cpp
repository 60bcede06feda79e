// chat-load: end-to-end load on a chat server (see --help).
//
// The main thread only runs the phases (connect the idle connections,
// connect the pairs, warm up, measure, drain) and reads the clocks; the
// workers do all the I/O.
#include "report.hpp"
#include "worker.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>

#include <arpa/inet.h>
#include <netdb.h>

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

bool resolve(const load::options& o, sockaddr_in& out) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(o.host.c_str(), o.port.c_str(), &hints, &res) != 0 ||
      res == nullptr)
    return false;
  std::memcpy(&out, res->ai_addr, sizeof out);
  freeaddrinfo(res);
  return true;
}

using workers = std::vector<std::unique_ptr<load::worker>>;

// Waits until every connection of a phase is open or failed; false when
// some did not make it within `limit`.
bool wait_connected(const workers& w, int want, bool idle,
                    std::chrono::seconds limit) {
  const auto deadline = clock_type::now() + limit;
  for (;;) {
    int n = 0;
    for (const auto& x : w)
      n += (idle ? x->idle_open.load() : x->active_open.load()) +
           x->failed.load();
    if (n >= want) return true;
    if (clock_type::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
}

// Waits until no message is in flight, or nothing arrived for `stall`.
bool wait_drained(const workers& w, double stall) {
  std::uint64_t last = 0;
  auto last_change = clock_type::now();
  for (;;) {
    bool all = true;
    std::uint64_t progress = 0;
    for (const auto& x : w) {
      all = all && x->drained.load();
      progress += x->progress.load();
    }
    if (all) return true;
    if (progress != last) {
      last = progress;
      last_change = clock_type::now();
    } else if (clock_type::now() - last_change >
               std::chrono::duration<double>(stall)) {
      return false;
    }
    std::this_thread::sleep_for(2ms);
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool help = false;
  const auto parsed = load::parse(argc, argv, help);
  if (!parsed) return help ? 0 : 2;
  const load::options& o = *parsed;
  sockaddr_in server{};
  if (!resolve(o, server)) {
    std::fprintf(stderr, "chat-load: cannot resolve %s\n", o.host.c_str());
    return 2;
  }
  load::control ctl;
  workers w;
  for (int t = 0; t < o.threads; ++t)
    w.push_back(std::make_unique<load::worker>(o, ctl, server, t));
  for (int p = 0; p < o.pairs; ++p) w[p % o.threads]->add_pair(p);
  for (int t = 0; t < o.threads; ++t)
    w[t]->add_idle(o.idle / o.threads + (t < o.idle % o.threads ? 1 : 0));

  load::readings r;
  r.rss_before = o.server_pid ? load::proc_rss(o.server_pid) : 0;
  std::vector<std::thread> threads;
  for (auto& x : w) threads.emplace_back([&x] { x->run(); });

  const auto connect_limit = std::chrono::seconds(
      60 + (o.connect_rate > 0
                ? static_cast<int>((o.idle + 2 * o.pairs) / o.connect_rate)
                : 0));
  const auto t0 = clock_type::now();
  bool connected = wait_connected(w, o.idle, true, connect_limit);
  std::this_thread::sleep_for(200ms);  // let the server settle
  r.rss_idle = o.server_pid ? load::proc_rss(o.server_pid) : 0;
  ctl.now = load::phase::connect_active;
  connected = connected && wait_connected(w, 2 * o.pairs, false, connect_limit);
  r.connect_s = std::chrono::duration<double>(clock_type::now() - t0).count();
  std::this_thread::sleep_for(200ms);
  r.rss_active = o.server_pid ? load::proc_rss(o.server_pid) : 0;

  ctl.now = load::phase::run;
  if (connected) {
    ctl.sending = true;
    if (o.count == 0) std::this_thread::sleep_for(o.warmup * 1s);
    ctl.measuring = true;
    const auto start = clock_type::now();
    const double cpu0 = load::self_cpu();
    const double server_cpu0 = o.server_pid ? load::proc_cpu(o.server_pid) : 0;
    if (o.count == 0) {
      std::this_thread::sleep_for(o.duration * 1s);
    } else {
      r.drained = wait_drained(w, o.drain);
    }
    ctl.measuring = false;
    r.measured_s =
        std::chrono::duration<double>(clock_type::now() - start).count();
    r.cpu_s = load::self_cpu() - cpu0;
    if (o.server_pid)
      r.server_cpu_s = load::proc_cpu(o.server_pid) - server_cpu0;
    ctl.sending = false;
    if (o.count == 0) r.drained = wait_drained(w, o.drain);
  }
  ctl.now = load::phase::quit;
  for (auto& t : threads) t.join();

  for (const auto& x : w) {
    r.total.merge(x->result());
    r.lost += x->lost();
  }
  r.connected = connected;
  return load::report(o, r);
}
