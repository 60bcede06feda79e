// Sharded registry: user -> connections, connection id -> connection.
#include <chat/registry.hpp>

#include "core/flat_index.hpp"
#include "core/string_map.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <string>

namespace chat {
namespace {

using detail::string_hash;
using connection_ptr = std::shared_ptr<connection>;

struct id_of {
  std::string_view operator()(const connection& c) const noexcept {
    return c.id();
  }
};
struct user_of {
  std::string_view operator()(const connection& c) const noexcept {
    return c.user();
  }
};

// A user's connections: the first inline (most users have one), the others
// beside it. Keyed by the first one's user name, so no key is copied.
struct user_conns {
  connection_ptr first;
  std::unique_ptr<std::vector<connection_ptr>> rest;

  user_conns(std::nullptr_t = nullptr) noexcept {}
  explicit user_conns(connection_ptr c) noexcept : first(std::move(c)) {}
  connection& operator*() const noexcept { return *first; }
  bool operator==(std::nullptr_t) const noexcept { return first == nullptr; }
  std::size_t size() const noexcept { return 1 + (rest ? rest->size() : 0); }
};

using user_index =
    detail::flat_index<connection, user_of, string_hash, user_conns>;
using id_index =
    detail::flat_index<connection, id_of, string_hash, connection_ptr>;

// One hash per key: its bits from 32 up pick the shard, and its low bits
// the slot in the shard's index. (Both from the low bits would put every
// key of a shard on a 64th of its index's slots.)
std::size_t shard_of(std::uint64_t h, std::size_t mask) noexcept {
  return static_cast<std::size_t>(h >> 32) & mask;
}

std::size_t round_up_pow2(std::size_t n) {
  std::size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

// Both maps are open-addressed arrays of (hash, owner) slots keyed by
// strings the connections hold: a registered connection costs a slot in
// each, and allocates nothing of its own.
struct registry::shard {
  mutable std::mutex mu;
  // Guarded by mu.
  user_index users;
  id_index ids;
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
  const std::uint64_t ih = id_index::hash(c->id());
  const std::uint64_t uh = user_index::hash(c->user());
  shard& is = ids_[shard_of(ih, mask_)];
  shard& us = users_[shard_of(uh, mask_)];
  std::scoped_lock lock(is.mu, us.mu);
  if (!is.ids.insert(c, ih)) return false;
  if (user_conns* u = us.users.find_slot(c->user(), uh)) {
    if (!u->rest) u->rest = std::make_unique<std::vector<connection_ptr>>();
    u->rest->push_back(std::move(c));
  } else {
    us.users.insert(user_conns(std::move(c)), uh);
  }
  return true;
}

bool registry::remove(const connection& c) {
  const std::uint64_t ih = id_index::hash(c.id());
  const std::uint64_t uh = user_index::hash(c.user());
  shard& is = ids_[shard_of(ih, mask_)];
  shard& us = users_[shard_of(uh, mask_)];
  // Let go of after the locks: the connection's last owners may be these.
  connection_ptr by_id;
  user_conns by_user;
  std::scoped_lock lock(is.mu, us.mu);
  const connection_ptr* found = is.ids.find_slot(c.id(), ih);
  if (found == nullptr || found->get() != &c) return false;
  by_id = is.ids.erase(c.id(), ih);
  user_conns* u = us.users.find_slot(c.user(), uh);
  if (u == nullptr) return true;
  if (u->first.get() == &c) {
    if (!u->rest) {
      by_user = us.users.erase(c.user(), uh);
      return true;
    }
    by_user.first = std::move(u->first);
    u->first = std::move(u->rest->front());  // keeps the order they came in
    u->rest->erase(u->rest->begin());
  } else if (u->rest) {
    std::erase_if(*u->rest,
                  [&](const connection_ptr& p) { return p.get() == &c; });
  }
  if (u->rest && u->rest->empty()) u->rest.reset();
  return true;
}

std::shared_ptr<connection> registry::find(std::string_view id) const {
  const std::uint64_t h = id_index::hash(id);
  const shard& s = ids_[shard_of(h, mask_)];
  std::lock_guard lock(s.mu);
  const connection_ptr* c = s.ids.find_slot(id, h);
  return c ? *c : nullptr;
}

std::size_t registry::snapshot(std::string_view user,
                               std::vector<connection_ptr>& out) const {
  out.clear();
  const std::uint64_t h = user_index::hash(user);
  const shard& s = users_[shard_of(h, mask_)];
  std::lock_guard lock(s.mu);
  if (const user_conns* u = s.users.find_slot(user, h)) {
    out.push_back(u->first);
    if (u->rest) out.insert(out.end(), u->rest->begin(), u->rest->end());
  }
  return out.size();
}

std::size_t registry::count(std::string_view user) const {
  const std::uint64_t h = user_index::hash(user);
  const shard& s = users_[shard_of(h, mask_)];
  std::lock_guard lock(s.mu);
  const user_conns* u = s.users.find_slot(user, h);
  return u ? u->size() : 0;
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
