// detail::flat_index: a string-keyed index of objects that live elsewhere.
//
// Open addressing with linear probing over one array of (hash, pointer)
// slots, so a lookup touches one cache line of slots and, only when the
// full 64-bit hash matches, the object itself to compare its key. A
// node-based std::unordered_map touches the bucket, the node before the
// bucket's first, the node, and rehashes keys while it walks; for the
// mailbox's indexes of hundreds of thousands of messages that was a fifth
// of chatd's CPU time. Deletion shifts the following slots back (no
// tombstones), and the array shrinks again when it empties.
#pragma once

#include "core/string_map.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace chat::detail {

/// Maps `KeyOf{}(t)` to `&t`; the index does not own the objects, which
/// must stay alive, and keep their key, while indexed.
///
/// `Ptr` is what a slot holds: `T*` by default, or an owning pointer-like
/// type (shared_ptr, or a struct with `*` and `== nullptr`) that the index
/// then owns; a slot holding null is empty.
/// Thread safety: none (the mailbox holds its stripe's lock).
template <class T, class KeyOf, class Hash = string_hash, class Ptr = T*>
class flat_index {
 public:
  T* find(std::string_view key) const noexcept {
    const Ptr* p = find_slot(key);
    return p ? &**p : nullptr;
  }

  /// What the index holds for `key`, or null. Changing it must keep its
  /// key and keep it not null.
  Ptr* find_slot(std::string_view key) noexcept {
    return find_slot(key, hash(key));
  }
  const Ptr* find_slot(std::string_view key) const noexcept {
    return find_slot(key, hash(key));
  }

  /// The same with `h`, the key's hash by `Hash`, computed by the caller
  /// (who used its high bits to pick this index: the slots are placed by
  /// its low bits). So with insert() and erase().
  Ptr* find_slot(std::string_view key, std::uint64_t h) noexcept {
    return const_cast<Ptr*>(std::as_const(*this).find_slot(key, h));
  }
  const Ptr* find_slot(std::string_view key, std::uint64_t h) const noexcept {
    if (size_ == 0) return nullptr;
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const slot& s = slots_[i];
      if (s.value == nullptr) return nullptr;
      if (s.hash == h && KeyOf{}(*s.value) == key) return &s.value;
    }
  }

  /// Indexes `v`; false (nothing done) when its key already is.
  bool insert(Ptr v) {
    const std::uint64_t h = hash(KeyOf{}(*v));
    return insert(std::move(v), h);
  }
  bool insert(Ptr v, std::uint64_t h) {
    if ((size_ + 1) * 4 > slots_.size() * 3) resize(grown());
    const std::string_view key = KeyOf{}(*v);
    std::size_t i = h & mask_;
    for (; slots_[i].value != nullptr; i = (i + 1) & mask_) {
      if (slots_[i].hash == h && KeyOf{}(*slots_[i].value) == key) return false;
    }
    slots_[i] = slot{h, std::move(v)};
    ++size_;
    return true;
  }

  /// Removes the object indexed under `key`; returns it, or null.
  /// May allocate: the array shrinks when it is mostly empty.
  Ptr erase(std::string_view key) { return erase(key, hash(key)); }
  Ptr erase(std::string_view key, std::uint64_t h) {
    if (size_ == 0) return nullptr;
    std::size_t i = h & mask_;
    for (;; i = (i + 1) & mask_) {
      const slot& s = slots_[i];
      if (s.value == nullptr) return nullptr;
      if (s.hash == h && KeyOf{}(*s.value) == key) break;
    }
    Ptr out = std::move(slots_[i].value);
    // Shift back every following slot of the run that may move into the
    // hole: one whose home is not cyclically in (hole, j].
    for (std::size_t j = (i + 1) & mask_; slots_[j].value != nullptr;
         j = (j + 1) & mask_) {
      const std::size_t home = slots_[j].hash & mask_;
      const bool stays =
          i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (stays) continue;
      slots_[i] = std::move(slots_[j]);
      i = j;
    }
    slots_[i] = slot{};
    --size_;
    if (slots_.size() > min_slots && size_ * 8 < slots_.size())
      resize(slots_.size() / 2);
    return out;
  }

  static std::uint64_t hash(std::string_view key) noexcept {
    return static_cast<std::uint64_t>(Hash{}(key));
  }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  /// Slots allocated (for tests and memory accounting).
  std::size_t capacity() const noexcept { return slots_.size(); }

  /// Calls `f(T&)` for every indexed object, in no particular order.
  template <class F>
  void for_each(F&& f) const {
    for (const slot& s : slots_)
      if (s.value != nullptr) f(*s.value);
  }

 private:
  struct slot {
    std::uint64_t hash = 0;
    Ptr value = nullptr;  // null: empty
  };
  static constexpr std::size_t min_slots = 16;

  std::size_t grown() const noexcept {
    return slots_.empty() ? min_slots : slots_.size() * 2;
  }

  void place(slot&& s) noexcept {
    std::size_t i = s.hash & mask_;
    while (slots_[i].value != nullptr) i = (i + 1) & mask_;
    slots_[i] = std::move(s);
  }

  void resize(std::size_t n) {
    std::vector<slot> old(n);
    old.swap(slots_);
    mask_ = n - 1;
    for (slot& s : old)
      if (s.value != nullptr) place(std::move(s));
  }

  std::vector<slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace chat::detail
