// WebSocket client framing and message stamps for chat-load.
#include "wire.hpp"

#include <charconv>
#include <cstring>

namespace load {

std::string upgrade_request(std::string_view host, std::string_view port,
                            std::string_view path, std::string_view user,
                            bool protobuf) {
  std::string r = "GET ";
  r.append(path);
  r.append(path.find('?') == std::string_view::npos ? "?user=" : "&user=");
  r.append(user);
  r.append(" HTTP/1.1\r\nHost: ");
  r.append(host).append(":").append(port);
  r.append(
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n");
  if (protobuf) r.append("Sec-WebSocket-Protocol: chat.v1.proto\r\n");
  r.append("\r\n");
  return r;
}

bool upgrade_accepted(std::string_view head) {
  return head.substr(0, 12) == "HTTP/1.1 101";
}

void append_frame(std::string& out, opcode op, std::string_view payload,
                  std::uint32_t mask) {
  char head[14];
  std::size_t n = 0;
  head[n++] = static_cast<char>(0x80 | static_cast<std::uint8_t>(op));
  const std::uint64_t len = payload.size();
  if (len < 126) {
    head[n++] = static_cast<char>(0x80 | len);
  } else if (len < 65536) {
    head[n++] = static_cast<char>(0x80 | 126);
    head[n++] = static_cast<char>(len >> 8);
    head[n++] = static_cast<char>(len);
  } else {
    head[n++] = static_cast<char>(0x80 | 127);
    for (int s = 56; s >= 0; s -= 8) head[n++] = static_cast<char>(len >> s);
  }
  unsigned char key[4];
  std::memcpy(key, &mask, 4);
  std::memcpy(head + n, key, 4);
  n += 4;
  out.append(head, n);
  const std::size_t at = out.size();
  out.append(payload);
  char* p = out.data() + at;
  for (std::size_t i = 0; i < payload.size(); ++i)
    p[i] = static_cast<char>(p[i] ^ key[i & 3]);
}

long parse_frame(std::string_view in, frame& out) {
  if (in.size() < 2) return 0;
  const auto b0 = static_cast<std::uint8_t>(in[0]);
  const auto b1 = static_cast<std::uint8_t>(in[1]);
  if ((b0 & 0x70) != 0 || (b1 & 0x80) != 0) return -1;
  std::uint64_t len = b1 & 0x7f;
  std::size_t at = 2;
  if (len == 126) {
    if (in.size() < 4) return 0;
    len = (static_cast<std::uint64_t>(static_cast<std::uint8_t>(in[2])) << 8) |
          static_cast<std::uint8_t>(in[3]);
    at = 4;
  } else if (len == 127) {
    if (in.size() < 10) return 0;
    len = 0;
    for (int i = 2; i < 10; ++i)
      len = (len << 8) | static_cast<std::uint8_t>(in[i]);
    at = 10;
  }
  if (len > (1u << 30)) return -1;
  if (in.size() - at < len) return 0;
  out.op = static_cast<opcode>(b0 & 0x0f);
  out.fin = (b0 & 0x80) != 0;
  out.payload = in.substr(at, len);
  return static_cast<long>(at + len);
}

void stamp_body(std::string& body, std::uint64_t seq, std::uint64_t time_ns) {
  char* p = body.data();
  char* end = p + body.size();
  p = std::to_chars(p, end, seq).ptr;
  *p++ = ' ';
  p = std::to_chars(p, end, time_ns).ptr;
  *p++ = ' ';
  // Overwrite what a longer stamp left last time.
  while (p != end && *p != 'x') *p++ = 'x';
}

bool read_body(std::string_view text, std::uint64_t& seq,
               std::uint64_t& time_ns) {
  const char* p = text.data();
  const char* end = p + text.size();
  auto r = std::from_chars(p, end, seq);
  if (r.ec != std::errc{} || r.ptr == end || *r.ptr != ' ') return false;
  r = std::from_chars(r.ptr + 1, end, time_ns);
  return r.ec == std::errc{} && r.ptr != end && *r.ptr == ' ';
}

}  // namespace load
