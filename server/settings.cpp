#include "settings.hpp"

#include <cctype>
#include <charconv>

namespace chatd {
namespace {

using namespace std::chrono;

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) continue;  // never valid here
    out.push_back(c);
  }
  return out + "\"";
}

bool parse_u64(std::string_view s, std::uint64_t& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

std::string got(std::string_view v) { return ", got " + quote(v); }

// "HOST:PORT", "[V6]:PORT", or empty where `may_be_empty` (off).
std::string check_address(std::string_view v, bool may_be_empty) {
  if (v.empty()) return may_be_empty ? "" : "must not be empty";
  const auto colon = v.rfind(':');
  std::uint64_t port = 0;
  if (colon == std::string_view::npos || colon == 0 ||
      !parse_u64(v.substr(colon + 1), port) || port > 65535) {
    return "expected HOST:PORT with a port from 0 to 65535" + got(v);
  }
  return "";
}

// "25s", "500ms", "2m", or a bare number of seconds.
std::string parse_duration(std::string_view v, milliseconds min,
                           milliseconds max, milliseconds& out) {
  std::size_t digits = 0;
  while (digits < v.size() &&
         std::isdigit(static_cast<unsigned char>(v[digits])))
    ++digits;
  std::uint64_t n = 0;
  const std::string_view unit = v.substr(digits);
  if (!parse_u64(v.substr(0, digits), n) || n > 1'000'000'000) {
    return "expected a duration such as 25s, 500ms or 2m" + got(v);
  }
  std::uint64_t ms = 0;
  if (unit == "ms")
    ms = n;
  else if (unit == "s" || unit.empty())
    ms = n * 1000;
  else if (unit == "m")
    ms = n * 60'000;
  else if (unit == "h")
    ms = n * 3'600'000;
  else if (unit == "d")
    ms = n * 86'400'000;
  else
    return "expected a duration such as 25s, 500ms or 2m" + got(v);
  if (milliseconds(ms) < min || milliseconds(ms) > max) {
    return "must be from " + std::to_string(min.count()) + "ms to " +
           std::to_string(max.count() / 1000) + "s" + got(v);
  }
  out = milliseconds(ms);
  return "";
}

std::string show_duration(milliseconds d) {
  return quote(d.count() % 1000 == 0 ? std::to_string(d.count() / 1000) + "s"
                                     : std::to_string(d.count()) + "ms");
}

std::string parse_bool(std::string_view v, bool& out) {
  if (v == "true" || v == "1")
    out = true;
  else if (v == "false" || v == "0")
    out = false;
  else
    return "expected true or false" + got(v);
  return "";
}

std::string show_bool(bool b) { return b ? "true" : "false"; }

std::string parse_count(std::string_view v, std::uint64_t min,
                        std::uint64_t max, std::size_t& out) {
  std::uint64_t n = 0;
  if (!parse_u64(v, n) || n < min || n > max) {
    return "expected a number from " + std::to_string(min) + " to " +
           std::to_string(max) + got(v);
  }
  out = static_cast<std::size_t>(n);
  return "";
}

std::string parse_u32(std::string_view v, std::uint32_t min, std::uint32_t max,
                      std::uint32_t& out) {
  std::size_t n = 0;
  auto e = parse_count(v, min, max, n);
  if (e.empty()) out = static_cast<std::uint32_t>(n);
  return e;
}

std::string parse_level(std::string_view v, chat::log_level& out) {
  using chat::log_level;
  for (auto l : {log_level::trace, log_level::debug, log_level::info,
                 log_level::warn, log_level::error, log_level::off}) {
    if (v == chat::to_string(l)) {
      out = l;
      return "";
    }
  }
  return "expected trace, debug, info, warn, error or off" + got(v);
}

std::string check_node_id(std::string_view v) {
  if (v.size() > 32) return "at most 32 characters" + got(v);
  for (const char c : v) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
      return "expected letters, digits, '-' and '_' only" + got(v);
  }
  return "";
}

// An origin as browsers serialize it: scheme://host[:port], lowercase, no
// path, so that the exact match in the server is the right one.
std::string check_origin(std::string_view v) {
  const auto sep = v.find("://");
  const auto host = sep == v.npos ? std::string_view{} : v.substr(sep + 3);
  const auto scheme = v.substr(0, sep);
  if (scheme != "http" && scheme != "https") {
    return "expected https://host[:port]" + got(v);
  }
  if (host.empty()) return "expected https://host[:port]" + got(v);
  for (const char c : host) {
    if (!std::islower(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)) && c != '.' && c != '-' &&
        c != ':' && c != '[' && c != ']') {
      return "expected lowercase https://host[:port] with no path" + got(v);
    }
  }
  return "";
}

const std::vector<setting> table = {
    {"listen",
     "WebSocket and HTTP address (default 127.0.0.1:8080); empty: off",
     [](std::string_view v, options& o) {
       auto e = check_address(v, true);
       if (e.empty()) o.cfg.listen = v;
       return e;
     },
     [](const options& o) { return quote(o.cfg.listen); }},
    {"tcp_listen", "raw TCP (varint-delimited protobuf) address (default off)",
     [](std::string_view v, options& o) {
       auto e = check_address(v, true);
       if (e.empty()) o.cfg.tcp_listen = v;
       return e;
     },
     [](const options& o) { return quote(o.cfg.tcp_listen); }},
    {"apigw_listen",
     "API Gateway WebSocket API integrations (POST /apigw/connect, "
     "/apigw/disconnect, /apigw/default; docs/aws.md); default off",
     [](std::string_view v, options& o) {
       auto e = check_address(v, true);
       if (e.empty()) o.cfg.apigw_listen = v;
       return e;
     },
     [](const options& o) { return quote(o.cfg.apigw_listen); }},
    {"apigw_callback",
     "the stage's URL for @connections, https://ID.execute-api.REGION."
     "amazonaws.com/STAGE (its wss:// URL works too); credentials from "
     "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN or the ECS "
     "task role",
     [](std::string_view v, options& o) -> std::string {
       if (!v.empty() && !v.starts_with("https://") &&
           !v.starts_with("wss://") && !v.starts_with("http://"))
         return "expected an https:// or wss:// URL" + got(v);
       o.cfg.apigw_callback = v;
       return "";
     },
     [](const options& o) { return quote(o.cfg.apigw_callback); }},
    {"xray",
     "true: send an AWS X-Ray segment per apigw integration request to the "
     "daemon at AWS_XRAY_DAEMON_ADDRESS (default 127.0.0.1:2000)",
     [](std::string_view v, options& o) { return parse_bool(v, o.cfg.xray); },
     [](const options& o) { return show_bool(o.cfg.xray); }},
    {"threads", "I/O threads, one event loop each (default 0: one per core)",
     [](std::string_view v, options& o) -> std::string {
       std::uint64_t n = 0;
       if (!parse_u64(v, n) || n > 1024)
         return "expected a number from 0 to 1024" + got(v);
       o.cfg.threads = static_cast<unsigned>(n);
       return "";
     },
     [](const options& o) { return std::to_string(o.cfg.threads); }},
    {"auth",
     "how clients prove who they are: \"jwt\" (a signed token: "
     "Authorization: Bearer, ?token= or the first frame's hello.token; the "
     "user is its sub; docs/security.md) or \"none\" (the default, for "
     "development only: the user is ?user=NAME or the TCP hello)",
     [](std::string_view v, options& o) -> std::string {
       if (v != "none" && v != "jwt") return "expected none or jwt" + got(v);
       o.auth = v;
       return "";
     },
     [](const options& o) { return quote(o.auth); }},
    {"jwt_hs256_secret_file",
     "--auth jwt: a file holding the HS256 secret (32 bytes or more; one "
     "trailing newline is dropped); pins HS256",
     [](std::string_view v, options& o) -> std::string {
       o.jwt_hs256_secret_file = v;
       return "";
     },
     [](const options& o) { return quote(o.jwt_hs256_secret_file); }},
    {"jwt_public_key",
     "--auth jwt: a PEM public key file; RSA (2048 bits or more) pins RS256, "
     "EC P-256 pins ES256",
     [](std::string_view v, options& o) -> std::string {
       o.jwt_public_key_file = v;
       return "";
     },
     [](const options& o) { return quote(o.jwt_public_key_file); }},
    {"jwt_issuer", "--auth jwt: the iss tokens must have (default: any)",
     [](std::string_view v, options& o) -> std::string {
       o.jwt.issuer = v;
       return "";
     },
     [](const options& o) { return quote(o.jwt.issuer); }},
    {"jwt_audience",
     "--auth jwt: a value tokens' aud must contain (default: any)",
     [](std::string_view v, options& o) -> std::string {
       o.jwt.audience = v;
       return "";
     },
     [](const options& o) { return quote(o.jwt.audience); }},
    {"jwt_leeway",
     "--auth jwt: clock skew allowed on exp and nbf, at most 60s "
     "(default 0s)",
     [](std::string_view v, options& o) {
       milliseconds ms{};
       auto e = parse_duration(v, milliseconds(0), seconds(60), ms);
       if (e.empty()) o.jwt.leeway = duration_cast<seconds>(ms);
       return e;
     },
     [](const options& o) {
       return show_duration(duration_cast<milliseconds>(o.jwt.leeway));
     }},
    {"allowed_origin",
     "a browser Origin allowed to open a WebSocket, exactly as browsers send "
     "it: https://host[:port], lowercase (repeatable, or comma-separated); "
     "set, other origins get 403 (default: any)",
     [](std::string_view v, options& o) -> std::string {
       for (std::string_view rest = v; !rest.empty();) {
         const auto comma = rest.find(',');
         const auto one = rest.substr(0, comma);
         rest = comma == rest.npos ? "" : rest.substr(comma + 1);
         if (auto e = check_origin(one); !e.empty()) return e;
         o.cfg.allowed_origins.emplace_back(one);
       }
       return "";
     },
     [](const options& o) {
       std::string all;
       for (const auto& a : o.cfg.allowed_origins)
         all.append(all.empty() ? "" : ",").append(a);
       return quote(all);
     }},
    {"log_level", "trace, debug, info, warn, error or off (default info)",
     [](std::string_view v, options& o) {
       return parse_level(v, o.cfg.hooks.min_level);
     },
     [](const options& o) {
       return quote(chat::to_string(o.cfg.hooks.min_level));
     }},
    {"log_format", "json (one object per line, the default) or text",
     [](std::string_view v, options& o) -> std::string {
       if (v == "json")
         o.format = log_format::json;
       else if (v == "text")
         o.format = log_format::text;
       else
         return "expected json or text" + got(v);
       return "";
     },
     [](const options& o) {
       return quote(o.format == log_format::json ? "json" : "text");
     }},
    {"drain_timeout",
     "on SIGTERM, time to flush and close connections (default 25s, under "
     "ECS's 30s before SIGKILL)",
     [](std::string_view v, options& o) {
       return parse_duration(v, milliseconds(0), hours(1), o.cfg.drain_timeout);
     },
     [](const options& o) { return show_duration(o.cfg.drain_timeout); }},
    {"shutdown_close_code",
     "close code sent on SIGTERM: 1001 \"going away\" (the default) or 1012 "
     "\"service restart\" (reconnect elsewhere; the ECS deployment's)",
     [](std::string_view v, options& o) -> std::string {
       if (v == "1012")
         o.cfg.shutdown_close_code = chat::close_code::service_restart;
       else if (v == "1001")
         o.cfg.shutdown_close_code = chat::close_code::going_away;
       else
         return "expected 1012 or 1001" + got(v);
       return "";
     },
     [](const options& o) {
       return std::to_string(static_cast<unsigned>(o.cfg.shutdown_close_code));
     }},
    {"handshake_timeout",
     "time to finish the upgrade or TCP hello (default 10s)",
     [](std::string_view v, options& o) {
       return parse_duration(v, milliseconds(100), minutes(10),
                             o.cfg.handshake_timeout);
     },
     [](const options& o) { return show_duration(o.cfg.handshake_timeout); }},
    {"idle_timeout", "close a connection silent this long (default 10m)",
     [](std::string_view v, options& o) {
       return parse_duration(v, seconds(1), hours(24), o.cfg.idle_timeout);
     },
     [](const options& o) { return show_duration(o.cfg.idle_timeout); }},
    {"ping_interval",
     "ping a WebSocket peer silent this long (default 30s; at most half the "
     "idle timeout)",
     [](std::string_view v, options& o) {
       return parse_duration(v, milliseconds(100), hours(24),
                             o.cfg.ping_interval);
     },
     [](const options& o) { return show_duration(o.cfg.ping_interval); }},
    {"max_message_bytes", "largest frame accepted (default 131072)",
     [](std::string_view v, options& o) {
       return parse_count(v, 256, 16 * 1024 * 1024, o.cfg.max_message_bytes);
     },
     [](const options& o) { return std::to_string(o.cfg.max_message_bytes); }},
    {"max_connection_lifetime",
     "close a connection this old with 1001 \"max connection lifetime\" "
     "(default 2h, API Gateway's; 0: no limit)",
     [](std::string_view v, options& o) {
       return parse_duration(v, milliseconds(0), hours(24 * 366),
                             o.cfg.max_connection_lifetime);
     },
     [](const options& o) {
       return show_duration(o.cfg.max_connection_lifetime);
     }},
    {"rate_limit",
     "sends per second one connection may make (token bucket refill); set "
     "with --rate-burst; over it a send gets RATE_LIMITED, and --rate-burst "
     "refusals in a row close with 1008 (default 0: off)",
     [](std::string_view v, options& o) {
       return parse_u32(v, 0, 1'000'000, o.cfg.rate_limit);
     },
     [](const options& o) { return std::to_string(o.cfg.rate_limit); }},
    {"rate_burst",
     "sends one connection may make at once (the bucket's size); set with "
     "--rate-limit (default 0: off)",
     [](std::string_view v, options& o) {
       return parse_u32(v, 0, 1'000'000, o.cfg.rate_burst);
     },
     [](const options& o) { return std::to_string(o.cfg.rate_burst); }},
    {"tls_cert",
     "PEM certificate chain: the listen and tcp_listen ports speak TLS 1.2+ "
     "(wss://, TLS-TCP); set with --tls-key (default empty: plain)",
     [](std::string_view v, options& o) -> std::string {
       o.cfg.tls_cert = v;
       return "";
     },
     [](const options& o) { return quote(o.cfg.tls_cert); }},
    {"tls_key", "PEM private key of --tls-cert (default empty)",
     [](std::string_view v, options& o) -> std::string {
       o.cfg.tls_key = v;
       return "";
     },
     [](const options& o) { return quote(o.cfg.tls_key); }},
    {"max_connections_per_ip",
     "connections one address may have open on a listener; over it HTTP "
     "gets 429 and raw TCP is closed (default 0: off; behind a load "
     "balancer every client has its address)",
     [](std::string_view v, options& o) {
       return parse_count(v, 0, 10'000'000, o.cfg.max_connections_per_ip);
     },
     [](const options& o) {
       return std::to_string(o.cfg.max_connections_per_ip);
     }},
    {"connect_rate_per_ip",
     "new connections one address may open per second on a listener; over "
     "it as --max-connections-per-ip (default 0: off)",
     [](std::string_view v, options& o) {
       return parse_count(v, 0, 10'000'000, o.cfg.connect_rate_per_ip);
     },
     [](const options& o) {
       return std::to_string(o.cfg.connect_rate_per_ip);
     }},
    {"max_send_queue_bytes",
     "bytes queued for one slow reader before it is closed with 1013 \"send "
     "queue full\"; its unacked messages wait in its inbox (default 1048576)",
     [](std::string_view v, options& o) {
       return parse_count(v, 1024, std::uint64_t{1} << 32,
                          o.cfg.max_send_queue_bytes);
     },
     [](const options& o) {
       return std::to_string(o.cfg.max_send_queue_bytes);
     }},
    {"write_timeout",
     "a write the peer does not take this long closes the socket (default "
     "30s)",
     [](std::string_view v, options& o) {
       return parse_duration(v, milliseconds(100), hours(1),
                             o.cfg.write_timeout);
     },
     [](const options& o) { return show_duration(o.cfg.write_timeout); }},
    {"node_id", "names this node in ids (default: random)",
     [](std::string_view v, options& o) {
       auto e = check_node_id(v);
       if (e.empty()) o.cfg.node_id = v;
       return e;
     },
     [](const options& o) { return quote(o.cfg.node_id); }},
    {"store",
     "where queued/unacked messages, receipts and dedup live: memory (the "
     "default; lost on exit) or sqlite:PATH (one file; a send is answered once "
     "it is on disk)",
     [](std::string_view v, options& o) -> std::string {
       if (v != "memory" && (v.rfind("sqlite:", 0) != 0 || v.size() == 7))
         return "expected memory or sqlite:PATH" + got(v);
       o.cfg.store = v;
       return "";
     },
     [](const options& o) { return quote(o.cfg.store); }},
    {"nats",
     "cluster mode: the NATS servers to join, nats://HOST:PORT (repeat the "
     "flag, or separate with commas, for a NATS cluster); the shared inbox "
     "is the JetStream stream CHAT and --store is not used (docs/cluster.md). "
     "Default empty: one node",
     [](std::string_view v, options& o) -> std::string {
       std::vector<std::string> urls;
       while (!v.empty()) {
         const auto comma = v.find(',');
         std::string_view url = v.substr(0, comma);
         v = comma == std::string_view::npos ? std::string_view()
                                             : v.substr(comma + 1);
         if (url.empty()) continue;
         if (url.find("://") == std::string_view::npos)
           return "expected nats://HOST:PORT (or tls://)" + got(url);
         urls.emplace_back(url);
       }
       o.cfg.nats = std::move(urls);
       return "";
     },
     [](const options& o) {
       std::string all;
       for (const auto& u : o.cfg.nats) all += (all.empty() ? "" : ",") + u;
       return quote(all);
     }},
    {"nats_creds", "NATS credentials file (JWT and nkey seed); default none",
     [](std::string_view v, options& o) -> std::string {
       o.cfg.nats_creds = v;
       return "";
     },
     [](const options& o) { return quote(o.cfg.nats_creds); }},
    {"nats_tls_ca", "CA file that signs the NATS servers (TLS); default none",
     [](std::string_view v, options& o) -> std::string {
       o.cfg.nats_tls_ca = v;
       return "";
     },
     [](const options& o) { return quote(o.cfg.nats_tls_ca); }},
    {"nats_tls_cert", "this node's certificate for NATS mutual TLS",
     [](std::string_view v, options& o) -> std::string {
       o.cfg.nats_tls_cert = v;
       return "";
     },
     [](const options& o) { return quote(o.cfg.nats_tls_cert); }},
    {"nats_tls_key", "the key of --nats-tls-cert",
     [](std::string_view v, options& o) -> std::string {
       o.cfg.nats_tls_key = v;
       return "";
     },
     [](const options& o) { return quote(o.cfg.nats_tls_key); }},
    {"nats_replicas",
     "replicas of the CHAT stream: 1 (default) for one nats-server, 3 for a "
     "NATS cluster that survives losing a server",
     [](std::string_view v, options& o) {
       return parse_count(v, 1, 5, o.cfg.nats_replicas);
     },
     [](const options& o) { return std::to_string(o.cfg.nats_replicas); }},
    {"inbox_max_messages",
     "messages one user may have waiting (queued or unacked) before sends to "
     "it get INBOX_FULL (default 10000)",
     [](std::string_view v, options& o) {
       return parse_count(v, 1, 10'000'000, o.cfg.inbox_max_messages);
     },
     [](const options& o) { return std::to_string(o.cfg.inbox_max_messages); }},
    {"inbox_max_bytes",
     "bytes one user may have waiting before INBOX_FULL (default 67108864)",
     [](std::string_view v, options& o) {
       return parse_count(v, 1024, std::uint64_t{1} << 40,
                          o.cfg.inbox_max_bytes);
     },
     [](const options& o) { return std::to_string(o.cfg.inbox_max_bytes); }},
    {"message_ttl",
     "an unacked message is dropped this long after it was sent (default 7d)",
     [](std::string_view v, options& o) {
       return parse_duration(v, seconds(1), hours(24 * 366), o.cfg.message_ttl);
     },
     [](const options& o) { return show_duration(o.cfg.message_ttl); }},
    {"dedup_window",
     "a resend with the same client id within this time gets the first answer "
     "and is not delivered again (default 10m)",
     [](std::string_view v, options& o) {
       return parse_duration(v, milliseconds(0), hours(24 * 7),
                             o.cfg.dedup_window);
     },
     [](const options& o) { return show_duration(o.cfg.dedup_window); }},
    {"dedup_max_ids",
     "... and within the sender's last this many sends (default 10000)",
     [](std::string_view v, options& o) {
       return parse_count(v, 1, 10'000'000, o.cfg.dedup_max_ids);
     },
     [](const options& o) { return std::to_string(o.cfg.dedup_max_ids); }},
    {"web",
     "serve the web chat client at / on the listen address (default true)",
     [](std::string_view v, options& o) { return parse_bool(v, o.web); },
     [](const options& o) { return show_bool(o.web); }},
    {"web_root",
     "serve the web client from this directory, read at start, instead of "
     "the copy built into chatd (for working on server/web); default empty",
     [](std::string_view v, options& o) -> std::string {
       o.web_root = v;
       return "";
     },
     [](const options& o) { return quote(o.web_root); }},
};

}  // namespace

options::options() {
  cfg.drain_timeout = seconds(25);
  cfg.max_connection_lifetime = hours(2);
}

const std::vector<setting>& settings() { return table; }

const setting* find_setting(std::string_view key) {
  for (const auto& s : table)
    if (s.key == key) return &s;
  return nullptr;
}

std::string flag_name(const setting& s) {
  std::string f = "--" + std::string(s.key);
  for (auto& c : f)
    if (c == '_') c = '-';
  return f;
}

std::string env_name(const setting& s) {
  std::string e = "CHAT_" + std::string(s.key);
  for (auto& c : e)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return e;
}

std::string print_config(const options& o) {
  std::string out =
      "# chatd effective configuration\n"
      "# precedence: flag > CHAT_* environment > --config file > default\n";
  for (const auto& s : table)
    out.append(s.key).append(" = ").append(s.show(o)).append("\n");
  return out;
}

}  // namespace chatd
