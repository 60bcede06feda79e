// chatd: the standalone chat server. Settings, signals and logs; everything
// else is chat::server.
#include <chat/server.hpp>

#include "auth.hpp"
#include "flags.hpp"
#include "logging.hpp"
#include "sources.hpp"
#include "web.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <pthread.h>

namespace {

// Default, then file, then environment, then flags: each later source
// overrides the earlier ones. False (and `error`) on the first bad setting.
bool load_settings(const chatd::command_line& cli, chatd::options& o,
                   std::string& error) {
  std::string file = cli.config_file;
  if (file.empty()) {
    if (const char* env = std::getenv("CHAT_CONFIG")) file = env;
  }
  if (!file.empty() && !chatd::apply_config_file(file, o, error)) return false;
  return chatd::apply_env(o, error) && chatd::apply_flags(cli, o, error);
}

void log_listening(std::string_view transport, const std::string& address,
                   std::uint16_t port) {
  const std::string port_text = std::to_string(port);
  chatd::write_event(
      {chat::log_level::info,
       "listening",
       {{"transport", transport}, {"address", address}, {"port", port_text}}});
}

}  // namespace

int main(int argc, char** argv) {
  chatd::command_line cli;
  chatd::options opts;
  std::string error;
  if (!chatd::parse_flags({argv + 1, argv + argc}, cli, error)) {
    std::fprintf(stderr, "chatd: %s\n", error.c_str());
    return 2;
  }
  if (cli.help) {
    std::fputs(chatd::usage().c_str(), stdout);
    return 0;
  }
  if (cli.version) {
    std::puts("chatd 0.1.0");
    return 0;
  }
  if (!load_settings(cli, opts, error)) {
    std::fprintf(stderr, "chatd: invalid setting: %s\n", error.c_str());
    return 2;
  }
  if (const auto why = chat::check(opts.cfg); !why.empty()) {
    std::fprintf(stderr, "chatd: invalid setting: %s\n", why.c_str());
    return 2;
  }
  if (!opts.cfg.apigw_listen.empty() && opts.cfg.apigw_callback.empty()) {
    std::fprintf(stderr,
                 "chatd: invalid setting: apigw_listen (--apigw-listen) needs "
                 "apigw_callback (--apigw-callback)\n");
    return 2;
  }
  opts.cfg.files = chatd::load_web_client(opts, error);
  if (!error.empty()) {
    std::fprintf(stderr, "chatd: invalid setting: %s\n", error.c_str());
    return 2;
  }
  if (!cli.print_config && !chatd::install_auth(opts, error)) {
    std::fprintf(stderr, "chatd: invalid setting: %s\n", error.c_str());
    return 2;
  }
  if (cli.print_config) {
    std::fputs(chatd::print_config(opts).c_str(), stdout);
    return 0;
  }
  chatd::install_logging(opts.cfg.hooks, opts.format);

  // Block the stop signals before any thread starts, so every I/O thread
  // inherits the mask and only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  if (opts.auth == "none") {
    chatd::write_event(
        {chat::log_level::warn,
         "log",
         {{"message",
           "--auth none: clients choose their own user name; use it for "
           "development only"}}});
  }
  chat::server server(opts.cfg);
  if (const auto ec = server.start()) {
    std::fprintf(stderr, "chatd: cannot start: %s\n", ec.message().c_str());
    return 1;
  }
  if (!opts.cfg.listen.empty())
    log_listening("ws", opts.cfg.listen, server.port());
  if (!opts.cfg.tcp_listen.empty())
    log_listening("tcp", opts.cfg.tcp_listen, server.tcp_port());
  if (!opts.cfg.apigw_listen.empty())
    log_listening("apigw", opts.cfg.apigw_listen, server.apigw_port());

  int sig = 0;
  sigwait(&stop_signals, &sig);
  const std::string timeout =
      std::to_string(opts.cfg.drain_timeout.count()) + "ms";
  chatd::write_event({chat::log_level::info,
                      "draining",
                      {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"},
                       {"timeout", timeout}}});
  server.stop();
  return 0;
}
