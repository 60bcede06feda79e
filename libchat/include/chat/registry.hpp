// chat/registry.hpp: who is connected, by user and by connection id.
//
// The registry maps each user to that user's live connections, and each
// connection id to its connection. It is sharded by key; a lock is held only
// to change a shard or to copy a snapshot out of it, never while a message is
// delivered.
#pragma once

#include <chat/connection.hpp>

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace chat {

/// Thread safety: every member may be called from any thread.
class registry {
 public:
  /// `shards` is rounded up to a power of two.
  explicit registry(std::size_t shards = 64);
  ~registry();
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  /// Adds a connection; false when its id is already taken.
  [[nodiscard]] bool add(std::shared_ptr<connection> c);

  /// Removes a connection; false when it was not registered.
  bool remove(const connection& c);

  /// The connection with this id, or null.
  std::shared_ptr<connection> find(std::string_view id) const;

  /// Replaces `out` with the live connections of `user`; returns how many.
  /// Reusing `out` across calls avoids allocating.
  std::size_t snapshot(std::string_view user,
                       std::vector<std::shared_ptr<connection>>& out) const;

  /// How many live connections `user` has.
  std::size_t count(std::string_view user) const;

  /// Live connections in all.
  std::size_t size() const;

 private:
  struct shard;
  std::unique_ptr<shard[]> users_;  // user -> connections
  std::unique_ptr<shard[]> ids_;    // connection id -> connection
  std::size_t mask_;
};

}  // namespace chat
