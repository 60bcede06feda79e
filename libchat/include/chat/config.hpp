// chat/config.hpp: everything `chat::server` needs to run.
//
// Defaults follow AWS API Gateway's WebSocket quotas where one applies, so a
// client written against either behaves the same.
#pragma once

#include <chat/connection.hpp>
#include <chat/hooks.hpp>
#include <chat/static_files.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace chat {

struct config {
  /// WebSocket (and HTTP) listen address, "host:port"; port 0 picks a free
  /// port. Empty disables the WebSocket transport.
  std::string listen = "127.0.0.1:8080";

  /// Raw TCP listen address for varint-delimited protobuf; empty (the
  /// default) disables it.
  std::string tcp_listen;

  /// API Gateway WebSocket API backend: the address of the HTTP endpoints
  /// that the `$connect`, `$disconnect` and `$default` route integrations
  /// call (docs/aws.md). Empty (the default) disables it.
  std::string apigw_listen;

  /// The stage's callback URL for `@connections`:
  /// "https://{api-id}.execute-api.{region}.amazonaws.com/{stage}", or the
  /// stage's "wss://" URL, from which it is derived. Required with
  /// `apigw_listen`.
  std::string apigw_callback;

  /// Sends an AWS X-Ray segment for each apigw integration request, with a
  /// subsegment for each `@connections` call it causes.
  bool xray = false;

  /// The X-Ray daemon's UDP address; empty means AWS_XRAY_DAEMON_ADDRESS,
  /// else 127.0.0.1:2000.
  std::string xray_daemon;

  /// I/O threads, one `io_context` each; 0 means one per core.
  unsigned threads = 0;

  /// Largest frame accepted, in bytes: API Gateway's 128 KiB message quota.
  std::size_t max_message_bytes = 128 * 1024;

  /// Time a client has to finish its handshake (HTTP upgrade, or the hello
  /// on raw TCP).
  std::chrono::milliseconds handshake_timeout{10'000};

  /// A connection that sends nothing for this long is closed; WebSocket
  /// peers are pinged before that. API Gateway's idle timeout is 10 min.
  std::chrono::milliseconds idle_timeout{600'000};

  /// A WebSocket peer that has sent nothing for this long (or half the
  /// idle timeout, if that is sooner) is pinged; its pong counts as
  /// traffic. Keeps NATs and proxies from dropping quiet connections.
  std::chrono::milliseconds ping_interval{30'000};

  /// Longest a connection may live; it is then closed with 1001 "max
  /// connection lifetime" (API Gateway closes after 2 h; chatd defaults to
  /// that). 0, the library default, means no limit.
  std::chrono::milliseconds max_connection_lifetime{0};

  /// Per-connection token bucket for `send` frames: refilled at
  /// `rate_limit` sends per second, holding at most `rate_burst`. A send
  /// over it is answered RATE_LIMITED; `rate_burst` refusals in a row close
  /// the connection with 1008. Only sends count: acks, receipts and pings
  /// answer what the server sent. Set both or neither (0, 0: off, the
  /// library default; check() says so at start).
  std::uint32_t rate_limit = 0;
  std::uint32_t rate_burst = 0;

  /// Bytes a connection may have queued for writing (uWebSockets'
  /// backpressure limit, in spirit): a reader that falls this far behind is
  /// closed with 1013 "send queue full"; what it had not acked stays in its
  /// inbox and is delivered again when it reconnects.
  std::size_t max_send_queue_bytes = 1024 * 1024;

  /// How long one write may stay unfinished (the peer not reading) before
  /// the socket is closed.
  std::chrono::milliseconds write_timeout{30'000};

  /// TLS for the WebSocket and raw TCP listeners (wss://, TLS-TCP): the
  /// certificate chain and private key, PEM files read at start(). Both
  /// or neither; TLS 1.2 and 1.3 only, forward-secret AEAD ciphers. The
  /// handshake counts against `handshake_timeout`.
  std::string tls_cert;
  std::string tls_key;

  /// Per peer address, on each listener: connections open at once, and new
  /// connections per second. Over either, an HTTP request gets 429 and a
  /// raw TCP connection is closed. 0 (the default) is off: behind a load
  /// balancer every client has its address, and a benchmark on loopback
  /// opens thousands.
  std::size_t max_connections_per_ip = 0;
  std::size_t connect_rate_per_ip = 0;

  /// How long `stop()` lets connections flush what is queued before it
  /// closes them anyway.
  std::chrono::milliseconds drain_timeout{5'000};

  /// The close code `stop()` sends every connection. 1001 "going away" says
  /// the server is leaving; 1012 "service restart" tells clients to
  /// reconnect, which is what a rolling deploy wants (chatd uses it).
  close_code shutdown_close_code = close_code::going_away;

  /// Where delivery state lives (queued and unacked messages, receipts,
  /// dedup): "memory" (lost on exit), or "sqlite:PATH", one SQLite file
  /// where a send is answered only once it is on disk.
  std::string store = "memory";

  /// Bounds of one user's inbox (messages queued or delivered and not yet
  /// acked); a send beyond either is refused with INBOX_FULL.
  std::size_t inbox_max_messages = 10'000;
  std::size_t inbox_max_bytes = 64 * 1024 * 1024;

  /// A message not acked this long after it was sent is dropped.
  std::chrono::milliseconds message_ttl{7LL * 24 * 3600 * 1000};

  /// A resend with the client id of an earlier send, within this time and
  /// within the sender's last `dedup_max_ids` sends, gets the earlier answer
  /// and is not delivered again.
  std::chrono::milliseconds dedup_window{10 * 60 * 1000};
  std::size_t dedup_max_ids = 10'000;

  /// Names this node in connection and message ids; empty picks a random one.
  /// In a cluster, connection ids start with it, so `toConnection` finds
  /// the node.
  std::string node_id;

  /// Cluster mode (docs/cluster.md): the NATS servers to join
  /// ("nats://host:port", several for a NATS cluster). Empty (the default):
  /// one node, delivery state in `store`. Set: users on any node reach each
  /// other, and the shared inbox is the JetStream stream CHAT (nats-server
  /// runs with -js); `store` is not used.
  std::vector<std::string> nats;
  /// A NATS credentials file (JWT and nkey seed); empty for none.
  std::string nats_creds;
  /// TLS to NATS: the CA that signs the servers, and this node's
  /// certificate and key for mutual TLS; empty for none.
  std::string nats_tls_ca;
  std::string nats_tls_cert;
  std::string nats_tls_key;
  /// Replicas of the CHAT stream: 1 for one nats-server, 3 for a NATS
  /// cluster that should survive the loss of one server.
  std::size_t nats_replicas = 1;

  /// Files the WebSocket port serves to GET and HEAD at any path other than
  /// /ws, /healthz, /readyz and /metrics (chatd's web client). Null (the
  /// default): those paths are 404.
  std::shared_ptr<const static_files> files;

  /// Origins allowed to open a WebSocket ("https://app.example.com", as
  /// browsers send them: lowercase scheme://host[:port]). Set, an upgrade
  /// whose Origin header is not one of them exactly gets 403; one without
  /// an Origin header (not a browser) is let through. Empty: any origin.
  std::vector<std::string> allowed_origins;

  /// A WebSocket upgrade refused 401 for lack of a token is accepted
  /// anyway when this is set, and its first frame must then be a hello
  /// whose token the authenticate hook accepts, within handshake_timeout
  /// (for clients that can put a token neither in a header nor in the URL).
  bool auth_in_first_frame = false;

  chat::hooks hooks;
};

/// Why `c` cannot run (one sentence naming the settings), or "" when it can.
/// chat::server::start() refuses such a config; chatd reports it at start.
std::string check(const config& c);

}  // namespace chat
