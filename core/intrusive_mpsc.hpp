// intrusive_mpsc.hpp: an intrusive multi-producer, single-consumer queue
// after Dmitry Vyukov's design, for the runtime's services: the timer
// thread's requests (core/timer_service) and the net thread's commands
// (io/command_queue). (Mailboxes have their own variant with the activation
// bit folded into the head: core/mailbox_lockfree.hpp.)
//
// One total order: a push is placed by its exchange on head_, so two pushes
// ordered by happens-before (an actor's add then cancel, or two sends, even
// from two workers) are popped in that order. A FIFO per producer only
// (moodycamel's ConcurrentQueue) would let the later one overtake.
//
// Orderings: push's exchange is seq_cst, and maybe_nonempty() loads head_
// seq_cst, so a consumer may build a Dekker pair on them (store "I may
// sleep"; maybe_nonempty()) against a producer's (push; load "it may
// sleep"); the exchange's acquire half also orders our link after the
// previous producer's node initialisation. The release store of next pairs
// with pop()'s acquire loads and publishes the node's fields.
// Not linearizable: pop() returns nullptr while a push is between its
// exchange and its link; maybe_nonempty() then says true (retry soon).
// Threads: any thread pushes; one thread at a time pops and asks
// maybe_nonempty(). A node belongs to the queue from push until pop returns it.
#pragma once

#include <atomic>

#include "core/cache_line.hpp"

namespace actorlab::core {

struct MpscLink {
  std::atomic<MpscLink*> next{nullptr};
};

class IntrusiveMpscQueue {
 public:
  IntrusiveMpscQueue() noexcept : head_(&stub_), tail_(&stub_) {}
  IntrusiveMpscQueue(const IntrusiveMpscQueue&) = delete;
  IntrusiveMpscQueue& operator=(const IntrusiveMpscQueue&) = delete;

  // Any thread. Never blocks.
  void push(MpscLink* node) noexcept {
    node->next.store(nullptr, std::memory_order_relaxed);
    MpscLink* prev = head_.exchange(node, std::memory_order_seq_cst);  // see the header
    prev->next.store(node, std::memory_order_release);                 // pairs with acquire in pop()
  }

  // Consumer only. nullptr when empty or when a push is between its
  // exchange and its link.
  MpscLink* pop() noexcept {
    MpscLink* tail = tail_;
    MpscLink* next = tail->next.load(std::memory_order_acquire);  // pairs with push()
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
    push(&stub_);  // the stub goes behind the last node, so that node can leave
    next = tail->next.load(std::memory_order_acquire);
    if (next != nullptr) {
      tail_ = next;
      return tail;
    }
    return nullptr;
  }

  // Consumer only: false only in the resting empty state (head_ and tail_
  // both at the stub, nothing linked), so a push that has begun, linked or
  // not, reads as non-empty (seq_cst: see the header).
  bool maybe_nonempty() const noexcept {
    return head_.load(std::memory_order_seq_cst) != &stub_ || tail_ != &stub_ ||
           stub_.next.load(std::memory_order_acquire) != nullptr;
  }

 private:
  alignas(kCacheLine) std::atomic<MpscLink*> head_;  // producers
  alignas(kCacheLine) MpscLink* tail_;               // consumer
  MpscLink stub_;
};

}  // namespace actorlab::core
