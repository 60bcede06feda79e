#pragma once

// Gives the memory of a burst of handshakes back to the system.
//
// An HTTP upgrade allocates a few kilobytes for a moment (the request
// buffer and parser, the response, the stream's timers) and the connection
// it leaves keeps a few hundred bytes. When thousands of clients connect at
// once (a restart, a reconnect storm), the allocator keeps the peak: the
// freed handshake memory stays in the process, interleaved with what the
// connections keep. Once such a burst is over (no handshake in progress,
// at least `burst` of them since the last release), the allocator's free
// pages are released: tcmalloc's ReleaseFreeMemory when it is linked in
// (chatd links it), glibc's malloc_trim otherwise. Release is rare and
// never on the message path.

#include <atomic>
#include <cstddef>

#include <malloc.h>

extern "C" void MallocExtension_ReleaseFreeMemory() __attribute__((weak));
extern "C" void MallocExtension_MarkThreadTemporarilyIdle()
    __attribute__((weak));

namespace chat::detail {

class handshake_burst {
 public:
  static constexpr std::size_t burst = 1024;

  /// The process's (every server in it counts toward one burst).
  static handshake_burst& instance() noexcept {
    static handshake_burst b;
    return b;
  }

  void started() noexcept { live_.fetch_add(1, std::memory_order_relaxed); }

  void finished() noexcept {
    const std::size_t since =
        since_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (live_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    if (since < burst) return;
    if (since_.exchange(0, std::memory_order_relaxed) < burst) return;
    ++releases_;
    if (MallocExtension_ReleaseFreeMemory) {
      // This thread's cache first, so that what it holds can go too.
      if (MallocExtension_MarkThreadTemporarilyIdle)
        MallocExtension_MarkThreadTemporarilyIdle();
      MallocExtension_ReleaseFreeMemory();
    } else {
      malloc_trim(0);
    }
  }

  /// How many times memory was released.
  std::size_t releases() const noexcept { return releases_.load(); }

 private:
  std::atomic<std::size_t> live_{0};
  std::atomic<std::size_t> since_{0};
  std::atomic<std::size_t> releases_{0};
};

}  // namespace chat::detail
