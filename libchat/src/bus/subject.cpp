// Subject tokens. See subject.hpp.
#include "bus/subject.hpp"

namespace chat::detail::bus {
namespace {

constexpr char hex_digits[] = "0123456789ABCDEF";

bool needs_escape(unsigned char c) {
  return c == '%' || c == '.' || c == '*' || c == '>' || c < '!' || c > '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string join(std::string_view prefix, std::string_view name) {
  std::string s;
  s.reserve(prefix.size() + name.size() + 8);
  s.append(prefix).append(escape_token(name));
  return s;
}

}  // namespace

std::string escape_token(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (!needs_escape(c)) {
      out.push_back(ch);
      continue;
    }
    out.push_back('%');
    out.push_back(hex_digits[c >> 4]);
    out.push_back(hex_digits[c & 15]);
  }
  return out;
}

std::string unescape_token(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] != '%') {
      if (needs_escape(static_cast<unsigned char>(token[i]))) return {};
      out.push_back(token[i]);
      continue;
    }
    if (i + 2 >= token.size()) return {};
    const int hi = hex_value(token[i + 1]);
    const int lo = hex_value(token[i + 2]);
    if (hi < 0 || lo < 0) return {};
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string inbox_subject(std::string_view user) {
  return join(inbox_prefix, user);
}

std::string live_subject(std::string_view user) {
  return join(live_prefix, user);
}

std::string node_subject(std::string_view node) {
  return join(node_prefix, node);
}

std::string user_of(std::string_view subject) {
  for (const auto prefix : {inbox_prefix, live_prefix}) {
    if (subject.starts_with(prefix))
      return unescape_token(subject.substr(prefix.size()));
  }
  return {};
}

}  // namespace chat::detail::bus
