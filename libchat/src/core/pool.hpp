// detail::pool: free objects kept for reuse, per thread with a shared
// overflow; detail::share_pooled: a shared_ptr whose control block is built
// inside the pooled object, so that taking one from the pool allocates
// nothing at all.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <new>
#include <utility>

namespace chat::detail {

/// Free `T`s. Each thread keeps up to 2 * Batch of them; beyond that it
/// hands a batch to the shared pool, and an empty thread takes a batch from
/// there, so objects made on one thread and let go on another (a sender's
/// and a recipient's) circulate with one lock per batch. The shared pool
/// keeps at most MaxBatches; more is freed.
///
/// `T` is default-constructible and has `T* next_` and `T* next_batch_`,
/// the pool's links while it is free.
template <class T, std::size_t Batch = 32, std::size_t MaxBatches = 16>
class pool {
 public:
  static T* take() {
    if (dead_) return new T;  // at this thread's exit
    local& l = mine();
    if (l.head == nullptr) l.head = shared().pop(l.count);
    if (T* t = l.head) {
      l.head = t->next_;
      --l.count;
      return t;
    }
    return new T;
  }

  static void give(T* t) noexcept {
    if (dead_) {  // at this thread's exit
      delete t;
      return;
    }
    local& l = mine();
    t->next_ = l.head;
    l.head = t;
    if (++l.count < 2 * Batch) return;
    // The oldest half goes to the shared pool.
    T* last = l.head;
    for (std::size_t i = 1; i < Batch; ++i) last = last->next_;
    T* rest = last->next_;
    last->next_ = nullptr;
    l.count = Batch;
    shared().push(rest);
  }

 private:
  struct local {
    T* head = nullptr;
    std::size_t count = 0;
    ~local() {
      dead_ = true;
      release(head);
    }
  };

  struct shared_pool {
    std::mutex mu;
    T* batches = nullptr;
    std::size_t count = 0;

    T* pop(std::size_t& n) {
      std::lock_guard lock(mu);
      T* b = batches;
      if (b == nullptr) return nullptr;
      batches = b->next_batch_;
      --count;
      n = Batch;
      return b;
    }
    void push(T* b) noexcept {
      {
        std::lock_guard lock(mu);
        if (count < MaxBatches) {
          b->next_batch_ = batches;
          batches = b;
          ++count;
          return;
        }
      }
      release(b);
    }
  };

  static void release(T* t) noexcept {
    while (t != nullptr) delete std::exchange(t, t->next_);
  }

  static local& mine() noexcept {
    thread_local local l;
    return l;
  }
  // Never destroyed: objects may be let go during static destruction.
  static shared_pool& shared() noexcept {
    static auto* p = new shared_pool;
    return *p;
  }

  static inline thread_local bool dead_ = false;
};

/// A shared_ptr allocator that builds the control block in
/// `home->control_` and gives `home` back to `pool<Home>` when the control
/// block goes (after the last shared and weak holder).
template <class T, class Home>
struct in_home {
  using value_type = T;
  Home* home;

  explicit in_home(Home* h) noexcept : home(h) {}
  template <class U>
  in_home(const in_home<U, Home>& o) noexcept : home(o.home) {}

  T* allocate(std::size_t n) {
    static_assert(sizeof(T) <= sizeof home->control_ &&
                  alignof(T) <= alignof(std::max_align_t));
    if (n != 1) throw std::bad_alloc();
    return reinterpret_cast<T*>(home->control_);
  }
  void deallocate(T*, std::size_t) noexcept { pool<Home>::give(home); }

  template <class U>
  bool operator==(const in_home<U, Home>& o) const noexcept {
    return home == o.home;
  }
  template <class U>
  bool operator!=(const in_home<U, Home>& o) const noexcept {
    return home != o.home;
  }
};

/// Shares `obj` as a `U`; `obj` lives in `home` (from pool<Home>):
/// `done(obj)` runs after the last shared holder, and `home` goes back to
/// its pool after the last weak one. `Home` has `alignas(std::max_align_t)
/// unsigned char control_[64]`.
template <class U, class Y, class Home, class Done>
std::shared_ptr<U> share_pooled(Y* obj, Home* home, Done done) {
  return std::shared_ptr<U>(obj, std::move(done), in_home<Home, Home>(home));
}

}  // namespace chat::detail
