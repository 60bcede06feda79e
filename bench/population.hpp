// bench::populated: a registry and router with N users, one sink each.
#pragma once

#include <chat/registry.hpp>
#include <chat/router.hpp>

#include "sink.hpp"

#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

namespace bench {

/// Users "u0".."u{N-1}", connections "c0".."c{N-1}".
struct population {
  chat::registry reg;
  chat::router router{reg};
  std::vector<std::shared_ptr<sink>> sinks;
};

/// The population of `users` users, built on first use and shared by every
/// thread of the benchmarks that ask for that size; asking for another size
/// frees this one first (1M users take a few hundred MB).
inline population& populated(std::int64_t users) {
  static std::mutex mu;
  static std::unique_ptr<population> current;
  static std::int64_t size = 0;
  std::lock_guard lock(mu);
  if (size != users) {
    current.reset();
    current = std::make_unique<population>();
    current->sinks.reserve(static_cast<std::size_t>(users));
    for (std::int64_t i = 0; i < users; ++i) {
      auto s = std::make_shared<sink>(name('c', i), name('u', i));
      if (!current->reg.add(s)) std::abort();
      current->sinks.push_back(std::move(s));
    }
    size = users;
  }
  return *current;
}

}  // namespace bench
