// socket_table.cpp: slot allocation and release (see socket_table.hpp): a
// FIFO ring of free indexes, generations that only move forward, slots
// retired before their generation would wrap.
// Threads: alloc/free from any thread (free_mutex_ guards the ring).
#include "io/socket_table.hpp"

#include "io/read_credit.hpp"

namespace actorlab::io {

SocketTable::SocketTable(uint32_t capacity)
    : capacity_(capacity < 1 ? 1 : (capacity > kMaxSlots - 1 ? kMaxSlots - 1 : capacity)),
      slots_(std::make_unique<SocketSlot[]>(capacity_)),
      free_ring_(capacity_) {
  // Slot 0 first: ids of low slots come first, which reads well in logs.
  for (uint32_t i = 0; i < capacity_; ++i) {
    free_ring_[i] = i;
    slots_[i].resume_link.index = i;
  }
  free_count_ = capacity_;
}

core::SocketId SocketTable::alloc(int fd, SlotState state, core::ActorId owner) noexcept {
  uint32_t index;
  {
    std::lock_guard guard(free_mutex_);
    if (free_count_ == 0) return {};
    index = free_ring_[free_head_];
    free_head_ = free_head_ + 1 == capacity_ ? 0 : free_head_ + 1;
    --free_count_;
  }
  SocketSlot& slot = slots_[index];
  const core::SocketId id = make_id(slot.generation, index);
  slot.lock.lock();
  slot.fd = fd;
  slot.state = state;
  slot.net_writing = false;
  slot.broken = false;
  slot.write_error = 0;
  slot.registered = false;
  slot.connecting = false;
  slot.send_in_flight = false;
  slot.shut_done = false;
  slot.user_closed = false;
  slot.accept_warned = false;
  slot.reading_stopped = false;
  slot.discarded_reads = 0;
  slot.send_since_ns = 0;
  slot.closing_since_ns = 0;
  slot.write_closed.store(false, std::memory_order_relaxed);
  slot.queue.clear();
  slot.queued_bytes.store(0, std::memory_order_relaxed);
  // The new generation's credit: releases of older messages no longer match
  // its tag (read_credit.hpp). seq_cst like every read_credit access.
  slot.read_credit.store(ReadCredit::pack(slot.generation, 0), std::memory_order_seq_cst);
  slot.read_paused.store(false, std::memory_order_seq_cst);
  slot.owner.store(owner.value(), std::memory_order_relaxed);
  slot.port.store(0, std::memory_order_relaxed);
  slot.id.store(id.value(), std::memory_order_release);  // pairs with the acquire in find()
  slot.lock.unlock();
  in_use_.fetch_add(1, std::memory_order_relaxed);
  return id;
}

std::size_t SocketTable::free(uint32_t index) noexcept {
  SocketSlot& slot = slots_[index];
  std::deque<Chunk> dropped;
  std::size_t bytes;
  bool retire;
  slot.lock.lock();
  slot.id.store(0, std::memory_order_release);  // lookups refuse it from now on
  slot.fd = -1;
  slot.state = SlotState::kFree;
  dropped.swap(slot.queue);
  bytes = slot.queued_bytes.load(std::memory_order_relaxed);
  slot.queued_bytes.store(0, std::memory_order_relaxed);
  retire = slot.generation >= kMaxGeneration;
  if (!retire) ++slot.generation;
  slot.lock.unlock();
  if (retire) {
    retired_.fetch_add(1, std::memory_order_relaxed);
  } else {
    std::lock_guard guard(free_mutex_);
    uint32_t tail = free_head_ + free_count_;
    if (tail >= capacity_) tail -= capacity_;
    free_ring_[tail] = index;
    ++free_count_;
  }
  in_use_.fetch_sub(1, std::memory_order_relaxed);
  return bytes;
}

}  // namespace actorlab::io
