// load::histogram and load::tally: what one event loop counted, merged
// into one report at the end; load::proc_*: CPU and memory from /proc.
#pragma once

#include <chat/v1/chat.pb.h>

#include <array>
#include <cstdint>
#include <map>
#include <vector>

namespace load {

/// Latencies in ns, in log-linear buckets: 32 per power of two, so a
/// percentile is within 3% of the true value.
class histogram {
 public:
  histogram() : buckets_(buckets, 0) {}

  void add(std::uint64_t ns) {
    ++buckets_[index(ns)];
    ++count_;
    if (ns > max_) max_ = ns;
  }
  void merge(const histogram& o);

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  /// The upper bound of the bucket holding the `q` quantile (0 to 1).
  std::uint64_t quantile(double q) const;

 private:
  static constexpr int buckets = 64 + 58 * 32;
  static int index(std::uint64_t v) {
    if (v < 64) return static_cast<int>(v);
    const int msb = 63 - __builtin_clzll(v);
    return 64 + (msb - 6) * 32 + static_cast<int>((v >> (msb - 5)) - 32);
  }
  static std::uint64_t upper(int i);

  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

/// One event loop's counts. `measured` and `latency` cover only the
/// measured interval; the rest cover the whole run.
struct tally {
  std::uint64_t sent = 0;       // send frames written
  std::uint64_t answered = 0;   // `sent` answers received
  std::uint64_t rejected = 0;   // `error` answers to a send
  std::uint64_t delivered = 0;  // messages received, in order
  std::uint64_t measured = 0;   // of those, in the measured interval
  std::uint64_t out_of_order = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t misrouted = 0;     // wrong `from` or `to`, or not our text
  std::uint64_t acks = 0;          // acks written
  std::uint64_t other_errors = 0;  // `error` frames answering no send
  std::uint64_t bad_frames = 0;    // undecodable or unexpected frames
  std::uint64_t closed = 0;        // connections the server closed
  std::uint64_t connect_failed = 0;
  std::map<int, std::uint64_t> error_codes;
  histogram latency;

  void merge(const tally& o);
};

/// Resident memory of a process in bytes, or 0 when unreadable.
std::uint64_t proc_rss(int pid);

/// CPU seconds (user + system) a process has used, or -1 when unreadable.
double proc_cpu(int pid);

/// CPU seconds this process has used.
double self_cpu();

}  // namespace load
