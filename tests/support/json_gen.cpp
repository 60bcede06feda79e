// Random protocol frames for the codec's differential tests.
#include "support/json_gen.hpp"

#include <algorithm>
#include <vector>

namespace chat::test {
namespace {

using kind = json_gen::kind;

// A field by its JSON names (lowerCamelCase first, then the proto name when
// it differs) and its JSON kind.
struct field {
  std::vector<std::string_view> names;
  kind k;
};

struct schema {
  std::string_view name;
  std::vector<field> fields;
};

const std::vector<schema>& client_schemas() {
  static const std::vector<schema> s = {
      {"send",
       {{{"id"}, kind::string},
        {{"to"}, kind::string},
        {{"toConnection", "to_connection"}, kind::string},
        {{"text"}, kind::string},
        {{"data"}, kind::bytes}}},
      {"ping", {{{"id"}, kind::string}}},
      {"pong", {{{"id"}, kind::string}}},
      {"ack",
       {{{"messageId", "message_id"}, kind::string},
        {{"cumulative"}, kind::boolean}}},
      {"hello", {{{"user"}, kind::string}, {{"token"}, kind::string}}},
  };
  return s;
}

const std::vector<schema>& server_schemas() {
  static const std::vector<schema> s = {
      {"message",
       {{{"messageId", "message_id"}, kind::string},
        {{"from"}, kind::string},
        {{"to"}, kind::string},
        {{"text"}, kind::string},
        {{"data"}, kind::bytes},
        {{"sentAt", "sent_at"}, kind::timestamp},
        {{"fromConnection", "from_connection"}, kind::string},
        {{"copy"}, kind::boolean},
        {{"id"}, kind::string}}},
      {"sent",
       {{{"id"}, kind::string},
        {{"messageId", "message_id"}, kind::string},
        {{"status"}, kind::status}}},
      {"error",
       {{{"id"}, kind::string},
        {{"code"}, kind::code},
        {{"message"}, kind::string}}},
      {"receipt",
       {{{"messageId", "message_id"}, kind::string},
        {{"id"}, kind::string},
        {{"status"}, kind::status},
        {{"by"}, kind::string},
        {{"at"}, kind::timestamp}}},
      {"welcome",
       {{{"connectionId", "connection_id"}, kind::string},
        {{"user"}, kind::string}}},
      {"pong", {{{"id"}, kind::string}}},
      {"ping", {{{"id"}, kind::string}}},
      {"close", {{{"code"}, kind::uint}, {{"reason"}, kind::string}}},
  };
  return s;
}

constexpr const char* odd_keys[] = {"typing", "ID",     "Id",       "\\u0069d",
                                    "",       "sEnd",   "priority", "to ",
                                    "meta",   "status", "frame"};

}  // namespace

void json_gen::append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

void json_gen::append_escape(std::string& out, std::uint32_t cp) {
  static constexpr char hex[] = "0123456789abcdef";
  const auto one = [&](std::uint32_t u) {
    out += "\\u";
    for (int s = 12; s >= 0; s -= 4) out.push_back(hex[(u >> s) & 0xf]);
  };
  if (cp < 0x10000) return one(cp);
  one(0xd800 + ((cp - 0x10000) >> 10));
  one(0xdc00 + ((cp - 0x10000) & 0x3ff));
}

void json_gen::ws(std::string& out) {
  static constexpr char spaces[] = {' ', '\t', '\r', '\n'};
  if (chance(0.8)) return;
  for (std::uint32_t n = below(3) + 1; n > 0; --n) out.push_back(pick(spaces));
}

std::string json_gen::frame() {
  const auto& mine = side_ == client ? client_schemas() : server_schemas();
  const auto& theirs = side_ == client ? server_schemas() : client_schemas();
  std::string out;
  ws(out);
  out.push_back('{');
  const std::uint32_t keys = chance(0.9) ? 1 : below(3);
  for (std::uint32_t i = 0; i < keys; ++i) {
    if (i > 0) out.push_back(',');
    ws(out);
    std::string_view name = mine[below(mine.size())].name;
    if (chance(0.05)) name = theirs[below(theirs.size())].name;
    if (chance(0.03)) name = pick(odd_keys);
    out.append("\"").append(name).append("\"");
    ws(out);
    out.push_back(':');
    ws(out);
    if (chance(0.93)) {
      object_value(out, name);
    } else {
      any_value(out, 1);
    }
    ws(out);
  }
  out.push_back('}');
  ws(out);
  if (chance(0.08)) mutate(out);
  return out;
}

void json_gen::object_value(std::string& out, std::string_view frame) {
  const schema* s = nullptr;
  for (const auto* list : {&client_schemas(), &server_schemas()}) {
    for (const auto& c : *list)
      if (c.name == frame) s = &c;
  }
  out.push_back('{');
  // Each known field at most once, in a random order; duplicates come from
  // the explicit 3% below.
  std::vector<const field*> fields;
  if (s != nullptr)
    for (const field& f : s->fields) fields.push_back(&f);
  std::shuffle(fields.begin(), fields.end(), rng_);
  const std::uint32_t n = below(static_cast<std::uint32_t>(fields.size()) + 2);
  std::string last;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (i > 0) out.push_back(',');
    ws(out);
    std::string key;
    kind k = kind::string;
    if (i < fields.size() && chance(0.93)) {
      const field& f = *fields[i];
      key = f.names[below(static_cast<std::uint32_t>(f.names.size()))];
      k = f.k;
    } else {
      key = pick(odd_keys);
    }
    if (!last.empty() && chance(0.03)) key = last;  // a duplicate
    last = key;
    out.append("\"").append(key).append("\":");
    ws(out);
    if (chance(0.9)) {
      value(out, k);
    } else {
      any_value(out, 0);  // a wrong type, mostly
    }
  }
  out.push_back('}');
}

}  // namespace chat::test
