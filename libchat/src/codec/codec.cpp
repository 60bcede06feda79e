// Frame codec: protobuf binary and the proto3 JSON mapping.
//
// Protobuf first tries the fast path for sends (proto_fast.cpp); JSON
// first tries the fast path (json_decode.cpp, json_encode.cpp) for the
// hot frames. What it declines goes the generic way: Boost.JSON first, for
// a precise syntax error and the frame type, then protobuf's own JSON
// parser, so what we accept is exactly what the proto3 mapping defines.
#include <chat/codec.hpp>

#include "codec/json.hpp"
#include "codec/proto_fast.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <string>

namespace chat {
namespace {

namespace pb = google::protobuf;

constexpr std::string_view json_name = "chat.v1.json";
constexpr std::string_view proto_name = "chat.v1.proto";

// True when `key` names a member of the message's `frame` oneof, by its JSON
// name or its proto name (the mapping accepts both).
bool is_frame_key(const pb::Descriptor* d, std::string_view key) {
  const pb::OneofDescriptor* oneof = d->oneof_decl(0);
  for (int i = 0; i < oneof->field_count(); ++i) {
    const pb::FieldDescriptor* f = oneof->field(i);
    if (key == f->json_name() || key == f->name()) return true;
  }
  return false;
}

template <class Frame>
std::optional<error> decode_generic(std::string_view bytes, Frame& out) {
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(bytes, ec);
  if (ec) return error{errc::malformed_frame, "invalid JSON: " + ec.message()};
  const boost::json::object* obj = doc.if_object();
  if (obj == nullptr) {
    return error{errc::invalid_frame, "a frame is a JSON object"};
  }
  const pb::Descriptor* d = Frame::descriptor();
  std::size_t known = 0;
  for (const auto& kv : *obj) known += is_frame_key(d, kv.key()) ? 1 : 0;
  if (known == 0) {
    return error{errc::unknown_frame,
                 obj->empty() ? std::string("empty frame")
                              : "unknown frame type \"" +
                                    std::string(obj->begin()->key()) + "\""};
  }
  if (known > 1) {
    return error{errc::invalid_frame, "a frame holds exactly one frame type"};
  }
  pb::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  const auto st = pb::util::JsonStringToMessage(
      pb::StringPiece(bytes.data(), bytes.size()), &out, opts);
  if (!st.ok()) {
    return error{errc::invalid_frame, std::string(st.message())};
  }
  if (out.frame_case() == Frame::FRAME_NOT_SET) {  // e.g. {"ping":null}
    return error{errc::unknown_frame, "frame names no known frame type"};
  }
  return std::nullopt;
}

bool decode_binary_fast(std::string_view bytes, v1::ClientFrame& out) {
  return detail::decode_proto_fast(bytes, out);
}
bool decode_binary_fast(std::string_view, v1::ServerFrame&) { return false; }

template <class Frame>
std::optional<error> decode_binary(std::string_view bytes, Frame& out) {
  if (decode_binary_fast(bytes, out)) return std::nullopt;
  if (!out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return error{errc::malformed_frame, "not a protobuf frame"};
  }
  if (out.frame_case() == Frame::FRAME_NOT_SET) {
    return error{errc::unknown_frame, "frame names no known frame type"};
  }
  return std::nullopt;
}

template <class Frame>
std::optional<error> decode_any(std::string_view bytes, wire_format f,
                                Frame& out) {
  if (f == wire_format::protobuf) return decode_binary(bytes, out);
  if (detail::decode_json_fast(bytes, out)) return std::nullopt;
  return decode_generic(bytes, out);
}

template <class Frame>
void encode_any(const Frame& m, wire_format f, std::string& out) {
  if (f == wire_format::protobuf) {
    m.AppendToString(&out);
    return;
  }
  // One allocation for a typical frame rather than a doubling chain.
  out.reserve(out.size() + 256);
  if (detail::encode_json_fast(m, out)) return;
  std::string json;
  pb::util::JsonPrintOptions opts;  // lowerCamelCase, enums as names
  (void)pb::util::MessageToJsonString(m, &json, opts);
  out.append(json);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view subprotocol_name(wire_format f) noexcept {
  return f == wire_format::json ? json_name : proto_name;
}

std::optional<wire_format> negotiate_subprotocol(std::string_view offer) {
  if (trim(offer).empty()) return wire_format::json;
  while (!offer.empty()) {
    const auto comma = offer.find(',');
    const auto name = trim(offer.substr(0, comma));
    if (name == json_name) return wire_format::json;
    if (name == proto_name) return wire_format::protobuf;
    offer = comma == std::string_view::npos ? std::string_view{}
                                            : offer.substr(comma + 1);
  }
  return std::nullopt;
}

std::optional<error> decode(std::string_view bytes, wire_format f,
                            v1::ClientFrame& out) {
  return decode_any(bytes, f, out);
}

std::optional<error> decode(std::string_view bytes, wire_format f,
                            v1::ServerFrame& out) {
  return decode_any(bytes, f, out);
}

std::string encode(const v1::ServerFrame& frame, wire_format f) {
  std::string out;
  encode_any(frame, f, out);
  return out;
}

std::string encode(const v1::ClientFrame& frame, wire_format f) {
  std::string out;
  encode_any(frame, f, out);
  return out;
}

void encode(const v1::ServerFrame& frame, wire_format f, std::string& out) {
  encode_any(frame, f, out);
}

void encode(const v1::ClientFrame& frame, wire_format f, std::string& out) {
  encode_any(frame, f, out);
}

}  // namespace chat

namespace chat::detail {

std::optional<error> decode_json_generic(std::string_view in,
                                         v1::ClientFrame& out) {
  return decode_generic(in, out);
}

std::optional<error> decode_json_generic(std::string_view in,
                                         v1::ServerFrame& out) {
  return decode_generic(in, out);
}

}  // namespace chat::detail
