// return_stack.hpp: ReturnStack, a lock-free stack of small ids (buffer
// ids of the uring backend's provided-buffer ring) that any thread pushes
// and one thread takes whole: how adopted read buffers come back to the
// driver (io/uring_backend.cpp, zero-copy reads).
//
// Invariants: an id is pushed at most once until it has been taken (the
// caller's rule: a buffer is returned once per adoption); take_all() hands
// every pushed id to its callback exactly once, most recent first.
// Orderings: push() links next_[id] (relaxed) and publishes it with a
// seq_cst compare-exchange on head_ (release is what the hand-off needs;
// seq_cst is for the caller's Dekker: the backend loads wants_returns_
// after push(), and stores it before maybe_nonempty()); take_all()
// exchanges head_ with acquire, so each pusher's writes before push() (its
// last reads of the buffer) happen before the taker reuses the id. The
// taker takes the whole list at once and never pops one node, so a node
// freed and pushed again cannot meet a stale head (no ABA).
// Threads: push() any thread; take_all() one thread at a time (the driver).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "core/cache_line.hpp"

namespace actorlab::io {

class ReturnStack {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Ids are below capacity.
  explicit ReturnStack(uint32_t capacity) : next_(std::make_unique<std::atomic<uint32_t>[]>(capacity)) {}

  void push(uint32_t id) noexcept {
    uint32_t head = head_.load(std::memory_order_relaxed);
    do {
      next_[id].store(head, std::memory_order_relaxed);
    } while (!head_.compare_exchange_weak(head, id, std::memory_order_seq_cst, std::memory_order_relaxed));
  }

  // seq_cst: the taker's side of the caller's Dekker (see the file comment).
  bool maybe_nonempty() const noexcept { return head_.load(std::memory_order_seq_cst) != kNone; }

  // Calls each(id) for every id pushed so far; returns how many.
  template <class Each>
  uint32_t take_all(Each&& each) noexcept {
    if (head_.load(std::memory_order_relaxed) == kNone) return 0;
    uint32_t id = head_.exchange(kNone, std::memory_order_acquire);  // pairs with push()'s CAS
    uint32_t n = 0;
    while (id != kNone) {
      const uint32_t next = next_[id].load(std::memory_order_relaxed);
      each(id);  // may push id again only after this call: next was read first
      ++n;
      id = next;
    }
    return n;
  }

 private:
  std::unique_ptr<std::atomic<uint32_t>[]> next_;
  alignas(core::kCacheLine) std::atomic<uint32_t> head_{kNone};
};

}  // namespace actorlab::io
