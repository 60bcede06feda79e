// Sharded registry: user -> connections, connection id -> connection.
#include <chat/registry.hpp>

#include "core/string_map.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace chat {
namespace {

using detail::string_hash;
using detail::string_map;
using connection_ptr = std::shared_ptr<connection>;

std::size_t round_up_pow2(std::size_t n) {
  std::size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

struct registry::shard {
  mutable std::mutex mu;
  string_map<std::vector<connection_ptr>> users;  // Guarded by mu.
  string_map<connection_ptr> ids;                 // Guarded by mu.
};

registry::registry(std::size_t shards)
    : users_(std::make_unique<shard[]>(round_up_pow2(shards))),
      ids_(std::make_unique<shard[]>(round_up_pow2(shards))),
      mask_(round_up_pow2(shards) - 1) {}

registry::~registry() = default;

// Both maps change under both locks, so a concurrent remove can never see a
// connection in one map and not the other. The two shards live in separate
// arrays, so the mutexes are distinct; scoped_lock orders them.
bool registry::add(std::shared_ptr<connection> c) {
  shard& is = ids_[string_hash{}(c->id()) & mask_];
  shard& us = users_[string_hash{}(c->user()) & mask_];
  std::scoped_lock lock(is.mu, us.mu);
  if (!is.ids.try_emplace(c->id(), c).second) return false;
  us.users[c->user()].push_back(std::move(c));
  return true;
}

bool registry::remove(const connection& c) {
  shard& is = ids_[string_hash{}(c.id()) & mask_];
  shard& us = users_[string_hash{}(c.user()) & mask_];
  std::scoped_lock lock(is.mu, us.mu);
  const auto it = is.ids.find(c.id());
  if (it == is.ids.end() || it->second.get() != &c) return false;
  is.ids.erase(it);
  if (const auto u = us.users.find(c.user()); u != us.users.end()) {
    std::erase_if(u->second,
                  [&](const connection_ptr& p) { return p.get() == &c; });
    if (u->second.empty()) us.users.erase(u);
  }
  return true;
}

std::shared_ptr<connection> registry::find(std::string_view id) const {
  const shard& s = ids_[string_hash{}(id)&mask_];
  std::lock_guard lock(s.mu);
  const auto it = s.ids.find(id);
  return it == s.ids.end() ? nullptr : it->second;
}

std::size_t registry::snapshot(std::string_view user,
                               std::vector<connection_ptr>& out) const {
  out.clear();
  const shard& s = users_[string_hash{}(user)&mask_];
  std::lock_guard lock(s.mu);
  const auto it = s.users.find(user);
  if (it != s.users.end()) out.assign(it->second.begin(), it->second.end());
  return out.size();
}

std::size_t registry::count(std::string_view user) const {
  const shard& s = users_[string_hash{}(user)&mask_];
  std::lock_guard lock(s.mu);
  const auto it = s.users.find(user);
  return it == s.users.end() ? 0 : it->second.size();
}

std::size_t registry::size() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i <= mask_; ++i) {
    std::lock_guard lock(ids_[i].mu);
    n += ids_[i].ids.size();
  }
  return n;
}

}  // namespace chat
