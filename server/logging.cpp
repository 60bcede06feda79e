#include "logging.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace chatd {
namespace {

log_format current = log_format::json;
chat::log_level min_level = chat::log_level::info;

// RFC 3339 UTC with milliseconds, as the protocol's timestamps.
std::string now_text() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t t = system_clock::to_time_t(now);
  const auto ms =
      duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
  return buf;
}

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

std::string format_text(const chat::log_event& e, std::string_view ts) {
  char level[8];
  std::snprintf(level, sizeof level, "%-5s",
                std::string(chat::to_string(e.level)).c_str());
  std::string out = std::string(ts) + " " + level;
  // Free text reads better bare; events are their name and key=value pairs.
  const bool plain = e.name == "log" && e.fields.size() == 1;
  if (!plain) out.append(" ").append(e.name);
  for (const auto& [key, value] : e.fields) {
    if (value.empty()) continue;
    out.append(" ");
    if (!plain) out.append(key).append("=");
    out.append(value);
  }
  return out;
}

void write_line(std::string line) {
  static std::mutex mu;
  line.push_back('\n');
  std::lock_guard lock(mu);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);  // a collector reads the pipe; do not sit on lines
}

}  // namespace

std::string redact_tokens(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (;;) {
    const auto at = text.find("token=");
    if (at == text.npos) break;
    out.append(text.substr(0, at + 6)).append("REDACTED");
    text = text.substr(at + 6);
    text.remove_prefix(std::min(text.find_first_of("& \"'"), text.size()));
  }
  return out.append(text);
}

namespace {
void write_formatted(const chat::log_event& e) {
  const std::string ts = now_text();
  write_line(current == log_format::json ? format_json(e, ts)
                                         : format_text(e, ts));
}
}  // namespace

std::string format_json(const chat::log_event& e, std::string_view ts) {
  std::string out = "{\"ts\":";
  append_json_string(out, ts);
  out += ",\"level\":";
  append_json_string(out, chat::to_string(e.level));
  out += ",\"event\":";
  append_json_string(out, e.name);
  for (const auto& [key, value] : e.fields) {
    out.push_back(',');
    append_json_string(out, key);
    out.push_back(':');
    append_json_string(out, value);
  }
  out.push_back('}');
  return out;
}

void write_event(const chat::log_event& e) {
  if (e.level < min_level || min_level == chat::log_level::off) return;
  // Nothing the library reports should hold a `?token=`; if a URL ever
  // slips into a field, its token still stays out of the log.
  for (const auto& [key, value] : e.fields) {
    if (value.find("token=") == std::string_view::npos) continue;
    std::vector<std::string> clean;
    chat::log_event copy = e;
    clean.reserve(e.fields.size());
    for (auto& [k, v] : copy.fields) v = clean.emplace_back(redact_tokens(v));
    return write_formatted(copy);
  }
  write_formatted(e);
}

void install_logging(chat::hooks& h, log_format format) {
  current = format;
  min_level = h.min_level;
  h.on_event = write_event;
  // The library's free-text reports become events named "log".
  h.log = [](chat::log_level level, std::string_view text) {
    write_event({level, "log", {{"message", text}}});
  };
}

}  // namespace chatd
