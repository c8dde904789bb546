// socket_table.cpp: slot allocation and release (see socket_table.hpp).
#include "io/socket_table.hpp"

namespace actorlab::io {

SocketTable::SocketTable(uint32_t capacity)
    : capacity_(capacity < 1 ? 1 : (capacity > kMaxSlots - 1 ? kMaxSlots - 1 : capacity)),
      slots_(std::make_unique<SocketSlot[]>(capacity_)) {
  free_list_.reserve(capacity_);
  // Slot 0 last: ids of low slots come first, which reads well in logs.
  for (uint32_t i = capacity_; i-- > 0;) free_list_.push_back(i);
}

core::SocketId SocketTable::alloc(int fd, SlotState state, core::ActorId owner) noexcept {
  uint32_t index;
  {
    std::lock_guard guard(free_mutex_);
    if (free_list_.empty()) return {};
    index = free_list_.back();
    free_list_.pop_back();
  }
  SocketSlot& slot = slots_[index];
  const uint32_t value = (slot.generation << kIndexBits) | index;
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
  slot.write_closed.store(false, std::memory_order_relaxed);
  slot.queue.clear();
  slot.queued_bytes = 0;
  slot.owner.store(owner.value(), std::memory_order_relaxed);
  slot.port.store(0, std::memory_order_relaxed);
  slot.id.store(value, std::memory_order_release);  // pairs with the acquire in find()
  slot.lock.unlock();
  in_use_.fetch_add(1, std::memory_order_relaxed);
  return core::SocketId::from_value(value);
}

std::size_t SocketTable::free(uint32_t index) noexcept {
  SocketSlot& slot = slots_[index];
  std::deque<Chunk> dropped;
  std::size_t bytes;
  slot.lock.lock();
  slot.id.store(0, std::memory_order_release);  // lookups refuse it from now on
  slot.fd = -1;
  slot.state = SlotState::kFree;
  dropped.swap(slot.queue);
  bytes = slot.queued_bytes;
  slot.queued_bytes = 0;
  slot.generation = (slot.generation & kGenerationMask) + 1;
  if (slot.generation > kGenerationMask) slot.generation = 1;
  slot.lock.unlock();
  {
    std::lock_guard guard(free_mutex_);
    free_list_.push_back(index);
  }
  in_use_.fetch_sub(1, std::memory_order_relaxed);
  return bytes;
}

}  // namespace actorlab::io
