#include "transport/ws_frame.hpp"

#include "codec/json_reader.hpp"

#include <cstring>

namespace chat::detail::ws {
namespace {

constexpr std::size_t max_control = 125;

bool is_control(unsigned op) noexcept { return (op & 0x8) != 0; }

std::uint64_t load_be(const unsigned char* p, int n) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// Where a valid UTF-8 prefix of `s` may end: before a last sequence that is
// still incomplete (its lead byte says more bytes follow than there are).
std::size_t complete_prefix(std::string_view s) noexcept {
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
    const unsigned char b = u[n - back];
    if ((b & 0xC0) == 0x80) continue;    // a continuation byte: look further
    if (b < 0xC2 || b > 0xF4) return n;  // ASCII, or never valid: check now
    const std::size_t len = b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    return len > back ? n - back : n;
  }
  return n;
}

}  // namespace

bool valid_close_code(std::uint16_t code) noexcept {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

void unmask(char* p, std::size_t size, const unsigned char key[4],
            std::size_t phase) noexcept {
  unsigned char k[8];
  for (std::size_t i = 0; i < 8; ++i) k[i] = key[(phase + i) & 3];
  std::uint64_t k64;
  std::memcpy(&k64, k, 8);
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t v;
    std::memcpy(&v, p + i, 8);
    v ^= k64;
    std::memcpy(p + i, &v, 8);
  }
  for (; i < size; ++i) p[i] = static_cast<char>(p[i] ^ k[i & 7]);
}

std::size_t reader::fail(event& ev, std::uint16_t code, const char* reason) {
  ev.what = event::fail;
  ev.code = code;
  ev.payload = reason;
  want_ = 0;
  return 0;
}

std::size_t reader::next(char* data, std::size_t size, event& ev) {
  ev = event{};
  want_ = 0;
  const auto* u = reinterpret_cast<const unsigned char*>(data);
  if (size < 2) return 0;

  const bool fin = (u[0] & 0x80) != 0;
  const unsigned op = u[0] & 0x0F;
  if ((u[0] & 0x70) != 0) {
    return fail(ev, close_code::protocol_error, "reserved bits set");
  }
  if (op != 0x0 && op != 0x1 && op != 0x2 && op != 0x8 && op != 0x9 &&
      op != 0xA) {
    return fail(ev, close_code::protocol_error, "reserved opcode");
  }
  if ((u[1] & 0x80) == 0) {
    return fail(ev, close_code::protocol_error, "client frame not masked");
  }

  std::uint64_t len = u[1] & 0x7F;
  std::size_t header = 2;
  if (len == 126) {
    header = 4;
    if (size < header) return 0;
    len = load_be(u + 2, 2);
    if (len < 126) {
      return fail(ev, close_code::protocol_error, "length not minimal");
    }
  } else if (len == 127) {
    header = 10;
    if (size < header) return 0;
    len = load_be(u + 2, 8);
    if (len >> 63) {
      return fail(ev, close_code::protocol_error, "length out of range");
    }
    if (len <= 0xFFFF) {
      return fail(ev, close_code::protocol_error, "length not minimal");
    }
  }

  if (is_control(op)) {
    if (!fin) return fail(ev, close_code::protocol_error, "fragmented control");
    if (len > max_control) {
      return fail(ev, close_code::protocol_error, "control frame too long");
    }
  } else if (op == 0x0) {
    if (!in_message_) {
      return fail(ev, close_code::protocol_error, "continuation without start");
    }
    if (len > max_ - fragments_->size()) {
      return fail(ev, close_code::too_big, "message too big");
    }
  } else {
    if (in_message_) {
      return fail(ev, close_code::protocol_error, "message interrupted");
    }
    if (len > max_) return fail(ev, close_code::too_big, "message too big");
  }

  header += 4;  // the masking key
  const std::size_t total = header + static_cast<std::size_t>(len);
  if (size < total) {
    if (size >= header) want_ = static_cast<std::uint32_t>(total);
    return 0;
  }

  char* payload = data + header;
  const std::size_t n = static_cast<std::size_t>(len);
  unmask(payload, n, u + header - 4);
  std::string_view body(payload, n);

  switch (op) {
    case 0x8: {  // close
      if (n == 1) {
        return fail(ev, close_code::protocol_error, "close payload of 1 byte");
      }
      ev.what = event::close;
      ev.code = close_code::no_status;
      if (n >= 2) {
        const auto code = static_cast<std::uint16_t>(
            load_be(reinterpret_cast<const unsigned char*>(payload), 2));
        if (!valid_close_code(code)) {
          return fail(ev, close_code::protocol_error, "invalid close code");
        }
        ev.code = code;
        body.remove_prefix(2);
        if (!detail::valid_utf8(body)) {
          return fail(ev, close_code::bad_payload, "close reason not UTF-8");
        }
      }
      ev.payload = body;
      return total;
    }
    case 0x9:
      ev.what = event::ping;
      ev.payload = body;
      return total;
    case 0xA:
      ev.what = event::pong;
      ev.payload = body;
      return total;
    default:
      break;
  }

  if (op != 0x0 && fin) {  // a whole message in one frame: no copy
    if (op == 0x1 && !detail::valid_utf8(body)) {
      return fail(ev, close_code::bad_payload, "text not UTF-8");
    }
    ev.what = event::message;
    ev.op = static_cast<opcode>(op);
    ev.payload = body;
    return total;
  }

  if (op != 0x0) {  // first fragment
    in_message_ = true;
    message_op_ = static_cast<opcode>(op);
    if (!fragments_) fragments_ = std::make_unique<std::string>();
    fragments_->clear();
    validated_ = 0;
  }
  fragments_->append(body);
  if (message_op_ == opcode::text) {  // fail fast on bad UTF-8
    const std::string_view all(*fragments_);
    const std::size_t upto = fin ? all.size() : complete_prefix(all);
    if (!detail::valid_utf8(all.substr(validated_, upto - validated_))) {
      return fail(ev, close_code::bad_payload, "text not UTF-8");
    }
    validated_ = static_cast<std::uint32_t>(upto);
  }
  if (!fin) return total;  // need_more, with bytes used: call again

  in_message_ = false;
  ev.what = event::message;
  ev.op = message_op_;
  ev.payload = *fragments_;
  return total;
}

std::size_t put_header(char* out, opcode op, std::size_t size) noexcept {
  out[0] = static_cast<char>(0x80 | static_cast<unsigned>(op));
  if (size < 126) {
    out[1] = static_cast<char>(size);
    return 2;
  }
  if (size <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<char>(size >> 8);
    out[3] = static_cast<char>(size);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) {
    out[2 + i] =
        static_cast<char>(static_cast<std::uint64_t>(size) >> (56 - 8 * i));
  }
  return 10;
}

void append_frame(std::string& out, opcode op, std::string_view payload) {
  char h[max_header];
  const std::size_t n = put_header(h, op, payload.size());
  out.reserve(out.size() + n + payload.size());
  out.append(h, n);
  out.append(payload);
}

void append_close(std::string& out, std::uint16_t code,
                  std::string_view reason) {
  if (reason.size() > max_control - 2) {
    std::size_t cut = max_control - 2;
    // Back up to a character boundary: never start a cut inside one.
    while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80)
      --cut;
    reason = reason.substr(0, cut);
  }
  char body[max_control];
  body[0] = static_cast<char>(code >> 8);
  body[1] = static_cast<char>(code);
  std::memcpy(body + 2, reason.data(), reason.size());
  append_frame(out, opcode::close, {body, reason.size() + 2});
}

}  // namespace chat::detail::ws
