// command_queue.hpp: the lock-free queue of commands from workers to the net
// thread (listen, start, close, queued sends, ...), an intrusive MPSC queue
// after Dmitry Vyukov's design.
//
// One total order: a push is placed by its exchange on head_, so two pushes
// ordered by happens-before (e.g. two sends of one actor, even from two
// workers) are popped in that order. A FIFO per producer only (moodycamel's
// ConcurrentQueue) would let a queued send overtake an earlier one.
//
// Wake-up without a lost command (Dekker, seq_cst, one total order S):
//   producer: exchange head_ (push);  load sleeping_ (in wake_if_sleeping)
//   consumer: store sleeping_ = true;  load head_ (maybe_nonempty)
// Either the consumer's load of head_ follows the push in S (it sees the
// command and does not block), or the producer's load of sleeping_ follows
// the consumer's store (it sees true and calls the waker).
// Threads: any thread pushes; one thread at a time pops (the net driver).
#pragma once

#include <atomic>
#include <cstdint>

#include "core/cache_line.hpp"

namespace actorlab::io {

struct CommandLink {
  std::atomic<CommandLink*> next{nullptr};
};

class CommandQueue {
 public:
  CommandQueue() noexcept : head_(&stub_), tail_(&stub_) {}
  CommandQueue(const CommandQueue&) = delete;
  CommandQueue& operator=(const CommandQueue&) = delete;

  // Any thread. Never blocks.
  void push(CommandLink* node) noexcept {
    node->next.store(nullptr, std::memory_order_relaxed);
    // seq_cst: the Dekker pair above (and acq_rel: release publishes the
    // node's fields to the consumer that follows next; acquire orders our
    // link after the previous producer's node initialisation).
    CommandLink* prev = head_.exchange(node, std::memory_order_seq_cst);
    prev->next.store(node, std::memory_order_release);  // pairs with acquire in pop()
  }

  // Consumer only. nullptr when empty or when a push is between its
  // exchange and its link (maybe_nonempty() then says true: retry soon).
  CommandLink* pop() noexcept {
    CommandLink* tail = tail_;
    CommandLink* next = tail->next.load(std::memory_order_acquire);  // pairs with push()
    if (tail == &stub_) {
      if (next == nullptr) return nullptr;
      tail_ = next;
      tail = next;
      next = next->next.load(std::memory_order_acquire);
    }
    if (next != nullptr) {
      tail_ = next;
      return tail;
    }
    if (tail != head_.load(std::memory_order_acquire)) return nullptr;  // a push is linking
    push(&stub_);
    next = tail->next.load(std::memory_order_acquire);
    if (next != nullptr) {
      tail_ = next;
      return tail;
    }
    return nullptr;
  }

  // Consumer only: false only in the resting empty state (head_ and tail_
  // both at the stub, nothing linked), so a push that has begun, linked or
  // not, reads as non-empty (seq_cst: the Dekker pair above).
  bool maybe_nonempty() const noexcept {
    return head_.load(std::memory_order_seq_cst) != &stub_ || tail_ != &stub_ ||
           stub_.next.load(std::memory_order_acquire) != nullptr;
  }

  // The consumer announces that it may block, then checks maybe_nonempty().
  void set_sleeping(bool sleeping) noexcept { sleeping_.store(sleeping, std::memory_order_seq_cst); }
  // Producer, after push(): true if the consumer may be blocked, in which case
  // the caller must wake it. Clears the flag so a burst wakes it once.
  bool take_sleeper() noexcept {
    return sleeping_.load(std::memory_order_seq_cst) && sleeping_.exchange(false, std::memory_order_seq_cst);
  }

 private:
  alignas(core::kCacheLine) std::atomic<CommandLink*> head_;  // producers
  alignas(core::kCacheLine) std::atomic<bool> sleeping_{false};
  alignas(core::kCacheLine) CommandLink* tail_;  // consumer
  CommandLink stub_;
};

}  // namespace actorlab::io
