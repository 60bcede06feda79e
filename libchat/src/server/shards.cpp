#include "server/shards.hpp"

namespace chat::detail {

shards::shards(unsigned count) {
  if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < count; ++i) {
    // Concurrency hint 1: each io_context is run by exactly one thread.
    ioc_.push_back(std::make_unique<boost::asio::io_context>(1));
  }
}

shards::~shards() { stop(); }

void shards::start() {
  for (auto& ioc : ioc_) {
    guards_.emplace_back(ioc->get_executor());
    threads_.emplace_back([&ioc] { ioc->run(); });
  }
}

void shards::stop() {
  guards_.clear();
  for (auto& ioc : ioc_) ioc->stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace chat::detail
