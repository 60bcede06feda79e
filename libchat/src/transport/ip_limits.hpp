// detail::ip_limits: the per-address caps on concurrent connections and on
// new connections per second, checked when a connection is accepted.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace chat::detail {

/// Thread safety: any thread. The lock is taken when a connection starts
/// and when it ends, never on the message path.
class ip_limits : public std::enable_shared_from_this<ip_limits> {
 public:
  using clock = std::chrono::steady_clock;
  /// Held by a connection for its life; releases its place when dropped.
  using ticket = std::shared_ptr<void>;

  /// 0 turns a cap off.
  ip_limits(std::size_t max_concurrent, std::size_t max_per_second)
      : max_concurrent_(max_concurrent), max_per_second_(max_per_second) {}

  bool enabled() const noexcept {
    return max_concurrent_ != 0 || max_per_second_ != 0;
  }

  /// A ticket for a new connection from `ip` at `now`, or null when either
  /// cap refuses it. With both caps off, an empty ticket that is not null.
  ticket admit(const boost::asio::ip::address& ip, clock::time_point now);

 private:
  struct entry {
    std::size_t live = 0;        // connections now
    clock::time_point second{};  // the start of the current one-second window
    std::size_t in_second = 0;   // connections accepted in it
  };
  void release(const std::string& key);
  void sweep(clock::time_point now);

  std::size_t max_concurrent_;
  std::size_t max_per_second_;
  std::mutex mu_;
  std::unordered_map<std::string, entry> by_ip_;  // Guarded by mu_.
  std::uint64_t admitted_ = 0;                    // Guarded by mu_.
};

}  // namespace chat::detail
