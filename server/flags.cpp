#include "flags.hpp"

#include <charconv>

namespace chatd {
namespace {

bool parse_level(std::string_view s, chat::log_level& out) {
  using chat::log_level;
  for (auto l : {log_level::trace, log_level::debug, log_level::info,
                 log_level::warn, log_level::error, log_level::off}) {
    if (s == chat::to_string(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

bool parse_uint(std::string_view s, unsigned& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

}  // namespace

std::string usage() {
  return R"(Usage: chatd [options]

chatd routes one-to-one chat messages between authenticated users over
WebSocket (JSON or protobuf frames) and raw TCP (varint-delimited protobuf).
Protocol: docs/protocol.md.

Options:
  --listen HOST:PORT      WebSocket and HTTP address (default 127.0.0.1:8080);
                          GET /ws upgrades, GET /healthz answers "ok"
  --tcp-listen HOST:PORT  also serve raw TCP here (default: off)
  --apigw-listen HOST:PORT
                          serve API Gateway WebSocket API integrations here
                          (POST /apigw/connect, /apigw/disconnect,
                          /apigw/default; docs/aws.md). Default: off
  --apigw-callback URL    the stage's @connections base, e.g.
                          https://ID.execute-api.REGION.amazonaws.com/STAGE
                          (its wss:// URL works too); needs AWS credentials
                          from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/
                          AWS_SESSION_TOKEN or the ECS task role
  --xray                  send an AWS X-Ray segment per apigw integration request
                          to the daemon at AWS_XRAY_DAEMON_ADDRESS (default
                          127.0.0.1:2000), continuing X-Amzn-Trace-Id
  --threads N             I/O threads, one event loop each (default: one per core)
  --auth MODE             how clients prove who they are; "none" (the default):
                          the user is ?user=NAME on /ws, or the TCP hello.
                          For development only: anyone can claim any name
  --log-level LEVEL       trace, debug, info, warn, error or off (default info)
  --help                  print this help and exit
  --version               print the version and exit

Signals: SIGINT and SIGTERM stop accepting, flush what is queued, close every
connection with 1001 "going away" and exit 0.
)";
}

bool parse_flags(const std::vector<std::string>& args, options& out,
                 std::string& error) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    bool has_value = false;
    if (const auto eq = name.find('=');
        name.starts_with("--") && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    const auto take = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= args.size()) {
        error = name + " needs a value";
        return false;
      }
      value = args[++i];
      return true;
    };
    if (name == "--help" || name == "-h") {
      out.help = true;
    } else if (name == "--version") {
      out.version = true;
    } else if (name == "--listen") {
      if (!take()) return false;
      out.cfg.listen = value;
    } else if (name == "--tcp-listen") {
      if (!take()) return false;
      out.cfg.tcp_listen = value;
    } else if (name == "--apigw-listen") {  // apigw transport (issue 8)
      if (!take()) return false;
      out.cfg.apigw_listen = value;
    } else if (name == "--apigw-callback") {
      if (!take()) return false;
      out.cfg.apigw_callback = value;
    } else if (name == "--xray") {
      out.cfg.xray = true;
    } else if (name == "--threads") {
      if (!take()) return false;
      if (!parse_uint(value, out.cfg.threads) || out.cfg.threads > 1024) {
        error = "--threads: expected a number from 0 to 1024, got \"" + value +
                "\"";
        return false;
      }
    } else if (name == "--auth") {
      if (!take()) return false;
      if (value != "none") {
        error = "--auth: only \"none\" is supported in this version, got \"" +
                value + "\"";
        return false;
      }
      out.auth = value;
    } else if (name == "--log-level") {
      if (!take()) return false;
      if (!parse_level(value, out.cfg.hooks.min_level)) {
        error =
            "--log-level: expected trace, debug, info, warn, error or off, got "
            "\"" +
            value + "\"";
        return false;
      }
    } else {
      error = "unknown option \"" + name + "\" (see --help)";
      return false;
    }
  }
  if (!out.cfg.apigw_listen.empty() && out.cfg.apigw_callback.empty()) {
    error = "--apigw-listen needs --apigw-callback";
    return false;
  }
  return true;
}

}  // namespace chatd
