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

  chat::hooks hooks;
};

}  // namespace chat
