// steal_queue.hpp: a worker's bounded run queue for placement local: one
// owner pushes at the tail and pops at the head (FIFO), or pushes at the
// head (push_front: next to pop, for --local-push=front); other workers
// steal half of it (or one item: `max`) from the head at once. The design follows the queue of Tokio's multi-thread
// scheduler (a ring with two head indices), written for this project.
//
// Fields and orderings:
//   tail_  written by the owner only. Release store after filling a slot;
//          thieves load it with acquire, so the slots they copy are filled.
//   head_  two free-running 32-bit indices packed in one word, so one CAS
//          moves both: `real` is the next slot to pop; `steal` trails it
//          while a thief copies the slots [steal, real) it claimed, and the
//          owner never overwrites a slot at or after `steal`. steal == real
//          when no steal is in flight; only one thief runs at a time.
//          All CAS are acq_rel: each pairs with the others on head_.
//          push_front fills slot real-1 (free: it is before `steal`) and
//          then moves both indices back by one with a CAS, whose release
//          pairs with a thief's acquire CAS in steal_into(); it gives up
//          (false) while a steal is in flight or when the CAS loses.
//   slots_ atomics only to keep the sanitizer's model exact; relaxed, as
//          tail_ and head_ order them.
// Capacity is a template parameter so the stress test runs with 4 slots and
// reaches wrap-around and the full-queue path.
// Threads: push/pop/pop_oldest/room/len from the owner; steal_into and
// head_position from any other worker.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "core/cache_line.hpp"

namespace actorlab::sched {

template <class T, uint32_t Capacity = 256>
class StealQueue {
  static_assert(Capacity >= 2 && (Capacity & (Capacity - 1)) == 0, "capacity: a power of two");
  static constexpr uint32_t kMask = Capacity - 1;

 public:
  static constexpr uint32_t kCapacity = Capacity;

  // Owner. False when full: the caller sends the item elsewhere.
  bool push(T item) noexcept {
    const uint32_t tail = tail_.load(std::memory_order_relaxed);
    const uint32_t steal = steal_of(head_.load(std::memory_order_acquire));
    if (tail - steal >= Capacity) return false;
    slots_[tail & kMask].store(item, std::memory_order_relaxed);
    tail_.store(tail + 1, std::memory_order_release);  // pairs with acquire in steal_into()
    return true;
  }

  // Owner: puts `item` at the head, to be popped next. False when full, or
  // when a thief is copying or claims meanwhile: the caller push()es it.
  bool push_front(T item) noexcept {
    uint64_t head = head_.load(std::memory_order_acquire);
    const uint32_t steal = steal_of(head), real = real_of(head);
    if (steal != real) return false;  // a thief copies [steal, real), slot real-1 among them
    if (tail_.load(std::memory_order_relaxed) - (real - 1) > Capacity) return false;
    slots_[(real - 1) & kMask].store(item, std::memory_order_relaxed);
    // Release: a thief whose CAS reads this head sees the slot filled.
    return head_.compare_exchange_strong(head, pack(real - 1, real - 1), std::memory_order_acq_rel,
                                         std::memory_order_acquire);
  }

  // Owner. The head first: the oldest push()ed item, or the latest
  // push_front()ed one. `position`: the popped item's free-running index.
  bool pop(T& out, uint32_t* position = nullptr) noexcept {
    uint64_t head = head_.load(std::memory_order_acquire);
    for (;;) {
      const uint32_t steal = steal_of(head), real = real_of(head);
      if (real == tail_.load(std::memory_order_relaxed)) return false;
      const uint32_t next = real + 1;
      const uint64_t desired = steal == real ? pack(next, next) : pack(steal, next);
      if (head_.compare_exchange_weak(head, desired, std::memory_order_acq_rel, std::memory_order_acquire)) {
        out = slots_[real & kMask].load(std::memory_order_relaxed);
        if (position != nullptr) *position = real;
        return true;
      }
    }
  }

  // Owner: takes up to `max` of the oldest items at once, in queue order,
  // into out[0..n); returns n (0 when empty). The overflow path of a full
  // queue (Go's runqputslow, Tokio's push_overflow): half of it moves to
  // the injection queue in one go. Like pop(), one CAS on head_ (acq_rel),
  // and the slots are read after it: no thief claims them once head_ has
  // moved past, and only the owner refills them, after this returns.
  uint32_t pop_oldest(T* out, uint32_t max) noexcept {
    uint64_t head = head_.load(std::memory_order_acquire);
    for (;;) {
      const uint32_t steal = steal_of(head), real = real_of(head);
      const uint32_t available = tail_.load(std::memory_order_relaxed) - real;
      const uint32_t n = available < max ? available : max;
      if (n == 0) return 0;
      const uint64_t desired = steal == real ? pack(real + n, real + n) : pack(steal, real + n);
      if (head_.compare_exchange_weak(head, desired, std::memory_order_acq_rel, std::memory_order_acquire)) {
        for (uint32_t i = 0; i < n; ++i) out[i] = slots_[(real + i) & kMask].load(std::memory_order_relaxed);
        return n;
      }
    }
  }

  // Owner: how many more push()es fit now (thieves only ever add room).
  uint32_t room() const noexcept {
    return Capacity - (tail_.load(std::memory_order_relaxed) - steal_of(head_.load(std::memory_order_acquire)));
  }

  // Owner: the free-running index the next push() fills.
  uint32_t tail_position() const noexcept { return tail_.load(std::memory_order_relaxed); }

  // Owner (approximate for others).
  uint32_t len() const noexcept {
    return tail_.load(std::memory_order_acquire) - real_of(head_.load(std::memory_order_acquire));
  }

  // Called by the owner of `dst` on another worker's queue: moves half of
  // this queue (rounded up; at most `max`) into dst and returns one of the
  // stolen items in `first` to run at once. False when empty, when another steal is in
  // flight, or when dst has no room (a "nothing" either way, as in
  // Taskflow's and Tokio's steal).
  bool steal_into(StealQueue& dst, T& first, uint32_t max = Capacity) noexcept {
    const uint32_t dst_tail = dst.tail_.load(std::memory_order_relaxed);
    const uint32_t room = Capacity - (dst_tail - steal_of(dst.head_.load(std::memory_order_acquire)));
    if (room == 0) return false;
    uint64_t head = head_.load(std::memory_order_acquire);
    uint32_t start, count;
    for (;;) {
      const uint32_t steal = steal_of(head), real = real_of(head);
      if (steal != real) return false;  // another thief is copying
      const uint32_t available = tail_.load(std::memory_order_acquire) - real;  // pairs with push()
      count = available - available / 2;
      if (count > room) count = room;
      if (count > max) count = max;
      if (count == 0) return false;
      if (head_.compare_exchange_weak(head, pack(steal, real + count), std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
        start = real;
        break;
      }
    }
    for (uint32_t i = 0; i < count; ++i)
      dst.slots_[(dst_tail + i) & kMask].store(slots_[(start + i) & kMask].load(std::memory_order_relaxed),
                                               std::memory_order_relaxed);
    // Release the claimed slots: steal catches up with real (which the owner
    // may have moved on meanwhile, so retry with what the CAS saw).
    uint64_t claimed = pack(start, start + count);
    while (!head_.compare_exchange_weak(claimed, pack(real_of(claimed), real_of(claimed)),
                                        std::memory_order_acq_rel, std::memory_order_acquire)) {
    }
    first = dst.slots_[(dst_tail + count - 1) & kMask].load(std::memory_order_relaxed);
    if (count > 1) dst.tail_.store(dst_tail + count - 1, std::memory_order_release);  // pairs with steal_into
    return true;
  }

  // Any thread, a hint (relaxed loads): the owner's next pop position,
  // which moves on every pop and steal, and whether an item waits there.
  // sched/steal.hpp's patience watches it.
  uint32_t head_position(bool& nonempty) const noexcept {
    const uint32_t real = real_of(head_.load(std::memory_order_relaxed));
    nonempty = tail_.load(std::memory_order_relaxed) != real;
    return real;
  }

 private:
  static constexpr uint64_t pack(uint32_t steal, uint32_t real) noexcept {
    return (uint64_t{steal} << 32) | real;
  }
  static constexpr uint32_t steal_of(uint64_t head) noexcept { return static_cast<uint32_t>(head >> 32); }
  static constexpr uint32_t real_of(uint64_t head) noexcept { return static_cast<uint32_t>(head); }

  alignas(core::kCacheLine) std::atomic<uint64_t> head_{0};  // written by the owner and by thieves
  alignas(core::kCacheLine) std::atomic<uint32_t> tail_{0};  // written by the owner
  alignas(core::kCacheLine) std::array<std::atomic<T>, Capacity> slots_{};
};

}  // namespace actorlab::sched
