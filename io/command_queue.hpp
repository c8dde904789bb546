// command_queue.hpp: the lock-free queue of commands from workers to the net
// thread (listen, start, close, queued sends, ...): core's intrusive MPSC
// queue (core/intrusive_mpsc.hpp: one total order, so an actor's queued
// sends keep their order even when it moves between workers) plus the
// net thread's "I may sleep" flag.
//
// Wake-up without a lost command (Dekker, seq_cst, one total order S):
//   producer: exchange head_ (push);  load sleeping_ (take_sleeper)
//   consumer: store sleeping_ = true;  load head_ (maybe_nonempty)
// Either the consumer's load of head_ follows the push in S (it sees the
// command and does not block), or the producer's load of sleeping_ follows
// the consumer's store (it sees true and calls the waker).
// Threads: any thread pushes; one thread at a time pops (the net driver).
#pragma once

#include <atomic>

#include "core/cache_line.hpp"
#include "core/intrusive_mpsc.hpp"

namespace actorlab::io {

using CommandLink = core::MpscLink;

class CommandQueue : public core::IntrusiveMpscQueue {
 public:
  // The consumer announces that it may block, then checks maybe_nonempty().
  void set_sleeping(bool sleeping) noexcept { sleeping_.store(sleeping, std::memory_order_seq_cst); }
  // Producer, after push(): true if the consumer may be blocked, in which case
  // the caller must wake it. Clears the flag so a burst wakes it once.
  bool take_sleeper() noexcept {
    return sleeping_.load(std::memory_order_seq_cst) && sleeping_.exchange(false, std::memory_order_seq_cst);
  }

 private:
  alignas(core::kCacheLine) std::atomic<bool> sleeping_{false};
};

}  // namespace actorlab::io
