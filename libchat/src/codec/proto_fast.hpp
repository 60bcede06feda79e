// The protobuf side of the codec's fast path: a `send`, the frame a
// connection decodes all day, decoded into what the previous one left.
//
// ParseFromArray() clears the frame first, which frees the send and the
// strings of its oneofs: five allocations per message. The fast decoder
// takes only the shape every encoder writes (the frame's one field `send`,
// whose fields are each length-delimited and present at most once, strings
// valid UTF-8) and declines the rest, which protobuf's parser then decides.
// tests/unit/codec_diff_test.cpp holds both to the same answers.
#pragma once

#include <chat/v1/chat.pb.h>

#include <string_view>

namespace chat::detail {

/// Decodes a `send` client frame into `out`, reusing its strings. False
/// when the input is anything else; `out` is then unspecified.
bool decode_proto_fast(std::string_view in, v1::ClientFrame& out);

/// True when `f` holds a send that may be decoded into again: neither the
/// frame nor the send holds unknown fields (which only Clear() drops).
bool reusable_send(const v1::ClientFrame& f);

}  // namespace chat::detail
