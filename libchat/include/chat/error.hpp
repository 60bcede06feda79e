// chat/error.hpp: the library's error codes.
//
// `chat::errc` mirrors the protocol's `chat.v1.Error.Code` value for value, so
// an error travels from the core to the wire without a translation table.
// Errors are `std::error_code` values in `chat::error_category()`.
#pragma once

#include <string>
#include <system_error>

namespace chat {

enum class errc {
  malformed_frame = 1,
  invalid_frame = 2,
  unknown_frame = 3,
  recipient_offline = 4,
  invalid_recipient = 5,
  message_too_large = 6,
  unauthenticated = 7,
  unavailable = 8,
  rejected = 9,
  inbox_full = 10,
  rate_limited = 11,
};

/// The category of `chat::errc`; `message()` gives one line per value.
const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

/// The protocol's name of an error code, e.g. "RECIPIENT_OFFLINE".
const char* to_code_string(errc e) noexcept;

/// An error code with a human-readable detail, as sent in an error frame.
struct error {
  errc code{};
  std::string message;
};

}  // namespace chat

template <>
struct std::is_error_code_enum<chat::errc> : std::true_type {};
