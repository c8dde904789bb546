// run_queue_lockfree.hpp: the `lockfree` run queue, a moodycamel
// ConcurrentQueue of cell pointers.
//
// Workers enqueue with their own ProducerToken (a private sub-queue, no
// contention between producers) and dequeue with a ConsumerToken (which
// rotates over the sub-queues). Other threads use the implicit per-thread
// producer. FIFO holds per producer only. Blocks come from core/alloc.hpp.
// Threads: all methods thread-safe; a Handle belongs to one worker.
#pragma once

#include <concurrentqueue/concurrentqueue.h>

#include <memory>

#include "core/alloc.hpp"

namespace actorlab::sched {

struct RuntimeAllocTraits : moodycamel::ConcurrentQueueDefaultTraits {
  static void* malloc(std::size_t size) { return core::allocate(size); }
  static void free(void* ptr) { core::deallocate(ptr); }
};

template <class Cell>
class LockfreeRunQueue {
  using Queue = moodycamel::ConcurrentQueue<Cell*, RuntimeAllocTraits>;

 public:
  static constexpr const char* kName = "lockfree";

  struct Handle {
    std::unique_ptr<moodycamel::ProducerToken> producer;
    std::unique_ptr<moodycamel::ConsumerToken> consumer;
  };

  Handle make_handle() {
    return {std::make_unique<moodycamel::ProducerToken>(queue_),
            std::make_unique<moodycamel::ConsumerToken>(queue_)};
  }

  // Allocates a block now and then; on out-of-memory the process aborts
  // (losing a runnable actor would break invariant 4).
  void push(Handle* h, Cell* cell) noexcept {
    const bool ok = h ? queue_.enqueue(*h->producer, cell) : queue_.enqueue(cell);
    if (!ok) std::terminate();
  }

  bool try_pop(Handle* h, Cell*& out) noexcept {
    return h ? queue_.try_dequeue(*h->consumer, out) : queue_.try_dequeue(out);
  }

  // Up to `max` cells into out[0..n) in one pass over the sub-queues; 0
  // may mean a push in flight, as for try_pop().
  std::size_t try_pop_bulk(Handle* h, Cell** out, std::size_t max) noexcept {
    return h ? queue_.try_dequeue_bulk(*h->consumer, out, max) : queue_.try_dequeue_bulk(out, max);
  }

  // The final check before parking: size_approx() counts elements whose
  // enqueue finished, including those a racing try_dequeue skipped.
  bool maybe_nonempty() noexcept { return queue_.size_approx() != 0; }

 private:
  Queue queue_;
};

}  // namespace actorlab::sched
