// futex.hpp: the raw futex system calls, in one place. Every sleeper in the
// runtime (sched/idle.hpp's parked workers, core/timer_service.cpp's timer
// thread) waits on a 32-bit word through these, and every waker bumps that
// word before it calls futex_wake (so a wait that starts after the bump sees
// a changed word and returns at once: no lost wake-up).
// Threads: any. The word is an std::atomic<uint32_t> (lock-free, the same
// size and representation as uint32_t, which the kernel reads).
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdint>

namespace actorlab::core {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) && std::atomic<uint32_t>::is_always_lock_free,
              "futex words are atomics the kernel reads as uint32_t");

inline uint32_t* futex_word(std::atomic<uint32_t>& word) noexcept { return reinterpret_cast<uint32_t*>(&word); }

// Sleeps while `word` holds `expected` (returns at once if it does not), until
// a futex_wake or a signal. Spurious returns happen: callers re-check.
inline void futex_wait(std::atomic<uint32_t>& word, uint32_t expected) noexcept {
  syscall(SYS_futex, futex_word(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}

// As futex_wait, but returns by the absolute CLOCK_MONOTONIC time `deadline`
// (nullptr: no deadline).
inline void futex_wait_until(std::atomic<uint32_t>& word, uint32_t expected, const timespec* deadline) noexcept {
  syscall(SYS_futex, futex_word(word), FUTEX_WAIT_BITSET_PRIVATE, expected, deadline, nullptr,
          FUTEX_BITSET_MATCH_ANY);
}

// Wakes up to `n` threads sleeping on `word` (INT_MAX: all of them).
inline void futex_wake(std::atomic<uint32_t>& word, int n = 1) noexcept {
  syscall(SYS_futex, futex_word(word), FUTEX_WAKE_PRIVATE, n, nullptr, nullptr, 0);
}

inline void futex_wake_all(std::atomic<uint32_t>& word) noexcept { futex_wake(word, INT_MAX); }

}  // namespace actorlab::core
