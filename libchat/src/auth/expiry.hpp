// detail::expiry_timer: closes a connection with 1008 "token expired" when
// the credential it was accepted with expires. One per session, armed once
// after the handshake; a session member, so that it dies with the session.
#pragma once

#include <chat/connection.hpp>
#include <chat/hooks.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <memory>

namespace chat::detail {

class expiry_timer {
 public:
  explicit expiry_timer(const boost::asio::any_io_executor& ex) : timer_(ex) {}

  /// Closes `c` at `at` (system time, a token's `exp`); nothing for
  /// time_point::max(). Holds `c` weakly: the session owns the timer. Call on
  /// the session's thread; arming again replaces the previous deadline.
  void arm(std::weak_ptr<connection> c, auth_result::time_point at) {
    if (at == auth_result::time_point::max()) return cancel();
    // The system clock may jump; a steady timer for what is left now is
    // what a token's holder can be held to.
    const auto left = std::max(at - std::chrono::system_clock::now(),
                               std::chrono::system_clock::duration::zero());
    arm_after(std::move(c),
              std::min<std::chrono::steady_clock::duration>(
                  left, std::chrono::hours(24 * 365)),
              "token expired");
  }

  /// Closes `c` with 1008 and `reason` (a literal) after `d`.
  void arm_after(std::weak_ptr<connection> c,
                 std::chrono::steady_clock::duration d, const char* reason) {
    timer_.expires_after(d);
    timer_.async_wait([c = std::move(c), reason](boost::system::error_code ec) {
      if (ec) return;
      if (auto live = c.lock())
        live->close(close_code::policy_violation, reason);
    });
  }

  void cancel() { timer_.cancel(); }

 private:
  boost::asio::steady_timer timer_;
};

}  // namespace chat::detail
