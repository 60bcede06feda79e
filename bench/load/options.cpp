// chat-load's command line.
#include "options.hpp"

#include <charconv>
#include <cstdio>
#include <string_view>

namespace load {
namespace {

constexpr const char* usage = R"(usage: chat-load [options]

End-to-end load on a chat server: PAIRS pairs of connections (users
{prefix}a{i} and {prefix}b{i}) send each other BODY-byte messages, at most
WINDOW in flight per connection. Every delivery is checked (sender,
recipient, order, no loss, no duplicate); prints msgs/s, latency
percentiles, its own CPU and the server's memory, then one JSON line.
Exit status 0 when every message arrived exactly once and in order.

  --url URL            ws://HOST:PORT/PATH or tcp://HOST:PORT
                       (default ws://127.0.0.1:8080/ws)
  --proto              WebSocket with chat.v1.proto binary frames
  --peer-port PORT     the second user of each pair connects to this port
                       on the same host (another chatd node of a cluster);
                       default: the --url port
  --pairs N            pairs of connections (default 1000)
  --body BYTES         message text size, at least 32 (default 64)
  --window N           messages in flight per connection (default 16)
  --rate N             messages/s in all, 0 = unlimited (default 0)
  --duration S         seconds measured (default 10)
  --warmup S           seconds run before measuring (default 1)
  --count N            messages per connection, then stop (overrides
                       --duration and --warmup)
  --drain S            seconds to wait for messages in flight (default 5)
  --idle N             extra connections that connect and sit idle
  --connect-rate N     new connections/s, 0 = unlimited (default 0)
  --source A,B,...     local addresses to connect from, round robin
                       (e.g. 127.0.0.1,127.0.0.2: 28k ports each)
  --threads N          event loops (default 1)
  --ack                ack every message received ({"ack":{...}})
  --server-pid PID     report the server's RSS per connection and CPU
  --prefix STR         user name prefix (default "load")
)";

template <class T>
bool number(std::string_view s, T& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

bool parse_url(std::string_view url, options& o) {
  std::string_view rest;
  if (url.substr(0, 5) == "ws://") {
    o.via = transport::ws;
    rest = url.substr(5);
  } else if (url.substr(0, 6) == "tcp://") {
    o.via = transport::tcp;
    rest = url.substr(6);
  } else {
    return false;
  }
  const auto slash = rest.find('/');
  const std::string_view hostport = rest.substr(0, slash);
  o.path = slash == std::string_view::npos ? "/ws" : rest.substr(slash);
  const auto colon = hostport.rfind(':');
  if (colon == std::string_view::npos) return false;
  o.host = hostport.substr(0, colon);
  o.port = hostport.substr(colon + 1);
  return !o.host.empty() && !o.port.empty();
}

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto comma = s.find(',');
    if (comma != 0) out.emplace_back(s.substr(0, comma));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

std::optional<options> parse(int argc, char** argv, bool& help) {
  options o;
  help = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(usage, stderr);
      help = true;
      return std::nullopt;
    }
    if (flag == "--ack" || flag == "--proto") {
      (flag == "--ack" ? o.ack : o.protobuf) = true;
      continue;
    }
    if (i + 1 == argc) {
      std::fprintf(stderr, "chat-load: %s needs a value\n", argv[i]);
      return std::nullopt;
    }
    const std::string_view v = argv[++i];
    bool ok = true;
    if (flag == "--url") {
      ok = parse_url(v, o);
    } else if (flag == "--peer-port") {
      int port = 0;
      ok = number(v, port) && port > 0 && port < 65536;
      o.peer_port = v;
    } else if (flag == "--pairs") {
      ok = number(v, o.pairs) && o.pairs > 0;
    } else if (flag == "--body") {
      ok = number(v, o.body) && o.body >= 32;
    } else if (flag == "--window") {
      ok = number(v, o.window) && o.window > 0;
    } else if (flag == "--rate") {
      ok = number(v, o.rate) && o.rate >= 0;
    } else if (flag == "--duration") {
      ok = number(v, o.duration) && o.duration > 0;
    } else if (flag == "--warmup") {
      ok = number(v, o.warmup) && o.warmup >= 0;
    } else if (flag == "--count") {
      ok = number(v, o.count);
    } else if (flag == "--drain") {
      ok = number(v, o.drain) && o.drain >= 0;
    } else if (flag == "--idle") {
      ok = number(v, o.idle) && o.idle >= 0;
    } else if (flag == "--connect-rate") {
      ok = number(v, o.connect_rate) && o.connect_rate >= 0;
    } else if (flag == "--source") {
      o.sources = split(v);
    } else if (flag == "--threads") {
      ok = number(v, o.threads) && o.threads > 0;
    } else if (flag == "--server-pid") {
      ok = number(v, o.server_pid);
    } else if (flag == "--prefix") {
      o.prefix = v;
    } else {
      std::fprintf(stderr, "chat-load: unknown option %s (see --help)\n",
                   argv[i - 1]);
      return std::nullopt;
    }
    if (!ok) {
      std::fprintf(stderr, "chat-load: bad value for %s: %s\n", argv[i - 1],
                   argv[i]);
      return std::nullopt;
    }
  }
  if (o.protobuf && o.via == transport::tcp) o.protobuf = false;
  return o;
}

}  // namespace load
