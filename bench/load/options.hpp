// load::options: what chat-load is asked to do, from its command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace load {

enum class transport { ws, tcp };

struct options {
  transport via = transport::ws;
  std::string host = "127.0.0.1";
  std::string port = "8080";
  std::string path = "/ws";  // ws only
  std::string peer_port;     // the b side of each pair connects here

  bool protobuf = false;    // ws: chat.v1.proto binary frames
  int pairs = 1000;         // each pair: a<->b, both directions
  std::size_t body = 64;    // bytes of text per message
  int window = 16;          // messages in flight per connection
  double rate = 0;          // messages/s in all; 0 = as fast as it goes
  double duration = 10;     // seconds measured
  double warmup = 1;        // seconds run before measuring
  std::uint64_t count = 0;  // per connection, then stop; 0 = duration
  double drain = 5;         // seconds to wait for messages in flight
  int idle = 0;             // extra connections that only sit
  double connect_rate = 0;  // new connections/s; 0 = unlimited
  std::vector<std::string> sources;  // local addresses to connect from
  int threads = 1;                   // event loops
  bool ack = false;                  // ack every message received
  int server_pid = 0;                // for the server's RSS and CPU
  std::string prefix = "load";       // user names: {prefix}a{i}, {prefix}b{i}
};

/// Parses argv; on a bad or missing value, or --help, prints to stderr and
/// returns nullopt (`help` tells which).
std::optional<options> parse(int argc, char** argv, bool& help);

}  // namespace load
