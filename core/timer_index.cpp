// timer_index.cpp: see timer_index.hpp.
#include "core/timer_index.hpp"

#include <bit>

namespace actorlab::core {

void TimerIndex::reset(std::size_t capacity) {
  auto fresh = std::make_unique<Slot[]>(capacity);
  for (std::size_t i = 0; i < capacity; ++i) fresh[i].node = kNone;
  slots_ = std::move(fresh);
  mask_ = capacity - 1;
  shift_ = 64 - static_cast<unsigned>(std::countr_zero(capacity));
  size_ = 0;
}

void TimerIndex::rehash(std::size_t capacity) {
  std::unique_ptr<Slot[]> old = std::move(slots_);
  const std::size_t old_capacity = mask_ + 1;
  const std::size_t count = size_;
  try {
    reset(capacity);
  } catch (...) {
    slots_ = std::move(old);  // unchanged on failure
    throw;
  }
  for (std::size_t i = 0; i < old_capacity; ++i) {
    if (old[i].node == kNone) continue;
    std::size_t j = home(old[i].key);
    while (slots_[j].node != kNone) j = (j + 1) & mask_;
    slots_[j] = old[i];
  }
  size_ = count;
}

void TimerIndex::set(uint64_t key, uint32_t node) {
  std::size_t i = home(key);
  for (; slots_[i].node != kNone; i = (i + 1) & mask_) {
    if (slots_[i].key == key) {
      slots_[i].node = node;
      return;
    }
  }
  if ((size_ + 1) * 2 > capacity()) {
    rehash(capacity() * 2);
    i = home(key);
    while (slots_[i].node != kNone) i = (i + 1) & mask_;
  }
  slots_[i] = Slot{key, node};
  ++size_;
}

void TimerIndex::erase(uint64_t key) noexcept {
  std::size_t hole = home(key);
  for (;; hole = (hole + 1) & mask_) {
    if (slots_[hole].node == kNone) return;
    if (slots_[hole].key == key) break;
  }
  // Backward shift: move each later entry of the probe run into the hole
  // unless its home lies cyclically in (hole, j], where it must stay.
  for (std::size_t j = (hole + 1) & mask_; slots_[j].node != kNone; j = (j + 1) & mask_) {
    const std::size_t h = home(slots_[j].key);
    const bool stays = hole < j ? (h > hole && h <= j) : (h > hole || h <= j);
    if (stays) continue;
    slots_[hole] = slots_[j];
    hole = j;
  }
  slots_[hole].node = kNone;
  --size_;
  if (capacity() > kMinCapacity && size_ * 8 < capacity()) {
    try {
      rehash(capacity() / 2);
    } catch (...) {
      // Shrinking is only an economy: keep the larger table.
    }
  }
}

}  // namespace actorlab::core
