#include <chat/envelope.hpp>

namespace chat {

const std::string& envelope::encoded(wire_format f) const {
  const auto i = static_cast<std::size_t>(f);
  if (!ready_[i].load(std::memory_order_acquire)) {
    std::lock_guard lock(mu_);
    if (!ready_[i].load(std::memory_order_relaxed)) {
      encode(frame_, f, encoded_[i]);
      ready_[i].store(true, std::memory_order_release);
    }
  }
  return encoded_[i];
}

}  // namespace chat
