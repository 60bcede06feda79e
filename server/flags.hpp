// chatd's command line: which settings the flags set, the one-shot actions
// (--help, --version, --print-config), and the --help text.
#pragma once

#include "settings.hpp"

#include <string>
#include <utility>
#include <vector>

namespace chatd {

struct command_line {
  /// Settings given as flags, in order; applied last (they win).
  std::vector<std::pair<const setting*, std::string>> assignments;
  std::string config_file;  ///< --config FILE; empty when not given
  bool help = false;
  bool version = false;
  bool print_config = false;
};

/// Parses argv; on a bad flag returns false and says why in `error`. Values
/// are only checked when applied, so that the error names the setting.
bool parse_flags(const std::vector<std::string>& args, command_line& out,
                 std::string& error);

/// Applies the flags' settings to `o`; on a bad value returns false and
/// sets `error` to "--flag: why".
bool apply_flags(const command_line& cli, options& o, std::string& error);

/// The --help text.
std::string usage();

}  // namespace chatd
