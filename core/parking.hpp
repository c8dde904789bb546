// parking.hpp: where idle workers sleep, and how a send wakes one.
//
// A futex word (epoch_) and a count of sleepers. The protocol is Dekker's:
//   sleeper: e = epoch; sleepers++; fence; look for work again; futex_wait(epoch, e)
//   waker:   publish work; fence; if (sleepers > 0) { epoch++; futex_wake(1) }
// The two seq_cst fences make it impossible for the sleeper to miss the work
// AND the waker to miss the sleeper (acquire/release alone allows both loads
// to read the old values: the store-load reordering every CPU performs). If
// the waker bumps epoch after the sleeper read it, futex_wait returns at once.
// Threads: any thread wakes; workers park.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdint>

#include "core/cache_line.hpp"

namespace actorlab::core {

class Parking {
 public:
  // Step 1 of parking: announce. Returns the ticket to pass to park().
  uint32_t prepare_park() noexcept {
    const uint32_t ticket = epoch_.load(std::memory_order_acquire);  // pairs with release bump in wake
    sleepers_.fetch_add(1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with the fence in notify_one()
    return ticket;
  }
  // The final check found work: withdraw the announcement.
  void cancel_park() noexcept { sleepers_.fetch_sub(1, std::memory_order_relaxed); }
  // Step 2: sleep until woken (or spuriously, which callers tolerate).
  void park(uint32_t ticket) noexcept {
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&epoch_), FUTEX_WAIT_PRIVATE, ticket, nullptr,
            nullptr, 0);
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }

  // After publishing work: wake one sleeper if there is one. True if it woke.
  bool notify_one() noexcept {
    std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with the fence in prepare_park()
    if (sleepers_.load(std::memory_order_relaxed) == 0) return false;
    epoch_.fetch_add(1, std::memory_order_release);  // pairs with the acquire in prepare_park()
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&epoch_), FUTEX_WAKE_PRIVATE, 1, nullptr,
            nullptr, 0);
    return true;
  }

  void notify_all() noexcept {
    epoch_.fetch_add(1, std::memory_order_seq_cst);
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&epoch_), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr,
            nullptr, 0);
  }

  uint32_t sleepers() const noexcept { return sleepers_.load(std::memory_order_relaxed); }

 private:
  alignas(kCacheLine) std::atomic<uint32_t> epoch_{0};   // the futex word
  alignas(kCacheLine) std::atomic<uint32_t> sleepers_{0};
};

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "futex needs a plain 32-bit word");

}  // namespace actorlab::core
