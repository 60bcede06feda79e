// detail::reused: a vector a thread keeps between calls, so that a hot path
// that gathers into a list does not allocate one each time.
#pragma once

#include <utility>
#include <vector>

namespace chat::detail {

/// Takes the thread's spare vector by move for the scope's duration and
/// gives it back, cleared, at the end. A nested call (a delivery that
/// routes again) finds the spare empty and gets a fresh vector instead of
/// the one being iterated.
template <class T>
struct reused {
  std::vector<T>& spare;
  std::vector<T> v;
  explicit reused(std::vector<T>& s) : spare(s), v(std::move(s)) { v.clear(); }
  ~reused() {
    v.clear();
    spare = std::move(v);
  }
  reused(const reused&) = delete;
  reused& operator=(const reused&) = delete;
};

}  // namespace chat::detail
