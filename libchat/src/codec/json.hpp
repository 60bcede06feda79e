// The JSON side of the codec: a fast path for the hot frames and the generic
// path for everything else.
//
// The fast decoders take only inputs they fully understand (one known frame
// key whose value is an object of known fields, each at most once, with
// values of the right JSON type) and decline the rest, so the generic path
// (Boost.JSON, then protobuf's own JSON parser) decides every odd or bad
// input, with its exact error. The fast encoders print byte for byte what
// protobuf's JSON printer prints, and decline what they do not cover.
// tests/unit/codec_diff_test.cpp holds both paths to the same answers.
#pragma once

#include <chat/error.hpp>
#include <chat/v1/chat.pb.h>

#include <optional>
#include <string>
#include <string_view>

namespace chat::detail {

/// Decodes `send`, `ping`, `pong` and `ack` client frames. False when the
/// input is anything else; `out` is then unspecified.
bool decode_json_fast(std::string_view in, v1::ClientFrame& out);

/// Decodes `message`, `sent`, `error`, `welcome`, `ping` and `pong` server
/// frames. False when the input is anything else; `out` is then unspecified.
bool decode_json_fast(std::string_view in, v1::ServerFrame& out);

/// The generic path: exact for any input, and slow.
std::optional<error> decode_json_generic(std::string_view in,
                                         v1::ClientFrame& out);
std::optional<error> decode_json_generic(std::string_view in,
                                         v1::ServerFrame& out);

/// Appends the proto3 JSON of `f` to `out`. False, with `out` unchanged,
/// for what the fast encoder does not cover (strings that are not valid
/// UTF-8, enum values without a name, timestamps out of range, hello and
/// receipt client frames).
bool encode_json_fast(const v1::ServerFrame& f, std::string& out);
bool encode_json_fast(const v1::ClientFrame& f, std::string& out);

}  // namespace chat::detail
