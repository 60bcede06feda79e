// Latency histogram, tallies, and process readings from /proc.
#include "stats.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/resource.h>
#include <unistd.h>

namespace load {

void histogram::merge(const histogram& o) {
  for (int i = 0; i < buckets; ++i) buckets_[i] += o.buckets_[i];
  count_ += o.count_;
  if (o.max_ > max_) max_ = o.max_;
}

std::uint64_t histogram::upper(int i) {
  if (i < 64) return static_cast<std::uint64_t>(i);
  const int k = i - 64;
  const int msb = k / 32 + 6;
  const std::uint64_t top = static_cast<std::uint64_t>(k % 32) + 32;
  return ((top + 1) << (msb - 5)) - 1;
}

std::uint64_t histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_));
  if (rank >= count_) rank = count_ - 1;
  std::uint64_t seen = 0;
  for (int i = 0; i < buckets; ++i) {
    seen += buckets_[i];
    if (seen > rank) return std::min(upper(i), max_);
  }
  return max_;
}

void tally::merge(const tally& o) {
  sent += o.sent;
  answered += o.answered;
  rejected += o.rejected;
  delivered += o.delivered;
  measured += o.measured;
  out_of_order += o.out_of_order;
  duplicates += o.duplicates;
  misrouted += o.misrouted;
  acks += o.acks;
  other_errors += o.other_errors;
  bad_frames += o.bad_frames;
  closed += o.closed;
  connect_failed += o.connect_failed;
  for (const auto& [code, n] : o.error_codes) error_codes[code] += n;
  latency.merge(o.latency);
}

std::uint64_t proc_rss(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream in(line.substr(6));
      std::uint64_t kb = 0;
      in >> kb;
      return kb * 1024;
    }
  }
  return 0;
}

double proc_cpu(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(f, stat)) return -1;
  // Fields after the command name, which is in parentheses and may hold
  // spaces: state is field 3, utime 14 and stime 15.
  std::istringstream in(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double self_cpu() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

}  // namespace load
