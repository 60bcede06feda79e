// load::report: what a run measured, for people and for scripts.
#pragma once

#include "options.hpp"
#include "stats.hpp"

namespace load {

struct readings {
  tally total;
  std::uint64_t lost = 0;    // accepted sends that never arrived
  bool connected = false;    // every connection opened
  bool drained = false;      // nothing was left in flight at the end
  double connect_s = 0;      // time to open every connection
  double measured_s = 0;     // the measured interval
  double cpu_s = 0;          // chat-load's CPU time in it
  double server_cpu_s = -1;  // the server's, with --server-pid
  std::uint64_t rss_before = 0, rss_idle = 0, rss_active = 0;
};

/// Prints the report and the JSON line; returns the exit status: 0 when
/// every connection opened and every message arrived once, in order.
int report(const options& o, const readings& r);

}  // namespace load
