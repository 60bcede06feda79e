// chatd's logs: one JSON object per line on stdout (what CloudWatch Logs
// and most collectors parse), or aligned text for a terminal.
#pragma once

#include <chat/hooks.hpp>

#include "settings.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace chatd {

/// Points `h.log` and `h.on_event` at stdout in `format`. Every line is
/// written and flushed whole, under one lock, so lines from different
/// threads never interleave.
void install_logging(chat::hooks& h, log_format format);

/// Writes one event line (for chatd's own events: listening, draining).
void write_event(const chat::log_event& e);

/// `text` with the value of every "token=" replaced by REDACTED.
std::string redact_tokens(std::string_view text);

/// One event as a JSON object without a newline; "ts" is `timestamp`.
std::string format_json(const chat::log_event& e, std::string_view timestamp);

}  // namespace chatd
