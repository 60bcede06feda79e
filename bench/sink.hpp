// bench::sink: a connection that queues what it is delivered, as a real
// one does before its write, without a socket, so a figure is the router's
// own cost. The queue is drained every `drain_every` deliveries, which keeps
// its memory steady (after the first 64, it never allocates), the way a
// connection's writes drain its queue.
#pragma once

#include <chat/connection.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace bench {

// "u42": appended rather than `"u" + to_string(n)`, which trips GCC 12's
// false -Wrestrict at -O2.
inline std::string name(char prefix, std::int64_t n) {
  std::string s(1, prefix);
  s += std::to_string(n);
  return s;
}

/// Thread safety: deliver() from one thread at a time (each benchmark
/// thread routes to its own sinks).
class sink final : public chat::connection {
 public:
  static constexpr std::size_t drain_every = 64;

  sink(std::string id, std::string user)
      : connection(std::move(id), std::move(user)) {}

  void deliver(chat::envelope_ptr env) override {
    if (queue_.size() == drain_every) queue_.clear();
    queue_.push_back(std::move(env));
    ++delivered_;
  }
  void notify(chat::v1::ServerFrame) override {}
  void close(chat::close_code, std::string_view) override {}

  std::uint64_t delivered() const { return delivered_; }
  const chat::envelope_ptr& last() const { return queue_.back(); }

 private:
  std::vector<chat::envelope_ptr> queue_;
  std::uint64_t delivered_ = 0;
};

}  // namespace bench
