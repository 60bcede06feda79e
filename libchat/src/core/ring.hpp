// detail::ring: a double-ended queue in one circular buffer that keeps its
// capacity. The mailbox's queues are FIFOs that take one element and drop
// one per message; std::deque allocates a block and frees one every few
// dozen of those, a ring allocates only when it grows (and when shrink()
// gives back what a burst left).
#pragma once

#include <cstddef>
#include <iterator>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace chat::detail {

template <class T>
class ring {
  static_assert(std::is_nothrow_move_constructible_v<T> &&
                std::is_nothrow_destructible_v<T>);

 public:
  static constexpr std::size_t min_capacity = 8;

  template <bool Const>
  class basic_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = std::conditional_t<Const, const T*, T*>;
    using reference = std::conditional_t<Const, const T&, T&>;
    using owner = std::conditional_t<Const, const ring, ring>;

    basic_iterator() = default;
    basic_iterator(owner* r, std::size_t i) noexcept : r_(r), i_(i) {}
    reference operator*() const noexcept { return (*r_)[i_]; }
    pointer operator->() const noexcept { return &(*r_)[i_]; }
    basic_iterator& operator++() noexcept {
      ++i_;
      return *this;
    }
    basic_iterator operator++(int) noexcept { return {r_, i_++}; }
    bool operator==(const basic_iterator& o) const noexcept {
      return i_ == o.i_;
    }
    bool operator!=(const basic_iterator& o) const noexcept {
      return i_ != o.i_;
    }

   private:
    owner* r_ = nullptr;
    std::size_t i_ = 0;
  };
  using iterator = basic_iterator<false>;
  using const_iterator = basic_iterator<true>;

  ring() = default;
  ring(ring&& o) noexcept
      : buf_(std::exchange(o.buf_, nullptr)),
        cap_(std::exchange(o.cap_, 0)),
        head_(std::exchange(o.head_, 0)),
        size_(std::exchange(o.size_, 0)) {}
  ring& operator=(ring&& o) noexcept {
    if (this != &o) {
      free();
      buf_ = std::exchange(o.buf_, nullptr);
      cap_ = std::exchange(o.cap_, 0);
      head_ = std::exchange(o.head_, 0);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  ring(const ring&) = delete;
  ring& operator=(const ring&) = delete;
  ~ring() { free(); }

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return cap_; }

  T& operator[](std::size_t i) noexcept { return buf_[slot(i)]; }
  const T& operator[](std::size_t i) const noexcept { return buf_[slot(i)]; }
  T& front() noexcept { return buf_[head_]; }
  const T& front() const noexcept { return buf_[head_]; }
  T& back() noexcept { return (*this)[size_ - 1]; }
  const T& back() const noexcept { return (*this)[size_ - 1]; }

  iterator begin() noexcept { return {this, 0}; }
  iterator end() noexcept { return {this, size_}; }
  const_iterator begin() const noexcept { return {this, 0}; }
  const_iterator end() const noexcept { return {this, size_}; }

  template <class... A>
  T& emplace_back(A&&... a) {
    if (size_ == cap_) {
      // Built before the move, so that a throwing constructor leaves the
      // ring as it was.
      T v(std::forward<A>(a)...);
      reallocate(cap_ == 0 ? min_capacity : 2 * cap_);
      return *::new (static_cast<void*>(buf_ + slot(size_++))) T(std::move(v));
    }
    T* p =
        ::new (static_cast<void*>(buf_ + slot(size_))) T(std::forward<A>(a)...);
    ++size_;
    return *p;
  }
  void push_back(T v) { emplace_back(std::move(v)); }

  void pop_front() noexcept {
    buf_[head_].~T();
    head_ = (head_ + 1) & (cap_ - 1);
    --size_;
  }
  void pop_back() noexcept {
    buf_[slot(size_ - 1)].~T();
    --size_;
  }

  /// Removes the element at `i`, moving the shorter side by one: the
  /// earlier ones up, or the later ones down (an ack of the front of a long
  /// inbox moves nothing).
  void erase(std::size_t i) noexcept {
    if (i < size_ / 2) {
      for (; i > 0; --i) (*this)[i] = std::move((*this)[i - 1]);
      pop_front();
    } else {
      for (; i + 1 < size_; ++i) (*this)[i] = std::move((*this)[i + 1]);
      pop_back();
    }
  }

  /// Removes the first element equal to `v`; false when there is none.
  template <class U>
  bool erase_value(const U& v) noexcept {
    for (std::size_t i = 0; i < size_; ++i) {
      if ((*this)[i] == v) {
        erase(i);
        return true;
      }
    }
    return false;
  }

  void clear() noexcept {
    while (size_ > 0) pop_front();
    head_ = 0;
  }

  /// Gives back what a burst left: with at most a quarter of the capacity
  /// in use, halves it (down to min_capacity); an empty ring frees it all.
  void shrink() {
    if (size_ == 0) {
      free();
    } else if (cap_ > min_capacity && size_ <= cap_ / 4) {
      reallocate(cap_ / 2);
    }
  }

 private:
  std::size_t slot(std::size_t i) const noexcept {
    return (head_ + i) & (cap_ - 1);
  }

  void reallocate(std::size_t cap) {
    T* fresh = std::allocator<T>().allocate(cap);
    for (std::size_t i = 0; i < size_; ++i) {
      T& old = (*this)[i];
      ::new (static_cast<void*>(fresh + i)) T(std::move(old));
      old.~T();
    }
    if (buf_ != nullptr) std::allocator<T>().deallocate(buf_, cap_);
    buf_ = fresh;
    cap_ = cap;
    head_ = 0;
  }

  void free() noexcept {
    clear();
    if (buf_ != nullptr) std::allocator<T>().deallocate(buf_, cap_);
    buf_ = nullptr;
    cap_ = 0;
  }

  T* buf_ = nullptr;
  std::size_t cap_ = 0;  // 0 or a power of two
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace chat::detail
