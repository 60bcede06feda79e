// detail::received_at: the wall-clock time at which a transport read the
// frames it is handling, stamped by the router on every message it builds
// from them.
//
// A read brings every frame in it at one moment, so the transports read
// the clock once per read, not once per message: on this machine's virtual
// clock a read costs 24 ns, an eighth of routing a message. Outside any
// scope (an embedder calling the router itself), the router reads the
// clock for each message.
#pragma once

#include <chrono>
#include <cstdint>

namespace chat::detail {

/// Milliseconds since the Unix epoch, read now.
inline std::int64_t wall_ms() noexcept {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

/// Thread safety: per thread; scopes nest (the innermost wins).
class received_at {
 public:
  explicit received_at(std::int64_t ms = wall_ms()) noexcept : prev_(now_) {
    now_ = ms;
  }
  ~received_at() { now_ = prev_; }
  received_at(const received_at&) = delete;
  received_at& operator=(const received_at&) = delete;

  /// The innermost scope's time on this thread, or the clock's now.
  static std::int64_t ms() noexcept { return now_ != 0 ? now_ : wall_ms(); }

 private:
  static inline thread_local std::int64_t now_ = 0;  // 0: no scope
  std::int64_t prev_;
};

}  // namespace chat::detail
