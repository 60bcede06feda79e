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

// Send's fields by number, all length-delimited: where each goes, its bit
// in the seen-set (a oneof's members share their first member's bit), and
// whether it is a proto3 string, which must be valid UTF-8.
struct send_field {
  std::string* (v1::Send::*mut)();
  unsigned bit;
  bool utf8;
};
constexpr send_field send_fields[] = {
    {nullptr, 0, false},
    {&v1::Send::mutable_id, 1, true},
    {&v1::Send::mutable_to, 2, true},
    {&v1::Send::mutable_to_connection, 2, true},
    {&v1::Send::mutable_text, 4, true},
    {&v1::Send::mutable_data, 4, false},
};

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
  unsigned seen = 0;  // bits of send_fields
  for (p = body.data(); p != body.data() + body.size();) {
    const auto tag = static_cast<unsigned char>(*p++);
    const unsigned number = tag >> 3;
    if (number == 0 || number > 5 || tag != len_tag(number)) return false;
    const send_field& f = send_fields[number];
    std::string_view v;
    if (!value(p, body.data() + body.size(), v) || (seen & (1u << f.bit)) ||
        (f.utf8 && !valid_utf8(v)))
      return false;
    seen |= 1u << f.bit;
    (s.*f.mut)()->assign(v.data(), v.size());
  }
  if ((seen & (1u << 1)) == 0) s.clear_id();
  if ((seen & (1u << 2)) == 0) s.clear_target();
  if ((seen & (1u << 4)) == 0) s.clear_body();
  return true;
}

}  // namespace chat::detail
