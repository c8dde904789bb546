// mutex_deque.hpp: the `mutex_deque` baselines of the microbenchmarks: a
// std::mutex around a std::deque, behind the same interface as each subject
// (a core::Mailbox, a sched::RunQueue, and a sched::StealQueue look-alike).
// They measure what the lock-free and spinlock kinds buy over the obvious
// code; they are not used by the runtime.
//
// Threads: every method is thread-safe (the mutex orders everything). Role
// rules follow the subject: the mailbox has one consumer; the steal queue has
// one owner (push, pop) and thieves (steal_into). Allocation failure in a
// noexcept method terminates, as the subjects abort on out-of-memory.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>

#include "core/mailbox.hpp"
#include "core/message.hpp"
#include "sched/run_queue.hpp"

namespace actorlab::bench::micro {

// Mailbox with skynet's in_global flag as the activation bit (as spinring).
class MutexDequeMailbox {
 public:
  static constexpr const char* kName = "mutex_deque";

  // Any thread. True for the push that finds the mailbox idle.
  bool push(core::Message&& msg) noexcept {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(msg));
    const bool was_idle = !active_;
    active_ = true;
    return was_idle;
  }

  // Consumer only.
  bool pop(core::Message& out) noexcept {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) return false;
    out = std::move(queue_.front());
    queue_.pop_front();
    return true;
  }

  // Consumer only. Idle only if empty at this instant.
  bool try_set_idle() noexcept {
    std::lock_guard lock(mutex_);
    if (!queue_.empty()) return false;
    active_ = false;
    return true;
  }

  std::size_t size_hint() noexcept {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }

 private:
  std::mutex mutex_;
  bool active_ = false;  // a new mailbox starts idle
  std::deque<core::Message> queue_;
};
static_assert(core::Mailbox<MutexDequeMailbox>);

// Run queue of cell pointers; FIFO over all producers.
template <class Cell>
class MutexDequeRunQueue {
 public:
  static constexpr const char* kName = "mutex_deque";
  struct Handle {};
  Handle make_handle() { return {}; }

  void push(Handle*, Cell* cell) noexcept {
    std::lock_guard lock(mutex_);
    queue_.push_back(cell);
  }

  bool try_pop(Handle*, Cell*& out) noexcept {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) return false;
    out = queue_.front();
    queue_.pop_front();
    return true;
  }

  std::size_t try_pop_bulk(Handle*, Cell** out, std::size_t max) noexcept {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (; n < max && !queue_.empty(); ++n) {
      out[n] = queue_.front();
      queue_.pop_front();
    }
    return n;
  }

  bool maybe_nonempty() noexcept {
    std::lock_guard lock(mutex_);
    return !queue_.empty();
  }

 private:
  std::mutex mutex_;
  std::deque<Cell*> queue_;
};

// Bounded owner queue with steal-half, the same contract as
// sched::StealQueue: owner push (false when full) and pop (oldest first);
// steal_into moves half (rounded up, at most dst's room) into dst and hands
// back the newest stolen item in `first`.
template <class T, uint32_t Capacity>
class MutexDequeStealQueue {
 public:
  static constexpr uint32_t kCapacity = Capacity;

  bool push(T item) noexcept {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= Capacity) return false;
    queue_.push_back(item);
    return true;
  }

  bool pop(T& out) noexcept {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) return false;
    out = queue_.front();
    queue_.pop_front();
    return true;
  }

  // Called by dst's owner. Takes the two locks one after the other, never
  // nested, so thieves stealing from each other cannot deadlock. dst's room
  // read first can only grow before we fill it: only its owner (us) pushes.
  bool steal_into(MutexDequeStealQueue& dst, T& first) noexcept {
    std::size_t room;
    {
      std::lock_guard lock(dst.mutex_);
      room = Capacity - dst.queue_.size();
    }
    if (room == 0) return false;
    std::array<T, Capacity> taken;
    std::size_t count;
    {
      std::lock_guard lock(mutex_);
      const std::size_t available = queue_.size();
      count = available - available / 2;
      if (count > room) count = room;
      if (count == 0) return false;
      for (std::size_t i = 0; i < count; ++i) {
        taken[i] = queue_.front();
        queue_.pop_front();
      }
    }
    if (count > 1) {
      std::lock_guard lock(dst.mutex_);
      dst.queue_.insert(dst.queue_.end(), taken.begin(), taken.begin() + static_cast<std::ptrdiff_t>(count - 1));
    }
    first = taken[count - 1];
    return true;
  }

 private:
  std::mutex mutex_;
  std::deque<T> queue_;
};

}  // namespace actorlab::bench::micro
