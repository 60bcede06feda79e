#include "codec/proto_fast.hpp"

#include "codec/json_reader.hpp"

#include <cstdint>
#include <string>

namespace chat::detail {
namespace {

// A length of at most 4 varint bytes (below 2^28); false when it is
// longer or runs past `end`. Protobuf reads up to 5 bytes and refuses
// some 5-byte forms; declining every longer form leaves those to it.
bool length(const char*& p, const char* end, std::uint32_t& v) noexcept {
  v = 0;
  for (int shift = 0; shift < 28 && p != end; shift += 7) {
    const auto b = static_cast<unsigned char>(*p++);
    v |= static_cast<std::uint32_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// The length-delimited value at p; false when it runs past `end`.
bool value(const char*& p, const char* end, std::string_view& out) noexcept {
  std::uint32_t n = 0;
  if (!length(p, end, n) || n > static_cast<std::uint64_t>(end - p))
    return false;
  out = {p, static_cast<std::size_t>(n)};
  p += n;
  return true;
}

constexpr unsigned char len_tag(unsigned field) noexcept {
  return static_cast<unsigned char>(field << 3 | 2);
}

}  // namespace

bool reusable_send(const v1::ClientFrame& f) {
  // Looked up once: GetReflection() checks a once-flag through
  // thread-local storage on every call.
  static const auto* frame = v1::ClientFrame::GetReflection();
  static const auto* send = v1::Send::GetReflection();
  return f.has_send() && frame->GetUnknownFields(f).empty() &&
         send->GetUnknownFields(f.send()).empty();
}

bool decode_proto_fast(std::string_view in, v1::ClientFrame& out) {
  const char* p = in.data();
  const char* const end = p + in.size();
  std::string_view body;
  if (p == end || static_cast<unsigned char>(*p++) != len_tag(2) ||
      !value(p, end, body) || p != end)
    return false;

  if (!reusable_send(out)) out.Clear();
  v1::Send& s = *out.mutable_send();
  // Bit k: field k seen; the oneofs by their first field (2 target, 4 body).
  unsigned seen = 0;
  for (p = body.data(); p != body.data() + body.size();) {
    const auto tag = static_cast<unsigned char>(*p++);
    std::string* field = nullptr;
    unsigned bit = 0;  // the oneofs by their first field's bit
    bool utf8 = true;  // a proto3 string, which must be valid UTF-8
    switch (tag) {
      case len_tag(1):
        field = s.mutable_id();
        bit = 1;
        break;
      case len_tag(2):
        field = s.mutable_to();
        bit = 2;
        break;
      case len_tag(3):
        field = s.mutable_to_connection();
        bit = 2;
        break;
      case len_tag(4):
        field = s.mutable_text();
        bit = 4;
        break;
      case len_tag(5):
        field = s.mutable_data();
        bit = 4;
        utf8 = false;
        break;
      default:
        return false;
    }
    std::string_view v;
    if (!value(p, body.data() + body.size(), v) || (seen & (1u << bit)) ||
        (utf8 && !valid_utf8(v)))
      return false;
    seen |= 1u << bit;
    field->assign(v.data(), v.size());
  }
  if ((seen & (1u << 1)) == 0) s.clear_id();
  if ((seen & (1u << 2)) == 0) s.clear_target();
  if ((seen & (1u << 4)) == 0) s.clear_body();
  return true;
}

}  // namespace chat::detail
