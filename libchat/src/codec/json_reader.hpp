// detail::json_reader: a strict, allocation-free JSON scanner for the fast
// codec.
//
// It reads exactly the RFC 8259 subset the hot frames use (objects of
// strings and booleans) and reports anything else
// as "not mine" so that the caller falls back to the generic parser, which
// produces the exact answer, error or not. It therefore never has to decide
// what an odd input means: it only has to be right about what it accepts.
#pragma once

#include <string>
#include <string_view>

namespace chat::detail {

/// Thread safety: none; one reader scans one buffer.
class json_reader {
 public:
  explicit json_reader(std::string_view s) noexcept
      : p_(s.data()), end_(s.data() + s.size()) {}

  /// Skips JSON whitespace (space, tab, CR, LF).
  void skip_ws() noexcept {
    while (p_ != end_ &&
           (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t'))
      ++p_;
  }

  /// Skips whitespace, then consumes `c` if it is next.
  bool eat(char c) noexcept {
    skip_ws();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  /// The next non-whitespace byte, or 0 at the end.
  char peek() noexcept {
    skip_ws();
    return p_ == end_ ? '\0' : *p_;
  }

  /// True when only whitespace is left.
  bool at_end() noexcept {
    skip_ws();
    return p_ == end_;
  }

  /// Reads an object key made of printable ASCII without escapes (every key
  /// of the protocol); anything else is not ours.
  bool key(std::string_view& out) noexcept {
    if (!eat('"')) return false;
    const char* start = p_;
    while (p_ != end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out = std::string_view(start, static_cast<std::size_t>(p_ - start));
        ++p_;
        return eat(':');
      }
      if (c == '\\' || c < 0x20 || c >= 0x80) return false;
      ++p_;
    }
    return false;
  }

  /// Reads a string value, decoding escapes (surrogate pairs included) and
  /// checking that its UTF-8 is well formed; appends it to `out`.
  bool string(std::string& out);

  /// Reads `true` or `false`.
  bool boolean(bool& out) noexcept;

 private:
  void skip_plain_ascii() noexcept;
  bool escape(std::string& out);

  const char* p_;
  const char* end_;
};

/// True when `s` is well-formed UTF-8: no overlong forms, no surrogates,
/// nothing past U+10FFFF.
bool valid_utf8(std::string_view s) noexcept;

/// Decodes base64, standard or URL-safe, as protobuf's JSON parser accepts
/// it, but only the canonical forms: one alphabet, padding either complete
/// or absent, unused trailing bits zero. False for anything else.
bool decode_base64(std::string_view in, std::string& out);

}  // namespace chat::detail
