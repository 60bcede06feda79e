// load::wire: the bytes chat-load writes and reads: the WebSocket client
// handshake and frames (RFC 6455, masked as a client must), and the text
// of each message, which carries its sequence number and send time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace load {

enum class opcode : std::uint8_t {
  continuation = 0,
  text = 1,
  binary = 2,
  close = 8,
  ping = 9,
  pong = 10
};

/// The HTTP upgrade request for `user` on `path`.
std::string upgrade_request(std::string_view host, std::string_view port,
                            std::string_view path, std::string_view user,
                            bool protobuf);

/// Checks a complete HTTP response head (up to and including the blank
/// line): true for "101 Switching Protocols".
bool upgrade_accepted(std::string_view head);

/// Appends one client frame: FIN set, masked with `mask`.
void append_frame(std::string& out, opcode op, std::string_view payload,
                  std::uint32_t mask);

/// One frame from the server, as parsed from the front of a buffer.
struct frame {
  opcode op;
  bool fin;
  std::string_view payload;  // points into the buffer
};

/// Parses the frame at the front of `in`: returns the bytes it takes, 0
/// when more bytes are needed, or -1 for a frame no server may send
/// (masked, or with a reserved bit set).
long parse_frame(std::string_view in, frame& out);

/// Writes "SEQ TIME " at the front of `body` (already sized and filled with
/// 'x'): the sequence number and the send time in ns.
void stamp_body(std::string& body, std::uint64_t seq, std::uint64_t time_ns);

/// Reads them back; false when the text is not one of ours.
bool read_body(std::string_view text, std::uint64_t& seq,
               std::uint64_t& time_ns);

}  // namespace load
