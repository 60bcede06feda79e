// chatd's command line: flags to a chat::config, and the --help text.
#pragma once

#include <chat/config.hpp>

#include <string>
#include <vector>

namespace chatd {

struct options {
  chat::config cfg;
  std::string auth = "none";
  bool help = false;
  bool version = false;
};

/// Parses argv; on a bad flag returns false and says why in `error`.
bool parse_flags(const std::vector<std::string>& args, options& out,
                 std::string& error);

/// The --help text.
std::string usage();

}  // namespace chatd
