// chatd's settings: one table that flags, CHAT_* environment variables and
// the TOML config file all write through, so the three can never disagree
// on a name, a parser or a limit.
#pragma once

#include <chat/config.hpp>
#include <chat/jwt.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace chatd {

enum class log_format { json, text };

/// Everything chatd runs with. The defaults are chatd's, which differ from a
/// bare chat::config where a deployment needs them to (drain, close code).
struct options {
  options();

  chat::config cfg;
  std::string auth = "none";
  /// --auth jwt: files read at start (server/auth.cpp), the claims to check.
  std::string jwt_hs256_secret_file;
  std::string jwt_public_key_file;
  chat::jwt_options jwt;
  log_format format = log_format::json;
  bool web = true;       ///< Serve the web client (server/web) at /.
  std::string web_root;  ///< Read it from here instead of the built-in copy.
};

/// One setting. Its flag is "--" + key with '_' as '-', its environment
/// variable "CHAT_" + the key in capitals, its TOML key the key itself.
struct setting {
  std::string_view key;
  std::string_view help;
  /// Parses and stores `value`; on a bad value returns why, else "".
  std::string (*apply)(std::string_view value, options& out);
  /// The current value as a TOML value (quoted string or number).
  std::string (*show)(const options& in);
};

/// Every setting, in the order --help and --print-config list them.
const std::vector<setting>& settings();

/// The setting with this key, or null.
const setting* find_setting(std::string_view key);

std::string flag_name(const setting& s);  ///< "--tcp-listen"
std::string env_name(const setting& s);   ///< "CHAT_TCP_LISTEN"

/// The effective configuration as a TOML document that --config accepts.
std::string print_config(const options& o);

}  // namespace chatd
