// detail::append_*: the fast codec's JSON output primitives.
//
// Each appends exactly what protobuf's JSON printer writes for the value,
// or declines (returns false) where matching it would take guessing.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <string>
#include <string_view>

namespace chat::detail {

/// Appends `s` as a JSON string escaped the way protobuf escapes it (its
/// json_escaping.cc: controls, `"`, `\`, `<`, `>`, DEL, C1 controls and a
/// list of invisible code points). False when `s` is not valid UTF-8:
/// protobuf drops the bad bytes then, which the generic path reproduces.
bool append_quoted(std::string& out, std::string_view s);

/// Appends `in` as a JSON string of standard, padded base64.
void append_base64(std::string& out, std::string_view in);

/// Appends an RFC 3339 UTC time with 0, 3, 6 or 9 fraction digits. False
/// outside the years 1970 to 9999 and for nanos out of range.
bool append_timestamp(std::string& out, const google::protobuf::Timestamp& ts);

}  // namespace chat::detail
