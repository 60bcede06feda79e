// detail::shards: one io_context per I/O thread.
//
// An accepted socket is given to one shard and lives there: its reads,
// writes and timers run on that shard's thread only, so they never lock.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace chat::detail {

/// Thread safety: `start`, `stop` and `join` belong to the owner; `next` and
/// `at` may be called from any thread.
class shards {
 public:
  explicit shards(unsigned count);
  ~shards();
  shards(const shards&) = delete;
  shards& operator=(const shards&) = delete;

  void start();
  /// Stops every io_context and joins the threads.
  void stop();

  std::size_t size() const noexcept { return ioc_.size(); }
  boost::asio::io_context& at(std::size_t i) noexcept { return *ioc_[i]; }

  /// The shard for the next new connection, round-robin.
  boost::asio::io_context& next() noexcept {
    return *ioc_[next_.fetch_add(1, std::memory_order_relaxed) % ioc_.size()];
  }

 private:
  using guard =
      boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> ioc_;
  std::vector<guard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<unsigned> next_{0};
};

}  // namespace chat::detail
