// spinlock.hpp: a test-and-test-and-set spinlock, the lock skynet's baseline
// structures (spinring mailbox, spinlist run queue) use.
//
// lock() acquires: pairs with the release in unlock() of the previous holder,
// so everything written inside one critical section is visible in the next.
// try_lock() is used by the net thread's direct-write path.
#pragma once

#include <atomic>

#include "core/cache_line.hpp"

namespace actorlab::core {

class Spinlock {
 public:
  void lock() noexcept {
    for (;;) {
      // acquire: pairs with the release store in unlock()
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
      while (locked_.load(std::memory_order_relaxed)) cpu_relax();
    }
  }
  bool try_lock() noexcept {
    return !locked_.load(std::memory_order_relaxed) &&
           !locked_.exchange(true, std::memory_order_acquire);  // pairs with unlock()
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }  // pairs with lock()

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace actorlab::core
