#include <chat/endpoint.hpp>

namespace chat {

v1::ServerFrame endpoint::send(std::string_view to, std::string_view text,
                               std::string_view id) {
  v1::Send s;
  s.set_id(std::string(id));
  s.set_to(std::string(to));
  s.set_text(std::string(text));
  return send(std::move(s));
}

}  // namespace chat
