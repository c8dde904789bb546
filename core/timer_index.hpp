// timer_index.hpp: the timer wheel's cancellation index, a map from a timer
// key ((owner, session) packed in 64 bits) to the first node of that key's
// chain of pending timers (core/timer_wheel.hpp links the rest).
//
// Open addressing with linear probing and backward-shift deletion (no
// tombstones, so a long-running wheel never degrades), Fibonacci hashing,
// one flat array of 16-byte slots: no allocation per entry. The load factor
// stays at or below 1/2 (grow x2) and the table shrinks again below 1/8, so
// 1,000,000 distinct keys take 2^21 slots = 32 MiB and that memory goes back
// once they are gone.
// Threads: none of its own; owned by the timer thread (single-threaded).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace actorlab::core {

class TimerIndex {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  TimerIndex() { reset(kMinCapacity); }

  // The node stored for `key`, or kNone.
  uint32_t find(uint64_t key) const noexcept {
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.node == kNone) return kNone;
      if (s.key == key) return s.node;
    }
  }
  // Inserts or overwrites. May grow the table: throws std::bad_alloc.
  void set(uint64_t key, uint32_t node);
  // Removes `key` if present.
  void erase(uint64_t key) noexcept;

  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return mask_ + 1; }
  std::size_t memory_bytes() const noexcept { return capacity() * sizeof(Slot); }
  void clear() { reset(kMinCapacity); }

 private:
  struct Slot {
    uint64_t key;
    uint32_t node;  // kNone: empty
  };
  static constexpr std::size_t kMinCapacity = 1024;

  std::size_t home(uint64_t key) const noexcept {
    return static_cast<std::size_t>((key * 0x9e3779b97f4a7c15ull) >> shift_);
  }
  void reset(std::size_t capacity);
  void rehash(std::size_t capacity);

  std::unique_ptr<Slot[]> slots_;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
  std::size_t size_ = 0;
};

}  // namespace actorlab::core
