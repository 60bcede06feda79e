// The fast codec's JSON output primitives: strings escaped as protobuf
// escapes them, base64, RFC 3339 timestamps.
#include "codec/json_writer.hpp"

#include "codec/json_reader.hpp"

#include <cstdint>
#include <cstring>

namespace chat::detail {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_u16(std::string& out, std::uint32_t u) {
  const char buf[6] = {'\\',
                       'u',
                       hex_digits[(u >> 12) & 0xf],
                       hex_digits[(u >> 8) & 0xf],
                       hex_digits[(u >> 4) & 0xf],
                       hex_digits[u & 0xf]};
  out.append(buf, 6);
}

// Code points protobuf escapes although JSON does not require it, to keep
// the output safe to embed in HTML and JavaScript (its json_escaping.cc).
bool escaped_above_a0(std::uint32_t cp) noexcept {
  switch (cp) {
    case 0x00ad:
    case 0x06dd:
    case 0x070f:
    case 0x17b4:
    case 0x17b5:
    case 0xfeff:
    case 0xfff9:
    case 0xfffa:
    case 0xfffb:
    case 0xe0001:
      return true;
    default:
      return (cp >= 0x0600 && cp <= 0x0603) || (cp >= 0x200b && cp <= 0x200f) ||
             (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2064) ||
             (cp >= 0x206a && cp <= 0x206f) ||
             (cp >= 0x1d173 && cp <= 0x1d17a) ||
             (cp >= 0xe0020 && cp <= 0xe007f);
  }
}

void escape_ascii(std::string& out, char c) {
  switch (c) {
    case '"':
      out.append("\\\"");
      return;
    case '\\':
      out.append("\\\\");
      return;
    case '\b':
      out.append("\\b");
      return;
    case '\t':
      out.append("\\t");
      return;
    case '\n':
      out.append("\\n");
      return;
    case '\f':
      out.append("\\f");
      return;
    case '\r':
      out.append("\\r");
      return;
    default:  // other controls, '<', '>' and DEL
      append_u16(out, static_cast<unsigned char>(c));
  }
}

bool plain_ascii(char c) noexcept {
  return c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>';
}

// The length of the run of plain ASCII at the front of `s`, eight bytes at
// a time (SWAR: a byte's high bit flags each test), then byte by byte.
std::size_t plain_run(std::string_view s) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101;
  constexpr std::uint64_t high = 0x8080808080808080;
  const auto has = [](std::uint64_t v, char c) {
    const std::uint64_t x = v ^ (ones * static_cast<unsigned char>(c));
    return (x - ones) & ~x;
  };
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t v;
    std::memcpy(&v, s.data() + i, 8);
    const std::uint64_t flags = has(v, '"') | has(v, '\\') | has(v, '<') |
                                has(v, '>') | (v - ones * 0x20) | (v + ones) |
                                v;  // controls, then DEL, then non-ASCII
    if ((flags & high) != 0) break;
  }
  while (i < s.size() && plain_ascii(s[i])) ++i;
  return i;
}

}  // namespace

bool append_quoted(std::string& out, std::string_view s) {
  out.push_back('"');
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t run = i;
    i += plain_run(s.substr(i));
    out.append(s.data() + run, i - run);
    if (i == s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      escape_ascii(out, s[i++]);
      continue;
    }
    std::size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    if (i + n > s.size() || !valid_utf8(s.substr(i, n))) return false;
    std::uint32_t cp = c & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
    for (std::size_t k = 1; k < n; ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    if (cp < 0xa0) {  // C1 controls
      append_u16(out, cp);
    } else if (!escaped_above_a0(cp)) {
      out.append(s.data() + i, n);
    } else if (cp < 0x10000) {
      append_u16(out, cp);
    } else {
      append_u16(out, 0xd800 + ((cp - 0x10000) >> 10));
      append_u16(out, 0xdc00 + ((cp - 0x10000) & 0x3ff));
    }
    i += n;
  }
  out.push_back('"');
  return true;
}

void append_base64(std::string& out, std::string_view in) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out.push_back('"');
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                            (static_cast<unsigned char>(in[i + 1]) << 8) |
                            static_cast<unsigned char>(in[i + 2]);
    const char q[4] = {alphabet[v >> 18], alphabet[(v >> 12) & 63],
                       alphabet[(v >> 6) & 63], alphabet[v & 63]};
    out.append(q, 4);
  }
  if (const std::size_t left = in.size() - i; left > 0) {
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (left == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    const char q[4] = {alphabet[v >> 18], alphabet[(v >> 12) & 63],
                       left == 2 ? alphabet[(v >> 6) & 63] : '=', '='};
    out.append(q, 4);
  }
  out.push_back('"');
}

namespace {

// The civil date of a day count since 1970-01-01 (H. Hinnant).
void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
}

// Writes v as exactly n decimal digits at p.
void put_digits(char* p, std::uint32_t v, int n) noexcept {
  for (int i = n - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

}  // namespace

bool append_timestamp(std::string& out, const google::protobuf::Timestamp& ts) {
  constexpr std::int64_t max_seconds = 253'402'300'799;  // 9999-12-31T23:59:59
  const std::int64_t s = ts.seconds();
  const std::int32_t nanos = ts.nanos();
  if (s < 0 || s > max_seconds || nanos < 0 || nanos > 999'999'999)
    return false;
  // Messages and receipts are stamped "now": the same second comes again
  // and again, so each thread formats its date and time once.
  thread_local std::int64_t cached_second = -1;
  thread_local char cached[19];  // YYYY-MM-DDTHH:MM:SS
  if (s != cached_second) {
    int y;
    unsigned mo, d;
    civil_from_days(s / 86400, y, mo, d);
    const auto sod = static_cast<std::uint32_t>(s % 86400);
    put_digits(cached, static_cast<std::uint32_t>(y), 4);
    cached[4] = '-';
    put_digits(cached + 5, mo, 2);
    cached[7] = '-';
    put_digits(cached + 8, d, 2);
    cached[10] = 'T';
    put_digits(cached + 11, sod / 3600, 2);
    cached[13] = ':';
    put_digits(cached + 14, sod / 60 % 60, 2);
    cached[16] = ':';
    put_digits(cached + 17, sod % 60, 2);
    cached_second = s;
  }
  char buf[32];  // "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ"
  std::size_t len = 0;
  buf[len++] = '"';
  std::memcpy(buf + len, cached, sizeof cached);
  len += sizeof cached;
  const auto n = static_cast<std::uint32_t>(nanos);
  if (n != 0) {
    buf[len++] = '.';
    if (n % 1'000'000 == 0) {
      put_digits(buf + len, n / 1'000'000, 3);
      len += 3;
    } else if (n % 1'000 == 0) {
      put_digits(buf + len, n / 1'000, 6);
      len += 6;
    } else {
      put_digits(buf + len, n, 9);
      len += 9;
    }
  }
  buf[len++] = 'Z';
  buf[len++] = '"';
  out.append(buf, len);
  return true;
}

}  // namespace chat::detail
