#pragma once

// Gives the memory of a burst of handshakes back to the system.
//
// An HTTP upgrade allocates a few kilobytes for a moment (the request
// buffer and parser, the response, the stream's timers) and the connection
// it leaves keeps a few hundred bytes. When thousands of clients connect at
// once (a restart, a reconnect storm), the allocator keeps the peak: the
// freed handshake memory stays in the process, interleaved with what the
// connections keep. Once such a burst is over (no HTTP session in
// progress, at least `burst` upgrades since the last release), the
// allocator's free pages are released: tcmalloc's ReleaseFreeMemory when it
// is linked in (chatd links it), glibc's malloc_trim otherwise. That runs
// on a thread of its own (malloc_trim walks the whole heap), one at a time,
// and never on the message path. Plain HTTP requests (health checks,
// scrapes) do not count toward a burst.

#include <atomic>
#include <cstddef>
#include <thread>

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

  /// An HTTP session ended; `upgraded`: it became a WebSocket connection.
  void finished(bool upgraded) noexcept {
    const std::size_t since =
        upgraded ? since_.fetch_add(1, std::memory_order_relaxed) + 1
                 : since_.load(std::memory_order_relaxed);
    if (live_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    if (since < burst) return;
    if (since_.exchange(0, std::memory_order_relaxed) < burst) return;
    ++releases_;
    // This thread's tcmalloc cache goes back first (it holds what this
    // thread's handshakes freed; quick), then the pages, elsewhere.
    if (MallocExtension_MarkThreadTemporarilyIdle)
      MallocExtension_MarkThreadTemporarilyIdle();
    if (releasing().exchange(true, std::memory_order_acquire)) return;
    try {
      std::thread([] {
        release();
        releasing().store(false, std::memory_order_release);
      }).detach();
    } catch (...) {  // no thread to be had: release here
      release();
      releasing().store(false, std::memory_order_release);
    }
  }

  /// Releases the allocator's free pages now, on this thread.
  static void release() noexcept {
    if (MallocExtension_ReleaseFreeMemory)
      MallocExtension_ReleaseFreeMemory();
    else
      malloc_trim(0);
  }

  /// How many times memory was released.
  std::size_t releases() const noexcept { return releases_.load(); }

 private:
  std::atomic<std::size_t> live_{0};
  std::atomic<std::size_t> since_{0};
  std::atomic<std::size_t> releases_{0};

  // A release is under way (process-wide: the thread that does it refers
  // to nothing else).
  static std::atomic<bool>& releasing() noexcept {
    static std::atomic<bool> busy{false};
    return busy;
  }
};

}  // namespace chat::detail
