#include "sources.hpp"

#include <toml++/toml.h>

#include <cstdlib>

namespace chatd {

bool apply_env(options& o, std::string& error) {
  for (const auto& s : settings()) {
    const char* value = std::getenv(env_name(s).c_str());
    if (value == nullptr) continue;
    if (auto why = s.apply(value, o); !why.empty()) {
      error = env_name(s) + ": " + why;
      return false;
    }
  }
  return true;
}

namespace {

// A TOML value as the text a flag would carry; nullopt for kinds no
// setting takes (tables, arrays, floats, dates).
std::optional<std::string> as_text(const toml::node& n) {
  if (const auto* s = n.as_string()) return s->get();
  if (const auto* i = n.as_integer()) return std::to_string(i->get());
  if (const auto* b = n.as_boolean()) return b->get() ? "true" : "false";
  return std::nullopt;
}

}  // namespace

bool apply_config_file(const std::string& path, options& o,
                       std::string& error) {
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    error = path + ":" + std::to_string(where.line) + ":" +
            std::to_string(where.column) + ": " + std::string(e.description());
    return false;
  }
  for (const auto& [key, node] : doc) {
    const std::string name(key.str());
    const setting* s = find_setting(name);
    if (s == nullptr) {
      error = path + ": " + name + ": unknown setting (see chatd --help)";
      return false;
    }
    const auto text = as_text(node);
    if (!text) {
      error = path + ": " + name + ": expected a string or an integer";
      return false;
    }
    if (auto why = s->apply(*text, o); !why.empty()) {
      error = path + ": " + name + ": " + why;
      return false;
    }
  }
  return true;
}

}  // namespace chatd
