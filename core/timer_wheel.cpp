// timer_wheel.cpp: see timer_wheel.hpp for the layout and its invariants.
#include "core/timer_wheel.hpp"

#include <bit>
#include <new>

namespace actorlab::core {

TimerWheel::TimerWheel(uint64_t start_tick) : now_(start_tick) { init_storage(); }

void TimerWheel::init_storage() {
  chunks_.clear();
  chunks_.push_back(std::make_unique<Node[]>(kChunkNodes));
  for (uint32_t s = 0; s < kSentinels; ++s) {
    Node& n = node(s);
    n.prev = n.next = s;
    n.key_prev = n.key_next = kNil;
  }
  used_ = kSentinels;
  free_head_ = kNil;
  size_ = 0;
  for (auto& w : near_bits_) w = 0;
  for (auto& w : level_bits_) w = 0;
}

void TimerWheel::clear() {
  init_storage();
  chunks_.shrink_to_fit();
  index_.clear();
}

std::size_t TimerWheel::memory_bytes() const noexcept {
  return chunks_.size() * kChunkNodes * sizeof(Node) + index_.memory_bytes();
}

uint32_t TimerWheel::allocate() {
  if (free_head_ != kNil) {
    const uint32_t i = free_head_;
    free_head_ = node(i).key_next;
    return i;
  }
  if (used_ == kNil) throw std::bad_alloc();  // 2^32 - 1 nodes: the index space is full
  if ((used_ >> kChunkBits) == chunks_.size()) chunks_.push_back(std::make_unique<Node[]>(kChunkNodes));
  return used_++;
}

void TimerWheel::release(uint32_t i) noexcept {
  node(i).key_next = free_head_;
  free_head_ = i;
}

uint32_t TimerWheel::slot_for(uint64_t deadline) const noexcept {
  if ((deadline >> kNearBits) == (now_ >> kNearBits)) return static_cast<uint32_t>(deadline & kNearMask);
  for (unsigned level = 1; level <= kLevels; ++level) {
    const unsigned above = level_shift(level) + kLevelBits;
    if ((deadline >> above) == (now_ >> above))
      return static_cast<uint32_t>(kNearSlots + (level - 1) * kLevelSlots +
                                   ((deadline >> level_shift(level)) & kLevelMask));
  }
  return kOverflow;
}

void TimerWheel::link(uint32_t i) noexcept {
  const uint32_t s = slot_for(node(i).deadline);
  Node& n = node(i);
  Node& sentinel = node(s);
  n.prev = sentinel.prev;
  n.next = s;
  node(sentinel.prev).next = i;
  sentinel.prev = i;
  if (s < kNearSlots)
    near_bits_[s / 64] |= uint64_t{1} << (s % 64);
  else if (s < kOverflow)
    level_bits_[(s - kNearSlots) / kLevelSlots] |= uint64_t{1} << ((s - kNearSlots) % kLevelSlots);
}

void TimerWheel::unlink(uint32_t i) noexcept {
  Node& n = node(i);
  node(n.prev).next = n.next;
  node(n.next).prev = n.prev;
  // The list became empty iff what is left is a sentinel pointing at itself.
  const uint32_t s = n.prev;
  if (s < kSentinels && node(s).next == s) {
    if (s < kNearSlots)
      near_bits_[s / 64] &= ~(uint64_t{1} << (s % 64));
    else if (s < kOverflow)
      level_bits_[(s - kNearSlots) / kLevelSlots] &= ~(uint64_t{1} << ((s - kNearSlots) % kLevelSlots));
  }
}

void TimerWheel::unlink_key(uint32_t i) noexcept {
  Node& n = node(i);
  if (n.key_next != kNil) node(n.key_next).key_prev = n.key_prev;
  if (n.key_prev != kNil) {
    node(n.key_prev).key_next = n.key_next;
  } else if (n.key_next != kNil) {
    // The index points at an existing key: overwriting never allocates.
    index_.set(key_of(n.owner, n.session), n.key_next);
  } else {
    index_.erase(key_of(n.owner, n.session));
  }
}

void TimerWheel::add(ActorId owner, uint32_t session, uint64_t deadline) {
  if (deadline <= now_) deadline = now_ + 1;
  const uint64_t key = key_of(owner.value(), session);
  const uint32_t i = allocate();
  const uint32_t head = index_.find(key);
  try {
    index_.set(key, i);  // may grow
  } catch (...) {
    release(i);
    throw;
  }
  Node& n = node(i);
  n.deadline = deadline;
  n.owner = owner.value();
  n.session = session;
  n.key_prev = kNil;
  n.key_next = head;
  if (head != kNil) node(head).key_prev = i;
  link(i);
  ++size_;
}

std::size_t TimerWheel::cancel(ActorId owner, uint32_t session) noexcept {
  const uint64_t key = key_of(owner.value(), session);
  uint32_t i = index_.find(key);
  if (i == kNil) return 0;
  index_.erase(key);
  std::size_t removed = 0;
  while (i != kNil) {
    const uint32_t next = node(i).key_next;
    unlink(i);
    release(i);
    ++removed;
    i = next;
  }
  size_ -= removed;
  return removed;
}

TimerEntry TimerWheel::take(uint32_t i) noexcept {
  const Node& n = node(i);
  TimerEntry entry{ActorId::from_value(n.owner), n.session, n.deadline};
  unlink(i);
  unlink_key(i);
  release(i);
  --size_;
  return entry;
}

uint64_t TimerWheel::next_event_tick() const noexcept {
  if (size_ == 0) return kNoEvent;
  // Occupied near slots all lie after now's slot in this round of 256.
  for (unsigned w = 0; w < kNearSlots / 64; ++w)
    if (near_bits_[w] != 0)
      return (now_ & ~kNearMask) | (w * 64 + static_cast<unsigned>(std::countr_zero(near_bits_[w])));
  // Occupied level-k slots all lie after now's slot at level k: the first
  // one cascades when now reaches its start.
  for (unsigned level = 1; level <= kLevels; ++level) {
    const uint64_t bits = level_bits_[level - 1];
    if (bits == 0) continue;
    const unsigned shift = level_shift(level);
    const uint64_t round = now_ & ~((uint64_t{1} << (shift + kLevelBits)) - 1);
    return round | (uint64_t{static_cast<unsigned>(std::countr_zero(bits))} << shift);
  }
  // Only the overflow list: it is re-sorted when now's low 32 bits wrap.
  return ((now_ >> kWheelBits) + 1) << kWheelBits;
}

void TimerWheel::relink_list(uint32_t sentinel) noexcept {
  // Detach the whole list first: entries may land back in the same list (overflow).
  Node& s = node(sentinel);
  uint32_t i = s.next;
  s.next = s.prev = sentinel;
  while (i != sentinel) {
    const uint32_t next = node(i).next;
    link(i);
    i = next;
  }
}

void TimerWheel::cascade() noexcept {
  // At most one slot starts at now_: the lowest level whose lower bits are
  // all zero and whose own index is not (index 0 is never occupied, since
  // occupied slots lie after now's).
  for (unsigned level = 1; level <= kLevels; ++level) {
    const unsigned shift = level_shift(level);
    if ((now_ & ((uint64_t{1} << shift) - 1)) != 0) return;
    const uint64_t index = (now_ >> shift) & kLevelMask;
    if (index != 0) {
      const uint32_t sentinel = static_cast<uint32_t>(kNearSlots + (level - 1) * kLevelSlots + index);
      level_bits_[level - 1] &= ~(uint64_t{1} << index);
      relink_list(sentinel);
      return;
    }
  }
  relink_list(kOverflow);  // now's low 32 bits are zero
}

}  // namespace actorlab::core
