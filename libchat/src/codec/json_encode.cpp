// Fast JSON encoding: byte for byte what protobuf's JSON printer writes
// (fields in field-number order, defaults omitted, oneof members and
// message fields printed when set, its escaping of strings).
#include "codec/json.hpp"
#include "codec/json_writer.hpp"

#include <algorithm>
#include <charconv>

namespace chat::detail {
namespace {

// Writes one object's members, each preceded by a comma but the first.
class members {
 public:
  explicit members(std::string& out) : out_(out) { out_.push_back('{'); }

  // `"name":` for a member that follows.
  // (One append: the protocol's names are short.)
  std::string& key(std::string_view name) {
    char buf[40];
    std::size_t n = 0;
    if (!first_) buf[n++] = ',';
    first_ = false;
    buf[n++] = '"';
    name.copy(buf + n, sizeof buf - 3 - n);
    n += std::min(name.size(), sizeof buf - 3 - n);
    buf[n++] = '"';
    buf[n++] = ':';
    out_.append(buf, n);
    return out_;
  }

  // A string field without presence: printed unless empty.
  bool str(std::string_view name, const std::string& v) {
    return v.empty() || append_quoted(key(name), v);
  }

  // An enum field: its name, or nothing at 0; false for a value without a
  // name (protobuf prints the number, which the generic path does).
  template <class Enum, class Name>
  bool enumeration(std::string_view name, Enum v, bool valid, Name to_name) {
    if (static_cast<int>(v) == 0) return true;
    if (!valid) return false;
    append_quoted(key(name), to_name(v));
    return true;
  }

  void end() { out_.push_back('}'); }

 private:
  std::string& out_;
  bool first_ = true;
};

bool ping(std::string& out, const v1::Ping& p) {
  members o(out);
  if (!o.str("id", p.id())) return false;
  o.end();
  return true;
}

// ---- the frames, in field-number order ----

bool message(std::string& out, const v1::Message& m) {
  members o(out);
  if (!o.str("messageId", m.message_id()) || !o.str("from", m.from()) ||
      !o.str("to", m.to()))
    return false;
  if (m.body_case() == v1::Message::kText) {
    if (!append_quoted(o.key("text"), m.text())) return false;
  } else if (m.body_case() == v1::Message::kData) {
    append_base64(o.key("data"), m.data());
  }
  if (m.has_sent_at() && !append_timestamp(o.key("sentAt"), m.sent_at()))
    return false;
  if (!o.str("fromConnection", m.from_connection())) return false;
  if (m.copy()) o.key("copy").append("true");
  if (!o.str("id", m.id())) return false;
  o.end();
  return true;
}

bool sent(std::string& out, const v1::Sent& s) {
  members o(out);
  if (!o.str("id", s.id()) || !o.str("messageId", s.message_id()) ||
      !o.enumeration("status", s.status(), v1::Sent::Status_IsValid(s.status()),
                     [](auto v) { return v1::Sent::Status_Name(v); }))
    return false;
  o.end();
  return true;
}

bool receipt(std::string& out, const v1::Receipt& r) {
  members o(out);
  if (!o.str("messageId", r.message_id()) || !o.str("id", r.id()) ||
      !o.enumeration("status", r.status(),
                     v1::Receipt::Status_IsValid(r.status()),
                     [](auto v) { return v1::Receipt::Status_Name(v); }) ||
      !o.str("by", r.by()))
    return false;
  if (r.has_at() && !append_timestamp(o.key("at"), r.at())) return false;
  o.end();
  return true;
}

bool error_frame(std::string& out, const v1::Error& e) {
  members o(out);
  if (!o.str("id", e.id()) ||
      !o.enumeration("code", e.code(), v1::Error::Code_IsValid(e.code()),
                     [](auto v) { return v1::Error::Code_Name(v); }) ||
      !o.str("message", e.message()))
    return false;
  o.end();
  return true;
}

bool welcome(std::string& out, const v1::Welcome& w) {
  members o(out);
  if (!o.str("connectionId", w.connection_id()) || !o.str("user", w.user()))
    return false;
  o.end();
  return true;
}

bool close_frame(std::string& out, const v1::Close& c) {
  members o(out);
  if (c.code() != 0) {
    char buf[10];
    const auto r = std::to_chars(buf, buf + sizeof buf, c.code());
    o.key("code").append(buf, r.ptr);
  }
  if (!o.str("reason", c.reason())) return false;
  o.end();
  return true;
}

bool send(std::string& out, const v1::Send& s) {
  members o(out);
  if (!o.str("id", s.id())) return false;
  if (s.target_case() == v1::Send::kTo) {
    if (!append_quoted(o.key("to"), s.to())) return false;
  } else if (s.target_case() == v1::Send::kToConnection) {
    if (!append_quoted(o.key("toConnection"), s.to_connection())) return false;
  }
  if (s.body_case() == v1::Send::kText) {
    if (!append_quoted(o.key("text"), s.text())) return false;
  } else if (s.body_case() == v1::Send::kData) {
    append_base64(o.key("data"), s.data());
  }
  o.end();
  return true;
}

bool ack(std::string& out, const v1::Ack& a) {
  members o(out);
  if (!o.str("messageId", a.message_id())) return false;
  if (a.cumulative()) o.key("cumulative").append("true");
  o.end();
  return true;
}

bool hello(std::string& out, const v1::Hello& h) {
  members o(out);
  if (!o.str("user", h.user()) || !o.str("token", h.token())) return false;
  o.end();
  return true;
}

// `{"name":` + the frame + `}`; restores `out` when the frame is declined.
template <class Write>
bool frame(std::string& out, std::string_view name, Write write) {
  const std::size_t mark = out.size();
  out.append("{\"").append(name).append("\":");
  if (!write(out)) {
    out.resize(mark);
    return false;
  }
  out.push_back('}');
  return true;
}

}  // namespace

bool encode_json_fast(const v1::ServerFrame& f, std::string& out) {
  using F = v1::ServerFrame;
  switch (f.frame_case()) {
    case F::kMessage:
      return frame(out, "message",
                   [&](std::string& o) { return message(o, f.message()); });
    case F::kSent:
      return frame(out, "sent",
                   [&](std::string& o) { return sent(o, f.sent()); });
    case F::kError:
      return frame(out, "error",
                   [&](std::string& o) { return error_frame(o, f.error()); });
    case F::kReceipt:
      return frame(out, "receipt",
                   [&](std::string& o) { return receipt(o, f.receipt()); });
    case F::kPong:
      return frame(out, "pong",
                   [&](std::string& o) { return ping(o, f.pong()); });
    case F::kPing:
      return frame(out, "ping",
                   [&](std::string& o) { return ping(o, f.ping()); });
    case F::kWelcome:
      return frame(out, "welcome",
                   [&](std::string& o) { return welcome(o, f.welcome()); });
    case F::kClose:
      return frame(out, "close",
                   [&](std::string& o) { return close_frame(o, f.close()); });
    default:
      return false;
  }
}

bool encode_json_fast(const v1::ClientFrame& f, std::string& out) {
  using F = v1::ClientFrame;
  switch (f.frame_case()) {
    case F::kSend:
      return frame(out, "send",
                   [&](std::string& o) { return send(o, f.send()); });
    case F::kAck:
      return frame(out, "ack", [&](std::string& o) { return ack(o, f.ack()); });
    case F::kPing:
      return frame(out, "ping",
                   [&](std::string& o) { return ping(o, f.ping()); });
    case F::kPong:
      return frame(out, "pong",
                   [&](std::string& o) { return ping(o, f.pong()); });
    case F::kReceipt:
      return frame(out, "receipt",
                   [&](std::string& o) { return receipt(o, f.receipt()); });
    case F::kHello:
      return frame(out, "hello",
                   [&](std::string& o) { return hello(o, f.hello()); });
    default:
      return false;
  }
}

}  // namespace chat::detail
