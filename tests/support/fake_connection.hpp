// tests/support/fake_connection.hpp: a connection that records what it is
// handed, for the unit tests of the registry and the router.
#pragma once

#include <chat/connection.hpp>
#include <chat/envelope.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chat::test {

/// One `close()` call, as the fake saw it.
struct close_call {
  close_code code{};
  std::string reason;
};

/// Records every `deliver`, `notify` and `close` call instead of writing.
/// Thread safety: every member may be called from any thread; the accessors
/// return copies taken under the lock.
class fake_connection : public connection {
 public:
  fake_connection(std::string id, std::string user)
      : connection(std::move(id), std::move(user)) {}

  void deliver(envelope_ptr env) override {
    std::function<void(const envelope_ptr&)> hook;
    {
      std::lock_guard lock(mu_);
      delivered_.push_back(env);
      hook = on_deliver_;
    }
    // Outside the lock, so a hook may route again (reentrancy tests).
    if (hook) hook(env);
  }

  void notify(v1::ServerFrame frame) override {
    std::lock_guard lock(mu_);
    notified_.push_back(std::move(frame));
  }

  void close(close_code code, std::string_view reason) override {
    std::lock_guard lock(mu_);
    closes_.push_back({code, std::string(reason)});
  }

  /// Runs after each delivery is recorded, on the delivering thread.
  void on_deliver(std::function<void(const envelope_ptr&)> hook) {
    std::lock_guard lock(mu_);
    on_deliver_ = std::move(hook);
  }

  std::vector<envelope_ptr> delivered() const {
    std::lock_guard lock(mu_);
    return delivered_;
  }

  std::vector<v1::ServerFrame> notified() const {
    std::lock_guard lock(mu_);
    return notified_;
  }

  std::vector<close_call> closes() const {
    std::lock_guard lock(mu_);
    return closes_;
  }

  std::size_t delivered_count() const {
    std::lock_guard lock(mu_);
    return delivered_.size();
  }

 private:
  mutable std::mutex mu_;
  std::vector<envelope_ptr> delivered_;                  // Guarded by mu_.
  std::vector<v1::ServerFrame> notified_;                // Guarded by mu_.
  std::vector<close_call> closes_;                       // Guarded by mu_.
  std::function<void(const envelope_ptr&)> on_deliver_;  // Guarded by mu_.
};

/// A fake connection named `id`, belonging to `user`.
inline std::shared_ptr<fake_connection> make_fake(std::string id,
                                                  std::string user) {
  return std::make_shared<fake_connection>(std::move(id), std::move(user));
}

}  // namespace chat::test
