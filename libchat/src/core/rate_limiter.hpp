// detail::rate_limiter: a connection's token bucket for sends, kept as one
// time value (GCRA), so a send costs a clock read and a few integer
// operations; no allocation, no lock.
#pragma once

#include <chrono>
#include <cstdint>

namespace chat::detail {

/// Thread safety: none; a session owns one and uses it on its own thread.
class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;
  enum class verdict { pass, refuse, close };

  /// `per_second` tokens a second, at most `burst` at once; 0 turns it off.
  rate_limiter(std::uint32_t per_second, std::uint32_t burst) noexcept
      : interval_(per_second == 0
                      ? clock::duration::zero()
                      : clock::duration(std::chrono::seconds(1)) / per_second),
        tolerance_(interval_ * (burst == 0 ? 0 : burst - 1)),
        burst_(burst) {}

  /// Takes a token at `now`: pass; refuse when the bucket is empty; close
  /// once `burst` sends in a row have been refused.
  verdict admit(clock::time_point now) noexcept {
    if (interval_ == clock::duration::zero()) return verdict::pass;
    if (next_ < now) next_ = now;
    if (next_ - now > tolerance_) {
      return ++refused_ >= burst_ ? verdict::close : verdict::refuse;
    }
    next_ += interval_;
    refused_ = 0;
    return verdict::pass;
  }

 private:
  clock::duration interval_;   // one token's worth of time
  clock::duration tolerance_;  // how far ahead of now `next_` may run
  clock::time_point next_{};   // when the bucket is full again, less one
  std::uint32_t burst_;
  std::uint32_t refused_ = 0;  // refusals in a row
};

}  // namespace chat::detail
