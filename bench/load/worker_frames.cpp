// chat-load's protocol: frames in, checks, sends out within the window.
#include <chat/codec.hpp>
#include <chat/framing.hpp>

#include "conn.hpp"
#include "wire.hpp"
#include "worker.hpp"

#include <charconv>
#include <chrono>

namespace load {
namespace {

std::uint64_t now_ns() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<nanoseconds>(steady_clock::now().time_since_epoch())
          .count());
}

// A varint-delimited frame at the front of `in`: its size in all, 0 when
// incomplete, -1 when the prefix is bad.
long delimited(std::string_view in, std::string_view& payload) {
  std::uint64_t len = 0;
  for (std::size_t i = 0; i < in.size() && i < 10; ++i) {
    const auto b = static_cast<std::uint8_t>(in[i]);
    len |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      if (in.size() - i - 1 < len) return 0;
      payload = in.substr(i + 1, len);
      return static_cast<long>(i + 1 + len);
    }
  }
  return in.size() < 10 ? 0 : -1;
}

// True when `s` needs no escaping inside a JSON string.
bool plain_json_string(std::string_view s) {
  for (const char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    if (u < 0x20 || u >= 0x80 || ch == '"' || ch == '\\') return false;
  }
  return true;
}

}  // namespace

// Handles every complete frame in `bytes`; returns the bytes used.
std::size_t worker::parse(conn& c, std::string_view bytes) {
  std::size_t used = 0;
  if (c.state == conn::st::upgrading) {
    const auto end = bytes.find("\r\n\r\n");
    if (end == std::string_view::npos) return 0;
    if (!upgrade_accepted(bytes.substr(0, end))) {
      fail(c, true);
      return 0;
    }
    c.state = conn::st::welcoming;
    used = end + 4;
  }
  while (c.state != conn::st::closed && used < bytes.size()) {
    const std::string_view rest = bytes.substr(used);
    long n;
    if (opt_.via == transport::tcp) {
      std::string_view payload;
      n = delimited(rest, payload);
      if (n > 0) on_payload(c, payload, true);
    } else {
      frame f{};
      n = parse_frame(rest, f);
      if (n > 0 && !on_ws_frame(c, f)) n = -1;
    }
    if (n == 0) break;
    if (n < 0) {
      if (c.state != conn::st::closed) {
        ++tally_.bad_frames;
        fail(c, false);
      }
      return used;
    }
    used += static_cast<std::size_t>(n);
  }
  return used;
}

// False when the connection cannot go on (closed, or a protocol error).
bool worker::on_ws_frame(conn& c, const frame& f) {
  switch (f.op) {
    case opcode::ping:
      append_frame(c.out, opcode::pong, f.payload, c.mask);
      mark(c);
      return true;
    case opcode::pong:
      return true;
    case opcode::close:
      fail(c, false);
      return false;
    case opcode::continuation:
      if (c.fragments.empty()) return false;  // nothing to continue
      c.fragments.append(f.payload);
      if (f.fin) {
        const bool binary = c.fragments[0] != 0;
        on_payload(c, std::string_view(c.fragments).substr(1), binary);
        c.fragments.clear();
      }
      return true;
    case opcode::text:
    case opcode::binary:
      if (f.fin) {
        on_payload(c, f.payload, f.op == opcode::binary);
      } else {  // a first fragment: its kind, then its bytes
        c.fragments.assign(1, f.op == opcode::binary ? 1 : 0);
        c.fragments.append(f.payload);
      }
      return true;
  }
  return false;
}

void worker::on_payload(conn& c, std::string_view payload, bool binary) {
  const auto fmt =
      binary ? chat::wire_format::protobuf : chat::wire_format::json;
  if (chat::decode(payload, fmt, in_)) {
    ++tally_.bad_frames;
    return;
  }
  switch (in_.frame_case()) {
    case chat::v1::ServerFrame::kMessage:
      return on_message(c, in_.message());
    case chat::v1::ServerFrame::kSent:
      ++tally_.answered;
      return;
    case chat::v1::ServerFrame::kError: {
      const auto& e = in_.error();
      ++tally_.error_codes[e.code()];
      if (e.id().empty() || c.partner == nullptr) {
        ++tally_.other_errors;
        return;
      }
      ++c.rejected;
      ++tally_.rejected;
      return pump(c);
    }
    case chat::v1::ServerFrame::kWelcome:
      if (c.state != conn::st::welcoming) break;
      c.state = conn::st::open;
      (c.partner != nullptr ? active_open : idle_open).fetch_add(1);
      if (started_) pump(c);
      return;
    case chat::v1::ServerFrame::kPing: {
      chat::v1::ClientFrame pong;
      pong.mutable_pong()->set_id(in_.ping().id());
      write_frame(c, chat::encode(pong, fmt), binary);
      return;
    }
    case chat::v1::ServerFrame::kPong:
    case chat::v1::ServerFrame::kReceipt:
    case chat::v1::ServerFrame::kClose:  // the socket closes next
      return;
    default:
      break;
  }
  ++tally_.bad_frames;
}

void worker::on_message(conn& c, const chat::v1::Message& m) {
  std::uint64_t seq = 0, sent_ns = 0;
  const std::string& text =
      m.body_case() == chat::v1::Message::kText ? m.text() : m.data();
  if (c.partner == nullptr || m.from() != c.partner->user || m.to() != c.user ||
      text.size() != opt_.body || !read_body(text, seq, sent_ns) ||
      seq >= c.partner->sent) {
    ++tally_.misrouted;
    return;
  }
  if (seq >= c.expect) {  // the next one, or after a gap (rejects, or loss)
    ++c.received;
    ++received_;
    ++tally_.delivered;
    c.expect = seq + 1;
  } else {
    ++tally_.out_of_order;  // late or a duplicate: both break the contract
  }
  if (ctl_.measuring.load(std::memory_order_relaxed)) {
    ++tally_.measured;
    tally_.latency.add(now_ns() - sent_ns);
  }
  if (opt_.ack) {
    write_ack(c, m.message_id());
    ++tally_.acks;
  }
  pump(*c.partner);
}

// Sends while the window and the rate allow.
void worker::pump(conn& c) {
  if (!started_ || c.partner == nullptr || c.state != conn::st::open ||
      !ctl_.sending.load(std::memory_order_relaxed))
    return;
  const auto window = static_cast<std::uint64_t>(opt_.window);
  while (c.sent - c.rejected - c.partner->received < window &&
         (opt_.count == 0 || c.sent < opt_.count)) {
    if (opt_.rate > 0) {
      if (send_tokens_ < 1) {
        if (!c.blocked) {
          c.blocked = true;
          blocked_.push_back(&c);
        }
        return;
      }
      send_tokens_ -= 1;
    }
    write_send(c);
  }
}

void worker::write_send(conn& c) {
  stamp_body(body_, c.sent, now_ns());
  char id[20];
  const auto id_end = std::to_chars(id, id + sizeof id, c.sent).ptr;
  scratch_.clear();
  if (opt_.via == transport::ws && !opt_.protobuf) {
    scratch_.append(R"({"send":{"id":")").append(id, id_end);
    scratch_.append(R"(","to":")").append(c.partner->user);
    scratch_.append(R"(","text":")").append(body_).append("\"}}");
    write_frame(c, scratch_, false);
  } else {
    chat::v1::Send& s = *send_.mutable_send();
    s.set_id(id, static_cast<std::size_t>(id_end - id));
    s.set_to(c.partner->user);
    s.set_text(body_);
    send_.AppendToString(&scratch_);
    write_frame(c, scratch_, true);
  }
  ++c.sent;
  ++tally_.sent;
}

void worker::write_ack(conn& c, const std::string& message_id) {
  scratch_.clear();
  const bool binary = opt_.protobuf || opt_.via == transport::tcp;
  if (!binary && plain_json_string(message_id)) {
    scratch_.append(R"({"ack":{"messageId":")").append(message_id);
    scratch_.append("\"}}");
  } else {
    chat::v1::Ack& a = *ack_.mutable_ack();
    a.set_message_id(message_id);
    chat::encode(ack_,
                 binary ? chat::wire_format::protobuf : chat::wire_format::json,
                 scratch_);
  }
  write_frame(c, scratch_, binary);
}

void worker::write_frame(conn& c, std::string_view payload, bool binary) {
  if (opt_.via == transport::tcp) {
    chat::append_delimited(c.out, payload);
  } else {
    append_frame(c.out, binary ? opcode::binary : opcode::text, payload,
                 c.mask);
  }
  mark(c);
}

// Refills the rate's tokens and lets the connections that ran out send.
void worker::serve_blocked(double now_s) {
  if (opt_.rate <= 0) return;
  const double per_s = opt_.rate / opt_.threads;
  send_tokens_ = std::min(send_tokens_ + (now_s - last_s_) * per_s,
                          per_s / 100 + 1);  // at most a 10 ms burst
  while (!blocked_.empty() && send_tokens_ >= 1) {
    conn* c = blocked_.front();
    blocked_.pop_front();
    c->blocked = false;
    pump(*c);
  }
}

void worker::update_drained() {
  bool done = started_ && !ctl_.sending.load(std::memory_order_relaxed);
  if (started_ && opt_.count > 0) done = tally_.sent >= opt_.count * active_;
  done = done && tally_.sent - tally_.rejected == received_;
  drained.store(done, std::memory_order_relaxed);
}

std::uint64_t worker::lost() const {
  std::uint64_t n = 0;
  for (const auto& c : conns_) {
    if (c->partner == nullptr) continue;
    const conn& from = *c->partner;
    const std::uint64_t accepted = from.sent - from.rejected;
    if (accepted > c->received) n += accepted - c->received;
  }
  return n;
}

}  // namespace load
