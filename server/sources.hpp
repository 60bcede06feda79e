// The two other places settings come from: CHAT_* environment variables and
// the TOML config file.
#pragma once

#include "settings.hpp"

#include <string>

namespace chatd {

/// Applies every CHAT_* variable that names a setting. On a bad value
/// returns false and sets `error` to "CHAT_NAME: why".
bool apply_env(options& o, std::string& error);

/// Reads a TOML file of `key = value` lines (the keys of settings()). On an
/// unreadable file, a syntax error, an unknown key or a bad value returns
/// false and sets `error` to "FILE: key: why" (or "FILE:LINE:COL: why").
bool apply_config_file(const std::string& path, options& o, std::string& error);

}  // namespace chatd
