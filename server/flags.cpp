#include "flags.hpp"

namespace chatd {
namespace {

// `text` as lines of at most `width` columns, each indented by `indent`.
std::string wrap(std::string_view text, std::size_t indent, std::size_t width) {
  std::string out, line(indent, ' ');
  while (!text.empty()) {
    const auto space = text.find(' ');
    const std::string_view word = text.substr(0, space);
    if (line.size() > indent && line.size() + 1 + word.size() > width) {
      out.append(line).append("\n");
      line.assign(indent, ' ');
    }
    if (line.size() > indent) line.push_back(' ');
    line.append(word);
    text = space == std::string_view::npos ? std::string_view{}
                                           : text.substr(space + 1);
  }
  return out.append(line).append("\n");
}

}  // namespace

std::string usage() {
  std::string out = R"(Usage: chatd [options]

chatd routes one-to-one chat messages between authenticated users over
WebSocket (JSON or protobuf frames) and raw TCP (varint-delimited protobuf).
Protocol: docs/protocol.md. HTTP on the listen address: GET /ws upgrades,
/healthz (alive), /readyz (accepting), /metrics (Prometheus), and / serves
the web chat client (--web false turns it off).

Every setting is a flag, a CHAT_* environment variable and a key of the TOML
config file; a flag wins over the environment, which wins over the file.

Settings (flag, environment variable: meaning):
)";
  for (const auto& s : settings()) {
    out.append("  ")
        .append(flag_name(s))
        .append(" VALUE, ")
        .append(env_name(s));
    out.append("\n").append(wrap(s.help, 6, 78));
  }
  out += R"(
Other options:
  --config FILE, CHAT_CONFIG   read settings from a TOML file first
  --print-config               print the effective configuration as TOML, exit
  --help                       print this help and exit
  --version                    print the version and exit

Logs go to stdout, one JSON object per line (--log-format text for humans);
they never contain message bodies or tokens.

Signals: SIGINT and SIGTERM stop accepting (/readyz answers 503), flush what
is queued, close every connection with --shutdown-close-code (1001 "going away" by
default; 1012 "service restart" tells clients to reconnect elsewhere) within
--drain-timeout, and exit 0.
)";
  return out;
}

bool parse_flags(const std::vector<std::string>& args, command_line& out,
                 std::string& error) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    bool has_value = false;
    if (const auto eq = name.find('=');
        name.starts_with("--") && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    const auto take = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= args.size()) {
        error = name + " needs a value";
        return false;
      }
      value = args[++i];
      return true;
    };
    if (name == "--help" || name == "-h") {
      out.help = true;
    } else if (name == "--version") {
      out.version = true;
    } else if (name == "--print-config") {
      out.print_config = true;
    } else if (name == "--config") {
      if (!take()) return false;
      out.config_file = value;
    } else {
      const setting* s = nullptr;
      for (const auto& candidate : settings())
        if (flag_name(candidate) == name) s = &candidate;
      if (s == nullptr) {
        error = "unknown option \"" + name + "\" (see --help)";
        return false;
      }
      // A switch (--xray) may stand alone: it means "true".
      const bool bare_switch =
          s->key == "xray" && !has_value &&
          (i + 1 >= args.size() || args[i + 1].starts_with("--"));
      if (bare_switch) {
        value = "true";
      } else if (!take()) {
        return false;
      }
      out.assignments.emplace_back(s, value);
    }
  }
  return true;
}

bool apply_flags(const command_line& cli, options& o, std::string& error) {
  // --nats may be repeated (one per server of a NATS cluster): the values
  // join into the one comma-separated list the setting takes.
  const setting* nats = nullptr;
  std::string servers;
  for (const auto& [s, value] : cli.assignments) {
    if (s->key == "nats") {
      nats = s;
      servers.append(servers.empty() ? "" : ",").append(value);
      continue;
    }
    if (auto why = s->apply(value, o); !why.empty()) {
      error = flag_name(*s) + ": " + why;
      return false;
    }
  }
  if (nats != nullptr) {
    if (auto why = nats->apply(servers, o); !why.empty()) {
      error = flag_name(*nats) + ": " + why;
      return false;
    }
  }
  return true;
}

}  // namespace chatd
