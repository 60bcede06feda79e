// Fast JSON decoding of the hot frames. Every `return false` below means
// "not an input this path understands": the generic parser then decides.
#include "codec/json.hpp"
#include "codec/json_reader.hpp"
#include "codec/proto_fast.hpp"

#include <cstdint>

namespace chat::detail {
namespace {

// Calls `field(key)` for each member of an object; false as soon as one
// member is not understood.
template <class Field>
bool object(json_reader& r, Field&& field) {
  if (!r.eat('{')) return false;
  if (r.eat('}')) return true;
  do {
    std::string_view key;
    if (!r.key(key) || !field(key)) return false;
  } while (r.eat(','));
  return r.eat('}');
}

// Fields seen so far, one bit each; a oneof's members share their bit, so a
// repeated field and a second member of a oneof are both declined (protobuf
// makes the one last-wins and the other an error).
class seen_set {
 public:
  bool first(unsigned bit) noexcept {
    if (bits_ & bit) return false;
    bits_ |= bit;
    return true;
  }
  bool has(unsigned bit) const noexcept { return (bits_ & bit) != 0; }

 private:
  unsigned bits_ = 0;
};

bool is(std::string_view key, std::string_view json_name,
        std::string_view proto_name) noexcept {
  return key == json_name || key == proto_name;
}

bool bytes_field(json_reader& r, std::string& out) {
  thread_local std::string text;
  text.clear();
  return r.string(text) && decode_base64(text, out);
}

// Clears `s` for a value to be appended, keeping its capacity.
std::string& fresh(std::string* s) {
  s->clear();
  return *s;
}

// Decodes into the strings a previous send left, so that a connection
// decoding send after send into one frame does not allocate: a oneof
// member's string is freed when its oneof is cleared, so only what this
// send lacks is cleared, at the end.
bool send_fields(json_reader& r, v1::Send& s) {
  seen_set seen;
  const bool ok = object(r, [&](std::string_view k) {
    if (k == "id") return seen.first(1) && r.string(fresh(s.mutable_id()));
    if (k == "to") return seen.first(2) && r.string(fresh(s.mutable_to()));
    if (is(k, "toConnection", "to_connection"))
      return seen.first(2) && r.string(fresh(s.mutable_to_connection()));
    if (k == "text") return seen.first(4) && r.string(fresh(s.mutable_text()));
    if (k == "data")
      return seen.first(4) && bytes_field(r, fresh(s.mutable_data()));
    return false;
  });
  if (!ok) return false;
  if (!seen.has(1)) s.clear_id();
  if (!seen.has(2)) s.clear_target();
  if (!seen.has(4)) s.clear_body();
  return true;
}

bool ping_fields(json_reader& r, v1::Ping& p) {
  seen_set seen;
  return object(r, [&](std::string_view k) {
    return k == "id" && seen.first(1) && r.string(*p.mutable_id());
  });
}

bool ack_fields(json_reader& r, v1::Ack& a) {
  seen_set seen;
  return object(r, [&](std::string_view k) {
    if (is(k, "messageId", "message_id"))
      return seen.first(1) && r.string(*a.mutable_message_id());
    if (k == "cumulative") {
      bool v = false;
      if (!seen.first(2) || !r.boolean(v)) return false;
      a.set_cumulative(v);
      return true;
    }
    return false;
  });
}

// ---- server frames ----

bool two_digits(std::string_view s, std::size_t at, int& out) noexcept {
  const char a = s[at], b = s[at + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return false;
  out = (a - '0') * 10 + (b - '0');
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
std::int64_t days_from_civil(int y, int m, int d) noexcept {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

int days_in_month(int y, int m) noexcept {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

// "YYYY-MM-DDTHH:MM:SS[.fff|.ffffff|.fffffffff]Z" from 1970 on: the form
// every protobuf printer writes. Offsets and other digit counts are left to
// the generic parser.
bool timestamp(std::string_view s, google::protobuf::Timestamp& ts) {
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
      s[13] != ':' || s[16] != ':' || s.back() != 'Z')
    return false;
  int c, yy, mo, d, h, mi, sec;
  if (!two_digits(s, 0, c) || !two_digits(s, 2, yy) || !two_digits(s, 5, mo) ||
      !two_digits(s, 8, d) || !two_digits(s, 11, h) || !two_digits(s, 14, mi) ||
      !two_digits(s, 17, sec))
    return false;
  const int y = c * 100 + yy;
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
      h > 23 || mi > 59 || sec > 59)
    return false;
  std::int32_t nanos = 0;
  const std::string_view frac = s.substr(19, s.size() - 20);
  if (!frac.empty()) {
    const std::size_t digits = frac.size() - 1;
    if (frac[0] != '.' || (digits != 3 && digits != 6 && digits != 9))
      return false;
    for (std::size_t i = 1; i < frac.size(); ++i) {
      if (frac[i] < '0' || frac[i] > '9') return false;
      nanos = nanos * 10 + (frac[i] - '0');
    }
    for (std::size_t i = digits; i < 9; ++i) nanos *= 10;
  }
  ts.set_seconds(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec);
  ts.set_nanos(nanos);
  return true;
}

bool timestamp_field(json_reader& r, google::protobuf::Timestamp& ts) {
  thread_local std::string text;
  text.clear();
  return r.string(text) && timestamp(text, ts);
}

// An enum given by name; numbers and unknown names are declined.
template <class Enum, class Parse>
bool enum_field(json_reader& r, Parse parse, Enum& out) {
  thread_local std::string text;
  text.clear();
  return r.string(text) && parse(text, &out);
}

// Like send_fields, decodes into what a previous message left (a client
// decodes message after message into one frame), clearing what this one
// lacks at the end.
bool message_fields(json_reader& r, v1::Message& m) {
  seen_set seen;
  const bool ok = object(r, [&](std::string_view k) {
    if (is(k, "messageId", "message_id"))
      return seen.first(1) && r.string(fresh(m.mutable_message_id()));
    if (k == "from") return seen.first(2) && r.string(fresh(m.mutable_from()));
    if (k == "to") return seen.first(4) && r.string(fresh(m.mutable_to()));
    if (k == "text") return seen.first(8) && r.string(fresh(m.mutable_text()));
    if (k == "data")
      return seen.first(8) && bytes_field(r, fresh(m.mutable_data()));
    if (is(k, "sentAt", "sent_at"))
      return seen.first(16) && timestamp_field(r, *m.mutable_sent_at());
    if (is(k, "fromConnection", "from_connection"))
      return seen.first(32) && r.string(fresh(m.mutable_from_connection()));
    if (k == "copy") {
      bool v = false;
      if (!seen.first(64) || !r.boolean(v)) return false;
      m.set_copy(v);
      return true;
    }
    if (k == "id") return seen.first(128) && r.string(fresh(m.mutable_id()));
    return false;
  });
  if (!ok) return false;
  if (!seen.has(1)) m.clear_message_id();
  if (!seen.has(2)) m.clear_from();
  if (!seen.has(4)) m.clear_to();
  if (!seen.has(8)) m.clear_body();
  if (!seen.has(16)) m.clear_sent_at();
  if (!seen.has(32)) m.clear_from_connection();
  if (!seen.has(64)) m.clear_copy();
  if (!seen.has(128)) m.clear_id();
  return true;
}

bool sent_fields(json_reader& r, v1::Sent& s) {
  seen_set seen;
  const bool ok = object(r, [&](std::string_view k) {
    if (k == "id") return seen.first(1) && r.string(fresh(s.mutable_id()));
    if (is(k, "messageId", "message_id"))
      return seen.first(2) && r.string(fresh(s.mutable_message_id()));
    if (k == "status") {
      v1::Sent::Status v{};
      if (!seen.first(4) || !enum_field(r, &v1::Sent::Status_Parse, v))
        return false;
      s.set_status(v);
      return true;
    }
    return false;
  });
  if (!ok) return false;
  if (!seen.has(1)) s.clear_id();
  if (!seen.has(2)) s.clear_message_id();
  if (!seen.has(4)) s.clear_status();
  return true;
}

bool receipt_fields(json_reader& r, v1::Receipt& rc) {
  seen_set seen;
  const bool ok = object(r, [&](std::string_view k) {
    if (is(k, "messageId", "message_id"))
      return seen.first(1) && r.string(fresh(rc.mutable_message_id()));
    if (k == "id") return seen.first(2) && r.string(fresh(rc.mutable_id()));
    if (k == "status") {
      v1::Receipt::Status v{};
      if (!seen.first(4) || !enum_field(r, &v1::Receipt::Status_Parse, v))
        return false;
      rc.set_status(v);
      return true;
    }
    if (k == "by") return seen.first(8) && r.string(fresh(rc.mutable_by()));
    if (k == "at")
      return seen.first(16) && timestamp_field(r, *rc.mutable_at());
    return false;
  });
  if (!ok) return false;
  if (!seen.has(1)) rc.clear_message_id();
  if (!seen.has(2)) rc.clear_id();
  if (!seen.has(4)) rc.clear_status();
  if (!seen.has(8)) rc.clear_by();
  if (!seen.has(16)) rc.clear_at();
  return true;
}

bool error_fields(json_reader& r, v1::Error& e) {
  seen_set seen;
  return object(r, [&](std::string_view k) {
    if (k == "id") return seen.first(1) && r.string(*e.mutable_id());
    if (k == "message") return seen.first(2) && r.string(*e.mutable_message());
    if (k == "code") {
      v1::Error::Code v{};
      if (!seen.first(4) || !enum_field(r, &v1::Error::Code_Parse, v))
        return false;
      e.set_code(v);
      return true;
    }
    return false;
  });
}

bool welcome_fields(json_reader& r, v1::Welcome& w) {
  seen_set seen;
  return object(r, [&](std::string_view k) {
    if (is(k, "connectionId", "connection_id"))
      return seen.first(1) && r.string(*w.mutable_connection_id());
    if (k == "user") return seen.first(2) && r.string(*w.mutable_user());
    return false;
  });
}

}  // namespace

bool decode_json_fast(std::string_view in, v1::ClientFrame& out) {
  json_reader r(in);
  std::string_view k;
  if (!r.eat('{') || !r.key(k)) return false;
  bool ok = false;
  if (k == "send") {
    // Reuse the Send a previous decode left, unless it holds unknown fields
    // (from a protobuf decode), which only Clear() drops.
    if (!reusable_send(out)) out.Clear();
    ok = send_fields(r, *out.mutable_send());
  } else {
    out.Clear();
    if (k == "ping") {
      ok = ping_fields(r, *out.mutable_ping());
    } else if (k == "pong") {
      ok = ping_fields(r, *out.mutable_pong());
    } else if (k == "ack") {
      ok = ack_fields(r, *out.mutable_ack());
    }
  }
  return ok && r.eat('}') && r.at_end();
}

// True when `m` holds no unknown fields; the reflection is looked up once
// per type (see no_unknown_fields).
template <class M>
bool no_unknown(const M& m) {
  static const auto* reflection = M::GetReflection();
  return reflection->GetUnknownFields(m).empty();
}

// The member of `out`'s oneof that a frame of type `Sub` decodes into: the
// one a previous decode left, unless a protobuf decode put unknown fields in
// it or in its timestamp `ts` (only Clear() drops those).
template <class Sub>
Sub& reuse(v1::ServerFrame& out, bool has, const Sub& sub,
           Sub* (v1::ServerFrame::*member)(),
           const google::protobuf::Timestamp* ts = nullptr) {
  if (!has || !no_unknown(out) || !no_unknown(sub) ||
      (ts != nullptr && !no_unknown(*ts)))
    out.Clear();
  return *(out.*member)();
}

bool decode_json_fast(std::string_view in, v1::ServerFrame& out) {
  json_reader r(in);
  std::string_view k;
  if (!r.eat('{') || !r.key(k)) return false;
  bool ok = false;
  if (k == "message") {
    const bool has = out.has_message();
    ok = message_fields(
        r, reuse(out, has, out.message(), &v1::ServerFrame::mutable_message,
                 has && out.message().has_sent_at() ? &out.message().sent_at()
                                                    : nullptr));
  } else if (k == "sent") {
    ok = sent_fields(r, reuse(out, out.has_sent(), out.sent(),
                              &v1::ServerFrame::mutable_sent));
  } else if (k == "receipt") {
    const bool has = out.has_receipt();
    ok = receipt_fields(
        r,
        reuse(out, has, out.receipt(), &v1::ServerFrame::mutable_receipt,
              has && out.receipt().has_at() ? &out.receipt().at() : nullptr));
  } else {
    out.Clear();
    if (k == "error") {
      ok = error_fields(r, *out.mutable_error());
    } else if (k == "pong") {
      ok = ping_fields(r, *out.mutable_pong());
    } else if (k == "ping") {
      ok = ping_fields(r, *out.mutable_ping());
    } else if (k == "welcome") {
      ok = welcome_fields(r, *out.mutable_welcome());
    }
  }
  return ok && r.eat('}') && r.at_end();
}

}  // namespace chat::detail
