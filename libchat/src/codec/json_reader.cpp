// The fast codec's JSON scanner: strings, escapes, UTF-8 and base64.
#include "codec/json_reader.hpp"

#include <cstdint>
#include <cstring>

namespace chat::detail {
namespace {

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads four hex digits at `p` (which has at least four bytes).
int hex4(const char* p) noexcept {
  int v = 0;
  for (int i = 0; i < 4; ++i) {
    const int d = hex_digit(p[i]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

bool continuation(const unsigned char* p) noexcept {
  return (*p & 0xc0) == 0x80;
}

// The length of the well-formed UTF-8 sequence at [p, end) that starts with
// a byte >= 0x80, or 0 when it is not well formed (Unicode table 3-7).
std::size_t utf8_length(const unsigned char* p,
                        const unsigned char* end) noexcept {
  const unsigned char c = p[0];
  const auto left = static_cast<std::size_t>(end - p);
  if (c >= 0xc2 && c <= 0xdf) {
    return left >= 2 && continuation(p + 1) ? 2 : 0;
  }
  if (c >= 0xe0 && c <= 0xef) {
    if (left < 3 || !continuation(p + 1) || !continuation(p + 2)) return 0;
    if (c == 0xe0 && p[1] < 0xa0) return 0;  // overlong
    if (c == 0xed && p[1] > 0x9f) return 0;  // a surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (left < 4 || !continuation(p + 1) || !continuation(p + 2) ||
        !continuation(p + 3))
      return 0;
    if (c == 0xf0 && p[1] < 0x90) return 0;  // overlong
    if (c == 0xf4 && p[1] > 0x8f) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

// Skips eight bytes at a time while none of them is '"', '\\', a control
// or non-ASCII (SWAR: a byte's high bit flags each test).
void json_reader::skip_plain_ascii() noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101;
  constexpr std::uint64_t high = 0x8080808080808080;
  while (end_ - p_ >= 8) {
    std::uint64_t v;
    std::memcpy(&v, p_, 8);
    const std::uint64_t quote = v ^ (ones * '"');
    const std::uint64_t backslash = v ^ (ones * '\\');
    const std::uint64_t flags = ((quote - ones) & ~quote) |
                                ((backslash - ones) & ~backslash) |
                                (v - ones * 0x20) | v;
    if ((flags & high) != 0) return;  // the byte loop finds which
    p_ += 8;
  }
}

bool json_reader::string(std::string& out) {
  if (!eat('"')) return false;
  for (;;) {
    // Copy the run of bytes that need no decoding in one append.
    const char* run = p_;
    skip_plain_ascii();
    while (p_ != end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"' || c == '\\' || c < 0x20) break;
      if (c < 0x80) {
        ++p_;
        continue;
      }
      const std::size_t n =
          utf8_length(reinterpret_cast<const unsigned char*>(p_),
                      reinterpret_cast<const unsigned char*>(end_));
      if (n == 0) return false;
      p_ += n;
    }
    out.append(run, static_cast<std::size_t>(p_ - run));
    if (p_ == end_ || static_cast<unsigned char>(*p_) < 0x20) return false;
    if (*p_++ == '"') return true;
    if (!escape(out)) return false;
  }
}

// After a backslash.
bool json_reader::escape(std::string& out) {
  if (p_ == end_) return false;
  switch (*p_++) {
    case '"':
      out.push_back('"');
      return true;
    case '\\':
      out.push_back('\\');
      return true;
    case '/':
      out.push_back('/');
      return true;
    case 'b':
      out.push_back('\b');
      return true;
    case 'f':
      out.push_back('\f');
      return true;
    case 'n':
      out.push_back('\n');
      return true;
    case 'r':
      out.push_back('\r');
      return true;
    case 't':
      out.push_back('\t');
      return true;
    case 'u':
      break;
    default:
      return false;
  }
  if (end_ - p_ < 4) return false;
  const int cp = hex4(p_);
  if (cp < 0) return false;
  p_ += 4;
  if (cp < 0xd800 || cp > 0xdfff) {
    append_utf8(out, static_cast<std::uint32_t>(cp));
    return true;
  }
  // A high surrogate must be followed by an escaped low one; anything else
  // is left to the generic parser, whose verdict is the error to report.
  if (cp > 0xdbff || end_ - p_ < 6 || p_[0] != '\\' || p_[1] != 'u') {
    return false;
  }
  const int low = hex4(p_ + 2);
  if (low < 0xdc00 || low > 0xdfff) return false;
  p_ += 6;
  append_utf8(out, 0x10000 + ((static_cast<std::uint32_t>(cp) - 0xd800) << 10) +
                       (static_cast<std::uint32_t>(low) - 0xdc00));
  return true;
}

bool json_reader::boolean(bool& out) noexcept {
  skip_ws();
  const auto left = static_cast<std::size_t>(end_ - p_);
  if (left >= 4 && std::string_view(p_, 4) == "true") {
    p_ += 4;
    out = true;
    return true;
  }
  if (left >= 5 && std::string_view(p_, 5) == "false") {
    p_ += 5;
    out = false;
    return true;
  }
  return false;
}

bool valid_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p != end) {
    // ASCII eight bytes at a time (most text, and all of a frame's JSON).
    while (end - p >= 8) {
      std::uint64_t v;
      std::memcpy(&v, p, 8);
      if ((v & 0x8080808080808080u) != 0) break;
      p += 8;
    }
    if (p == end) break;
    if (*p < 0x80) {
      ++p;
      continue;
    }
    const std::size_t n = utf8_length(p, end);
    if (n == 0) return false;
    p += n;
  }
  return true;
}

namespace {

// Values of the two base64 alphabets: 0-63, or -1 outside the alphabet.
struct base64_table {
  signed char v[256];
  constexpr explicit base64_table(char c62, char c63) : v{} {
    for (int i = 0; i < 256; ++i) v[i] = -1;
    constexpr std::string_view common =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (std::size_t i = 0; i < common.size(); ++i)
      v[static_cast<unsigned char>(common[i])] = static_cast<signed char>(i);
    v[static_cast<unsigned char>(c62)] = 62;
    v[static_cast<unsigned char>(c63)] = 63;
  }
};

constexpr base64_table standard_table('+', '/');
constexpr base64_table url_table('-', '_');

}  // namespace

bool decode_base64(std::string_view in, std::string& out) {
  std::size_t pad = 0;
  while (pad < 2 && pad < in.size() && in[in.size() - 1 - pad] == '=') ++pad;
  const std::string_view body = in.substr(0, in.size() - pad);
  const std::size_t rem = body.size() % 4;
  if (rem == 1) return false;
  if (pad != 0 && (in.size() % 4 != 0 || pad != 4 - rem)) return false;
  // One alphabet throughout: the first byte outside the letters and digits
  // picks it.
  const base64_table* table = &standard_table;
  for (const char c : body) {
    if (c == '-' || c == '_') {
      table = &url_table;
      break;
    }
    if (c == '+' || c == '/') break;
  }
  out.reserve(out.size() + body.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : body) {
    const int v = table->v[static_cast<unsigned char>(c)];
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return (acc & ((1u << bits) - 1)) == 0;  // canonical: unused bits are zero
}

}  // namespace chat::detail
