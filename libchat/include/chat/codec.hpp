// chat/codec.hpp: frames to messages and back.
//
// Two encodings of the same `chat.v1` messages: the protobuf binary encoding,
// and exactly its proto3 JSON mapping (lowerCamelCase names, enums as
// strings). The codec does no I/O: bytes in, messages out.
#pragma once

#include <chat/error.hpp>
#include <chat/v1/chat.pb.h>

#include <optional>
#include <string>
#include <string_view>

namespace chat {

enum class wire_format {
  json,      ///< proto3 JSON mapping, carried in WebSocket text frames.
  protobuf,  ///< protobuf binary encoding, in binary frames and on raw TCP.
};

/// The WebSocket subprotocol name of a format: "chat.v1.json" or
/// "chat.v1.proto".
std::string_view subprotocol_name(wire_format f) noexcept;

/// Picks the format for a `Sec-WebSocket-Protocol` offer: the first offered
/// name we speak, or JSON when none is offered. Returns nullopt when names
/// were offered and none is ours.
std::optional<wire_format> negotiate_subprotocol(std::string_view offer);

/// Decodes one client frame. On failure returns the error to send back: a
/// frame that is not JSON (or not protobuf) is `malformed_frame`, one of the
/// wrong shape is `invalid_frame`, one that names no known frame is
/// `unknown_frame`. Fields this version does not know are ignored, as the
/// protobuf binary encoding does.
std::optional<error> decode(std::string_view bytes, wire_format f,
                            v1::ClientFrame& out);

/// Decodes one server frame (the client side of the codec).
std::optional<error> decode(std::string_view bytes, wire_format f,
                            v1::ServerFrame& out);

/// Encodes a frame; never fails for a well-formed message.
std::string encode(const v1::ServerFrame& frame, wire_format f);
std::string encode(const v1::ClientFrame& frame, wire_format f);

/// Appends the encoded frame to `out`, so that a connection can encode
/// straight into its write buffer, reusing its capacity.
void encode(const v1::ServerFrame& frame, wire_format f, std::string& out);
void encode(const v1::ClientFrame& frame, wire_format f, std::string& out);

}  // namespace chat
