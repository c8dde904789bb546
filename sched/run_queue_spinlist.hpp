// run_queue_spinlist.hpp: the `spinlist` run queue, skynet's global_queue:
// an intrusive singly linked FIFO of cells (through the SpinListLink in
// every cell's sched_ state) behind one spinlock. The baseline the lock-free queue is measured against.
// Threads: all methods thread-safe; the lock's acquire/release orders the
// links (see core/spinlock.hpp).
#pragma once

#include "core/spinlock.hpp"
#include "sched/run_queue.hpp"

namespace actorlab::sched {

// The link every cell carries when a spinlist queues it (void*: the cell
// type is not known where the cell state is declared).
struct SpinListLink {
  void* run_queue_next = nullptr;
};

template <class Cell>
class SpinListRunQueue {
 public:
  static constexpr const char* kName = "spinlist";
  struct Handle {};
  Handle make_handle() { return {}; }

  void push(Handle*, Cell* cell) noexcept {
    cell->sched_.run_queue_next = nullptr;
    lock_.lock();
    if (tail_ != nullptr)
      tail_->sched_.run_queue_next = cell;
    else
      head_ = cell;
    tail_ = cell;
    lock_.unlock();
  }

  bool try_pop(Handle*, Cell*& out) noexcept {
    lock_.lock();
    Cell* cell = head_;
    if (cell != nullptr) {
      head_ = static_cast<Cell*>(cell->sched_.run_queue_next);
      if (head_ == nullptr) tail_ = nullptr;
      cell->sched_.run_queue_next = nullptr;
    }
    lock_.unlock();
    out = cell;
    return cell != nullptr;
  }

  // Up to `max` cells, under one hold of the lock.
  std::size_t try_pop_bulk(Handle*, Cell** out, std::size_t max) noexcept {
    std::size_t n = 0;
    lock_.lock();
    while (n < max && head_ != nullptr) {
      Cell* cell = head_;
      head_ = static_cast<Cell*>(cell->sched_.run_queue_next);
      cell->sched_.run_queue_next = nullptr;
      out[n++] = cell;
    }
    if (head_ == nullptr) tail_ = nullptr;
    lock_.unlock();
    return n;
  }

  bool maybe_nonempty() noexcept {
    lock_.lock();
    const bool nonempty = head_ != nullptr;
    lock_.unlock();
    return nonempty;
  }

 private:
  core::Spinlock lock_;
  Cell* head_ = nullptr;
  Cell* tail_ = nullptr;
};

template <>
struct RunQueueCellState<SpinListRunQueue> {
  using type = SpinListLink;
};

}  // namespace actorlab::sched
