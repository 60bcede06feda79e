#include "transport/ip_limits.hpp"

namespace chat::detail {

ip_limits::ticket ip_limits::admit(const boost::asio::ip::address& ip,
                                   clock::time_point now) {
  if (!enabled()) {
    // Not null, and allocates nothing: an aliasing pointer with no owner.
    static char unlimited;
    return std::shared_ptr<void>(std::shared_ptr<void>(), &unlimited);
  }
  std::string key = ip.to_string();
  {
    std::lock_guard lock(mu_);
    if (++admitted_ % 1024 == 0) sweep(now);
    entry& e = by_ip_[key];
    if (now - e.second >= std::chrono::seconds(1)) {
      e.second = now;
      e.in_second = 0;
    }
    const bool refused =
        (max_concurrent_ != 0 && e.live >= max_concurrent_) ||
        (max_per_second_ != 0 && e.in_second >= max_per_second_);
    if (refused) return nullptr;
    ++e.live;
    ++e.in_second;
  }
  // The ticket keeps the limits alive, so it may outlive the listener.
  return std::shared_ptr<void>(
      static_cast<void*>(this),
      [self = shared_from_this(), key = std::move(key)](void*) {
        self->release(key);
      });
}

void ip_limits::release(const std::string& key) {
  std::lock_guard lock(mu_);
  const auto it = by_ip_.find(key);
  if (it != by_ip_.end()) --it->second.live;
}

// An address with no live connection is kept until its one-second window
// is over (a connect-close loop must not reset its count), then dropped
// here, so the map holds only recent addresses.
void ip_limits::sweep(clock::time_point now) {
  std::erase_if(by_ip_, [now](const auto& kv) {
    return kv.second.live == 0 &&
           now - kv.second.second >= std::chrono::seconds(1);
  });
}

}  // namespace chat::detail
