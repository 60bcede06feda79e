// The chat::errc category, and the protocol names of its values.
#include <chat/error.hpp>
#include <chat/hooks.hpp>
#include <chat/v1/chat.pb.h>

namespace chat {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "chat"; }

  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::malformed_frame:
        return "frame is not valid JSON or protobuf";
      case errc::invalid_frame:
        return "frame has the wrong shape";
      case errc::unknown_frame:
        return "frame names no known frame type";
      case errc::recipient_offline:
        return "recipient has no live connection";
      case errc::invalid_recipient:
        return "recipient cannot be addressed";
      case errc::message_too_large:
        return "frame exceeds the size limit";
      case errc::unauthenticated:
        return "connection is not authenticated";
      case errc::unavailable:
        return "server is shutting down";
      case errc::rejected:
        return "message refused by the server's policy";
      case errc::inbox_full:
        return "recipient's offline inbox is full";
      case errc::rate_limited:
        return "sending faster than the rate limit";
    }
    return "unknown chat error";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const category instance;
  return instance;
}

const char* to_code_string(errc e) noexcept {
  // The enum mirrors v1::Error::Code; the generated name table is the truth.
  const auto code = static_cast<v1::Error::Code>(e);
  if (!v1::Error::Code_IsValid(code)) return "CODE_UNSPECIFIED";
  return v1::Error::Code_Name(code).c_str();
}

std::string_view to_string(log_level l) noexcept {
  switch (l) {
    case log_level::trace:
      return "trace";
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
    case log_level::off:
      return "off";
  }
  return "?";
}

static_assert(static_cast<int>(errc::malformed_frame) ==
              v1::Error::MALFORMED_FRAME);
static_assert(static_cast<int>(errc::invalid_frame) ==
              v1::Error::INVALID_FRAME);
static_assert(static_cast<int>(errc::unknown_frame) ==
              v1::Error::UNKNOWN_FRAME);
static_assert(static_cast<int>(errc::recipient_offline) ==
              v1::Error::RECIPIENT_OFFLINE);
static_assert(static_cast<int>(errc::invalid_recipient) ==
              v1::Error::INVALID_RECIPIENT);
static_assert(static_cast<int>(errc::message_too_large) ==
              v1::Error::MESSAGE_TOO_LARGE);
static_assert(static_cast<int>(errc::unauthenticated) ==
              v1::Error::UNAUTHENTICATED);
static_assert(static_cast<int>(errc::unavailable) == v1::Error::UNAVAILABLE);
static_assert(static_cast<int>(errc::rejected) == v1::Error::REJECTED);
static_assert(static_cast<int>(errc::inbox_full) == v1::Error::INBOX_FULL);
static_assert(static_cast<int>(errc::rate_limited) ==
              v1::Error::RATE_LIMITED);

}  // namespace chat
