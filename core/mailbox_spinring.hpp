// mailbox_spinring.hpp: the `spinring` mailbox, skynet's message_queue: a
// growable ring of messages behind a spinlock, with an in_global flag that
// is the activation bit (set by the push that finds it clear, cleared by the
// consumer under the lock when the ring is empty).
//
// This is the baseline the lock-free kinds are measured against, so it keeps
// skynet's shape: every operation, the length query included, takes the lock.
// One deviation, for memory: skynet allocates 64 slots up front; this ring
// starts with none and allocates 4 at the first push, doubling when full, so a
// million idle actors (skynet-1M) do not cost 3.5 GiB of rings.
//
// Threads: any thread pushes; the single running worker pops. The lock's
// acquire/release pair orders everything (see core/spinlock.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <new>

#include "core/alloc.hpp"
#include "core/message.hpp"
#include "core/spinlock.hpp"

namespace actorlab::core {

class SpinRingMailbox {
 public:
  static constexpr const char* kName = "spinring";
  static constexpr uint32_t kFirstCapacity = 4;

  SpinRingMailbox() noexcept = default;
  SpinRingMailbox(const SpinRingMailbox&) = delete;
  SpinRingMailbox& operator=(const SpinRingMailbox&) = delete;
  ~SpinRingMailbox() {
    Message dropped;
    while (pop(dropped)) {}
    deallocate(ring_);
  }

  bool push(Message&& msg) noexcept {
    lock_.lock();
    if (count_ == capacity_) grow();
    new (&ring_[(first_ + count_) & (capacity_ - 1)]) Message(std::move(msg));
    ++count_;
    const bool was_idle = !in_global_;
    in_global_ = true;
    lock_.unlock();
    return was_idle;
  }

  bool pop(Message& out) noexcept {
    lock_.lock();
    if (count_ == 0) {
      lock_.unlock();
      return false;
    }
    Message& slot = ring_[first_];
    out = std::move(slot);
    slot.~Message();
    first_ = (first_ + 1) & (capacity_ - 1);
    --count_;
    lock_.unlock();
    return true;
  }

  bool try_set_idle() noexcept {
    lock_.lock();
    const bool empty = count_ == 0;
    if (empty) in_global_ = false;
    lock_.unlock();
    return empty;
  }

  std::size_t size_hint() noexcept {
    lock_.lock();
    const uint32_t n = count_;
    lock_.unlock();
    return n;
  }

  // The owning cell's current ActorId (see core/actor_cell.hpp).
  std::atomic<uint32_t> owner_id_{0};

 private:
  // Under the lock. Capacity stays a power of two so wrap is a mask.
  void grow() noexcept {
    const uint32_t new_capacity = capacity_ == 0 ? kFirstCapacity : capacity_ * 2;
    auto* bigger = static_cast<Message*>(allocate(sizeof(Message) * new_capacity));
    if (bigger == nullptr) std::terminate();
    for (uint32_t i = 0; i < count_; ++i) {
      Message& from = ring_[(first_ + i) & (capacity_ - 1)];
      new (&bigger[i]) Message(std::move(from));
      from.~Message();
    }
    deallocate(ring_);
    ring_ = bigger;
    capacity_ = new_capacity;
    first_ = 0;
  }

  Spinlock lock_;
  bool in_global_ = false;
  uint32_t capacity_ = 0;
  uint32_t first_ = 0;
  uint32_t count_ = 0;
  Message* ring_ = nullptr;
};

}  // namespace actorlab::core
