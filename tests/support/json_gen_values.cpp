// Random JSON values for the codec's differential tests: strings with
// escapes and bad UTF-8, base64, timestamps, enums, numbers, and byte
// mutations.
#include "support/json_gen.hpp"

#include <cstdio>

namespace chat::test {

void json_gen::value(std::string& out, kind k) {
  switch (k) {
    case kind::string:
      return string_value(out);
    case kind::bytes:
      return bytes_value(out);
    case kind::timestamp:
      return timestamp_value(out);
    case kind::boolean: {
      static constexpr const char* v[] = {"true", "false",    "true", "false",
                                          "true", "\"true\"", "1",    "null"};
      out.append(pick(v));
      return;
    }
    case kind::status: {
      static constexpr const char* v[] = {"\"DELIVERED\"",
                                          "\"QUEUED\"",
                                          "\"STATUS_UNSPECIFIED\"",
                                          "\"DELIVERED\"",
                                          "\"delivered\"",
                                          "\"READ\"",
                                          "1",
                                          "7",
                                          "\"2\""};
      out.append(pick(v));
      return;
    }
    case kind::code: {
      static constexpr const char* v[] = {"\"RECIPIENT_OFFLINE\"",
                                          "\"INVALID_FRAME\"",
                                          "\"RATE_LIMITED\"",
                                          "\"CODE_UNSPECIFIED\"",
                                          "\"NOPE\"",
                                          "4",
                                          "99",
                                          "\"11\""};
      out.append(pick(v));
      return;
    }
    case kind::uint: {
      static constexpr const char* v[] = {"1001", "1000",       "0",
                                          "-1",   "4294967296", "1.0",
                                          "1e3",  "\"1001\"",   "01"};
      out.append(pick(v));
      return;
    }
  }
}

void json_gen::any_value(std::string& out, int depth) {
  static constexpr const char* scalars[] = {"null",
                                            "true",
                                            "false",
                                            "0",
                                            "-12",
                                            "3.25e2",
                                            "12345678901234567890",
                                            "\"9007199254740993\"",
                                            "\"x\"",
                                            "1E400"};
  const std::uint32_t r = depth > 3 ? 0 : below(10);
  if (r < 6) {
    out.append(pick(scalars));
  } else if (r < 8) {
    out.push_back('[');
    for (std::uint32_t n = below(3), i = 0; i < n; ++i) {
      if (i > 0) out.push_back(',');
      any_value(out, depth + 1);
    }
    out.push_back(']');
  } else if (r < 9) {
    out.append("{\"k\":");
    any_value(out, depth + 1);
    out.push_back('}');
  } else {
    const std::uint32_t n = below(2) == 0 ? 40 : 5;  // past Boost's depth 32
    out.append(n, '[').append(n, ']');
  }
}

void json_gen::string_value(std::string& out) {
  static constexpr const char* simple[] = {"\\n", "\\t", "\\\"", "\\\\",
                                           "\\/", "\\b", "\\f",  "\\r"};
  static constexpr const char* dirty[] = {
      "\\ud800",     "\\udc00",  "\\udc00\\ud800", "\\ud800x",
      "\\x",         "\\u12G4",  "\\u12",          "\x01",
      "\x80",        "\xc0\x80", "\xed\xa0\x80",   "\xf4\x90\x80\x80",
      "\xe2\x82",    "\xff",     "\\ud83d\\u0041", "\\UD83D\\uDE00",
      "\xf0\x9f\x98"};
  const bool clean = chance(0.85);
  out.push_back('"');
  for (std::uint32_t n = below(12); n > 0; --n) {
    const std::uint32_t r = below(100);
    if (r < 55) {
      out.push_back(static_cast<char>('a' + below(26)));
    } else if (r < 63) {
      out.append(pick(simple));
    } else if (r < 73) {
      std::uint32_t cp = below(0x10000);
      if (cp >= 0xd800 && cp < 0xe000) cp = 0x41;
      std::string esc;
      append_escape(esc, cp);
      if (chance(0.3))
        for (char& c : esc)
          if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
      out += esc;
    } else if (r < 78) {
      append_escape(out, 0x10000 + below(0x100000));
    } else if (r < 95) {
      const std::uint32_t cp = code_point();
      append_utf8(out, cp < 0x20 || cp == '"' || cp == '\\' ? 'x' : cp);
    } else if (!clean) {
      out.append(pick(dirty));
    }
  }
  out.push_back('"');
}

void json_gen::bytes_value(std::string& out) {
  static constexpr char std_abc[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  static constexpr char url_abc[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const char* abc = chance(0.5) ? std_abc : url_abc;
  const std::uint32_t n = below(10);
  std::string b64;
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    acc = (acc << 8) | below(256);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      b64.push_back(abc[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) b64.push_back(abc[(acc << (6 - bits)) & 63]);
  if (chance(0.5)) b64.append((4 - b64.size() % 4) % 4, '=');
  if (chance(0.15) && !b64.empty()) {  // something odd
    static constexpr const char* odd[] = {"=", " ", "*", "+", "-", "A", "=="};
    b64.insert(below(static_cast<std::uint32_t>(b64.size())), pick(odd));
  }
  out.append("\"").append(b64).append("\"");
}

void json_gen::timestamp_value(std::string& out) {
  static constexpr const char* odd[] = {"1969-12-31T23:59:59Z",
                                        "0001-01-01T00:00:00Z",
                                        "9999-12-31T23:59:59.999999999Z",
                                        "2026-02-29T00:00:00Z",
                                        "2024-02-29T12:00:00Z",
                                        "2026-04-31T00:00:00Z",
                                        "2026-11-27T24:00:00Z",
                                        "2026-11-27T21:04:60Z",
                                        "2026-11-27T21:04:05.1Z",
                                        "2026-11-27T21:04:05.1234Z",
                                        "2026-11-27T21:04:05+01:00",
                                        "2026-11-27t21:04:05z",
                                        "2026-11-27T21:04:05.Z",
                                        "2026-11-27 21:04:05Z",
                                        "2026-1-27T21:04:05Z",
                                        "2026-11-27T21:04:05.1234567890Z"};
  if (chance(0.15)) {
    out.append("\"").append(pick(odd)).append("\"");
    return;
  }
  char buf[64];
  const int digits[] = {0, 3, 6, 9};
  const int d = digits[below(4)];
  std::snprintf(buf, sizeof buf, "\"%04u-%02u-%02uT%02u:%02u:%02u",
                1970 + below(200), 1 + below(12), 1 + below(28), below(24),
                below(60), below(60));
  out.append(buf);
  if (d > 0) {
    out.push_back('.');
    for (int i = 0; i < d; ++i)
      out.push_back(static_cast<char>('0' + below(10)));
  }
  out.append("Z\"");
}

void json_gen::mutate(std::string& out) {
  static constexpr char bytes[] = {'{',  '}', '[', ']', '"',    ':',    ',',
                                   '\\', ' ', 'a', '0', '\x80', '\xff', '\0'};
  const auto at = below(static_cast<std::uint32_t>(out.size()) + 1);
  switch (below(4)) {
    case 0:
      if (at < out.size()) out.erase(at, 1);
      break;
    case 1:
      out.insert(out.begin() + at, pick(bytes));
      break;
    case 2:
      out.resize(at);
      break;
    default:
      if (at < out.size()) out[at] = pick(bytes);
  }
}

}  // namespace chat::test
