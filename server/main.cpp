// chatd: the standalone chat server. Flags, signals and logs; everything
// else is chat::server.
#include <pthread.h>

#include <chat/server.hpp>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <vector>

#include "flags.hpp"

namespace {

void log_line(chat::log_level level, std::string_view text) {
  static std::mutex mu;
  char ts[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::lock_guard lock(mu);
  std::fprintf(stderr, "%s %-5s %.*s\n", ts,
               std::string(chat::to_string(level)).c_str(),
               static_cast<int>(text.size()), text.data());
}

}  // namespace

int main(int argc, char** argv) {
  chatd::options opts;
  std::string error;
  if (!chatd::parse_flags({argv + 1, argv + argc}, opts, error)) {
    std::fprintf(stderr, "chatd: %s\n", error.c_str());
    return 2;
  }
  if (opts.help) {
    std::fputs(chatd::usage().c_str(), stdout);
    return 0;
  }
  if (opts.version) {
    std::puts("chatd 0.1.0");
    return 0;
  }
  opts.cfg.hooks.log = log_line;

  // Block the stop signals before any thread starts, so every I/O thread
  // inherits the mask and only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  if (opts.auth == "none") {
    log_line(chat::log_level::warn,
             "--auth none: clients choose their own user name; use it for "
             "development only");
  }
  chat::server server(opts.cfg);
  if (const auto ec = server.start()) {
    std::fprintf(stderr, "chatd: cannot start: %s\n", ec.message().c_str());
    return 1;
  }
  if (!opts.cfg.listen.empty()) {
    log_line(chat::log_level::info,
             "websocket on " + opts.cfg.listen + " (port " +
                 std::to_string(server.port()) + "), path /ws");
  }
  if (!opts.cfg.tcp_listen.empty()) {
    log_line(chat::log_level::info,
             "tcp on " + opts.cfg.tcp_listen + " (port " +
                 std::to_string(server.tcp_port()) + ")");
  }
  if (!opts.cfg.apigw_listen.empty()) {
    log_line(chat::log_level::info,
             "apigw on " + opts.cfg.apigw_listen + " (port " +
                 std::to_string(server.apigw_port()) + "), callback " +
                 opts.cfg.apigw_callback);
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  log_line(chat::log_level::info, std::string("signal ") +
                                      (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                                      ": draining");
  server.stop();
  return 0;
}
