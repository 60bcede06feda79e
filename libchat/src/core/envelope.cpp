#include <chat/envelope.hpp>

namespace chat {

const std::string& envelope::encoded(wire_format f) const {
  const auto i = static_cast<std::size_t>(f);
  std::call_once(once_[i], [&] { encoded_[i] = encode(frame_, f); });
  return encoded_[i];
}

}  // namespace chat
