#pragma once

// One timer per event loop for all of its connections' deadlines.
//
// An asio steady_timer per connection costs the timer (about 100 bytes with
// its executor) and, while armed, a pending wait operation (about 150 more);
// an idle connection is always armed (its ping is due). Here a connection
// keeps a `deadline` (a time and a heap slot) and its loop's `deadlines`
// service keeps them in a binary min-heap under one steady_timer, as
// uWebSockets and nginx keep theirs.
//
// Everything runs on the loop's own thread: schedule, cancel and the calls
// to on_deadline().

#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace chat::detail {

/// What a `deadlines` service calls when a time comes. While scheduled it
/// holds its owner (the shared_ptr given to schedule), as a pending timer
/// handler would.
class deadline {
 public:
  using clock = std::chrono::steady_clock;

  bool scheduled() const noexcept { return slot_ != none; }
  clock::time_point due() const noexcept { return due_; }

  /// Called on the loop's thread once the time has come; the deadline is
  /// no longer scheduled (schedule it again from here to repeat).
  virtual void on_deadline() = 0;

 protected:
  deadline() = default;
  virtual ~deadline() = default;
  deadline(const deadline&) = delete;
  deadline& operator=(const deadline&) = delete;

 private:
  friend class deadlines;
  static constexpr std::uint32_t none = UINT32_MAX;

  clock::time_point due_{};
  std::uint32_t slot_ = none;
  std::shared_ptr<void> owner_;
};

class deadlines final : public boost::asio::execution_context::service {
 public:
  using clock = deadline::clock;
  using key_type = deadlines;
  static inline boost::asio::execution_context::id id;

  explicit deadlines(boost::asio::execution_context& ctx)
      : service(ctx),
        timer_(static_cast<boost::asio::io_context&>(ctx).get_executor()) {}

  /// The service of `ioc` (created on first use).
  static deadlines& of(boost::asio::io_context& ioc) {
    return boost::asio::use_service<deadlines>(ioc);
  }

  /// Schedules `d` at `at`, or moves it there; `owner` is kept alive until
  /// it fires or is cancelled (moving a scheduled `d` keeps the owner it
  /// has).
  void schedule(deadline& d, clock::time_point at,
                std::shared_ptr<void> owner) {
    const auto before = d.due_;
    d.due_ = at;
    if (!d.scheduled()) {
      d.owner_ = std::move(owner);
      d.slot_ = static_cast<std::uint32_t>(heap_.size());
      heap_.push_back(&d);
      up(d.slot_);
    } else if (at < before) {
      up(d.slot_);
    } else {
      down(d.slot_);
    }
    if (heap_.front() == &d) arm();
  }

  /// Takes `d` out; returns its owner (release it where the owner may not
  /// be running: it can be the last reference). Null if not scheduled.
  [[nodiscard]] std::shared_ptr<void> cancel(deadline& d) {
    if (!d.scheduled()) return nullptr;
    remove(d.slot_);
    if (heap_.empty() && armed_) {  // nothing left to wake the loop for
      armed_ = false;
      timer_.cancel();
    }
    return std::move(d.owner_);
  }

  std::size_t size() const noexcept { return heap_.size(); }

 private:
  void shutdown() override {
    // The loop is going away: what is scheduled never fires, and its
    // owners are let go (as asio destroys pending handlers).
    std::vector<deadline*> heap;
    heap.swap(heap_);
    for (deadline* d : heap) d->slot_ = deadline::none;
    for (deadline* d : heap) {
      const std::shared_ptr<void> owner = std::move(d->owner_);
    }
    timer_.cancel();
  }

  void arm() {
    const auto at = heap_.front()->due_;
    if (armed_ && at >= armed_at_) return;
    armed_ = true;
    armed_at_ = at;
    timer_.expires_at(at);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) fire();
    });
  }

  void fire() {
    armed_ = false;
    const auto now = clock::now();
    while (!heap_.empty() && heap_.front()->due_ <= now) {
      deadline& d = *heap_.front();
      remove(0);
      const std::shared_ptr<void> owner = std::move(d.owner_);
      d.on_deadline();  // may schedule d again
    }
    if (!heap_.empty()) arm();
  }

  void remove(std::uint32_t slot) noexcept {
    deadline* gone = heap_[slot];
    gone->slot_ = deadline::none;
    deadline* last = heap_.back();
    heap_.pop_back();
    if (last == gone) return;
    heap_[slot] = last;
    last->slot_ = slot;
    up(slot);
    down(last->slot_);
  }

  void up(std::uint32_t i) noexcept {
    deadline* d = heap_[i];
    while (i > 0) {
      const std::uint32_t parent = (i - 1) / 2;
      if (!(d->due_ < heap_[parent]->due_)) break;
      place(i, heap_[parent]);
      i = parent;
    }
    place(i, d);
  }

  void down(std::uint32_t i) noexcept {
    deadline* d = heap_[i];
    const auto n = static_cast<std::uint32_t>(heap_.size());
    for (;;) {
      std::uint32_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && heap_[child + 1]->due_ < heap_[child]->due_) ++child;
      if (!(heap_[child]->due_ < d->due_)) break;
      place(i, heap_[child]);
      i = child;
    }
    place(i, d);
  }

  void place(std::uint32_t i, deadline* d) noexcept {
    heap_[i] = d;
    d->slot_ = i;
  }

  std::vector<deadline*> heap_;
  boost::asio::steady_timer timer_;
  clock::time_point armed_at_{};
  bool armed_ = false;
};

}  // namespace chat::detail
