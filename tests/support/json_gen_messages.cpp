// Random in-memory frames for the encoders' differential tests.
#include "support/json_gen.hpp"

namespace chat::test {

std::uint32_t json_gen::code_point() {
  // Where escaping rules change: controls, DEL, C1, Latin-1, the code points
  // protobuf escapes for JavaScript, and every plane.
  static constexpr std::uint32_t special[] = {
      0x7f,    0x80,    0x9f,    0xa0,    0xad,    0x600,   0x603,   0x6dd,
      0x70f,   0x17b4,  0x17b5,  0x200b,  0x200f,  0x2028,  0x202e,  0x2060,
      0x2064,  0x206a,  0x206f,  0xfeff,  0xfff9,  0xfffb,  0xfffd,  0xffff,
      0x10000, 0x1d173, 0x1d17a, 0x1f600, 0xe0001, 0xe0020, 0xe007f, 0x10ffff,
      '<',     '>',     '"',     '\\',    '/',     '&',     '\'',    0};
  const std::uint32_t r = below(100);
  if (r < 40) return below(0x80);
  if (r < 50) return 0x80 + below(0x80);
  if (r < 65) return pick(special);
  if (r < 85) {
    const std::uint32_t cp = below(0x10000);
    return cp >= 0xd800 && cp < 0xe000 ? 0xe000 : cp;
  }
  return 0x10000 + below(0x100000);
}

std::string json_gen::text() {
  static constexpr const char* bad[] = {"\x80",         "\xc0\x80",
                                        "\xed\xa0\x80", "\xf4\x90\x80\x80",
                                        "\xe2\x82",     "\xff"};
  std::string s;
  for (std::uint32_t n = below(12); n > 0; --n) append_utf8(s, code_point());
  if (chance(0.01))
    s.insert(below(static_cast<std::uint32_t>(s.size()) + 1), pick(bad));
  return s;
}

void json_gen::fill_timestamp(google::protobuf::Timestamp& ts) {
  const std::uint32_t r = below(100);
  std::int64_t s = static_cast<std::int64_t>(below(4'000'000'000u));
  if (r < 3) s = 253'402'300'799 + static_cast<std::int64_t>(below(3)) - 1;
  if (r == 3) s = -static_cast<std::int64_t>(below(100'000));
  ts.set_seconds(s);
  static constexpr std::int32_t nanos[] = {
      0,           123'000'000, 5'000'000, 123'456'000,  1'000,
      999'999'999, 1,           -1,        1'000'000'000};
  std::int32_t n = pick(nanos);
  if (chance(0.5)) n = static_cast<std::int32_t>(below(1'000'000'000));
  ts.set_nanos(n);
}

v1::ServerFrame json_gen::server_message() {
  v1::ServerFrame f;
  const auto str = [&](std::string* s) {
    if (chance(0.6)) *s = text();
  };
  switch (below(8)) {
    case 0:
    case 1: {
      v1::Message* m = f.mutable_message();
      str(m->mutable_message_id());
      str(m->mutable_from());
      str(m->mutable_to());
      if (chance(0.5)) {
        m->set_text(text());
      } else if (chance(0.8)) {
        std::string data;
        for (std::uint32_t n = below(10); n > 0; --n)
          data.push_back(static_cast<char>(below(256)));
        m->set_data(data);
      }
      if (chance(0.8)) fill_timestamp(*m->mutable_sent_at());
      str(m->mutable_from_connection());
      m->set_copy(chance(0.2));
      str(m->mutable_id());
      break;
    }
    case 2: {
      v1::Sent* s = f.mutable_sent();
      str(s->mutable_id());
      str(s->mutable_message_id());
      s->set_status(static_cast<v1::Sent::Status>(chance(0.95) ? below(3) : 7));
      break;
    }
    case 3: {
      v1::Error* e = f.mutable_error();
      str(e->mutable_id());
      e->set_code(static_cast<v1::Error::Code>(chance(0.95) ? below(12) : 42));
      str(e->mutable_message());
      break;
    }
    case 4: {
      v1::Receipt* r = f.mutable_receipt();
      str(r->mutable_message_id());
      str(r->mutable_id());
      r->set_status(
          static_cast<v1::Receipt::Status>(chance(0.95) ? below(3) : 9));
      str(r->mutable_by());
      if (chance(0.5)) fill_timestamp(*r->mutable_at());
      break;
    }
    case 5:
      str(f.mutable_welcome()->mutable_connection_id());
      str(f.mutable_welcome()->mutable_user());
      break;
    case 6:
      str(chance(0.5) ? f.mutable_pong()->mutable_id()
                      : f.mutable_ping()->mutable_id());
      break;
    default:
      f.mutable_close()->set_code(chance(0.5) ? 1001 : below(0xffffffff));
      str(f.mutable_close()->mutable_reason());
  }
  return f;
}

v1::ClientFrame json_gen::client_message() {
  v1::ClientFrame f;
  const auto str = [&](std::string* s) {
    if (chance(0.6)) *s = text();
  };
  switch (below(6)) {
    case 0:
    case 1: {
      v1::Send* s = f.mutable_send();
      str(s->mutable_id());
      if (chance(0.45)) {
        s->set_to(text());
      } else if (chance(0.8)) {
        s->set_to_connection(text());
      }
      if (chance(0.5)) {
        s->set_text(text());
      } else if (chance(0.8)) {
        s->set_data(text());
      }
      break;
    }
    case 2:
      str(chance(0.5) ? f.mutable_ping()->mutable_id()
                      : f.mutable_pong()->mutable_id());
      break;
    case 3:
      str(f.mutable_ack()->mutable_message_id());
      f.mutable_ack()->set_cumulative(chance(0.3));
      break;
    case 4:
      str(f.mutable_hello()->mutable_user());
      str(f.mutable_hello()->mutable_token());
      break;
    default: {
      v1::Receipt* r = f.mutable_receipt();
      str(r->mutable_message_id());
      r->set_status(static_cast<v1::Receipt::Status>(below(3)));
      if (chance(0.3)) fill_timestamp(*r->mutable_at());
    }
  }
  return f;
}

}  // namespace chat::test
