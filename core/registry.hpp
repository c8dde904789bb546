// registry.hpp: the slot table mapping ActorId -> cell.
//
// Cells live in chunks of kChunkSize, allocated on first use and never freed
// before the registry is destroyed, so a lookup is lock-free and wait-free:
// one acquire load of the chunk pointer and one of the cell's owner_id_.
// Chunk pointers are published with a CAS (release; pairs with the acquire
// load in lookup).
//
// Id reuse (DESIGN invariant 1: a stale id never reaches a new actor). An id
// is 21 bits of slot and 11 of generation (1..2047; 0 is never handed out),
// so an id value comes back only after its slot was handed out 2047 more
// times. Slots are never retired for good (that refused every spawn after
// capacity x 2047 of them: ~5 days for a server spawning an actor per
// connection at 10 k/s); instead three rules keep that moment far away:
//  1. Free indices go through a FIFO (moodycamel: FIFO per producer), so a
//     slot freed now is reused after the slots freed before it: with F free
//     slots a slot comes back about once every F spawns, and an id about
//     once every 2047 x F spawns.
//  2. A slot whose generation wraps (2047 -> 1) is quarantined: it is not
//     handed out again before kQuarantine = capacity / 2 further spawns
//     (the clock spawn_clock_ counts successful allocations), while other
//     free slots or fresh indices serve them.
//  3. Only when nothing else is left (no free slot, no fresh index) does a
//     spawn take the oldest quarantined slot early, counted in
//     quarantine_overrides() ("registry_quarantine_overrides"): a spawn is
//     never refused for the age of a slot.
// Bound: between the exit of the actor with id (i, g) and the next spawn
// that hands out (i, g) again, slot i is allocated 2046 times and wraps
// exactly once, so at least 2046 + capacity / 2 spawns happen (with the
// default capacity 2^21: over a million), unless an override was counted.
// Tested in tests/core/invariant_1_stale_ids.cpp (no id repeats within the bound,
// spawns keep succeeding past capacity x 2047).
// Threads: any thread allocates, looks up and releases. The quarantine is a
// spinlocked deque: it is touched once per 2047 releases of a slot, and by
// allocate only when its head is due (one relaxed load otherwise).
#pragma once

#include <concurrentqueue/concurrentqueue.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <new>
#include <stdexcept>

#include "core/actor_cell.hpp"
#include "core/alloc.hpp"
#include "core/actor_id.hpp"
#include "core/counters.hpp"
#include "core/spinlock.hpp"

namespace actorlab::core {

template <class Cell>
class Registry {
 public:
  static constexpr uint32_t kChunkBits = 12;
  static constexpr uint32_t kChunkSize = 1u << kChunkBits;

  explicit Registry(uint32_t capacity) : capacity_(capacity) {
    if (capacity == 0 || capacity > ActorId::kMaxIndex + 1)
      throw std::invalid_argument("registry capacity must be 1.." +
                                  std::to_string(ActorId::kMaxIndex + 1));
    chunk_count_ = (capacity + kChunkSize - 1) / kChunkSize;
    chunks_ = std::make_unique<std::atomic<Cell*>[]>(chunk_count_);
    quarantine_ = std::max<uint64_t>(1, capacity / 2);
  }
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  ~Registry() {
    for (uint32_t i = 0; i < chunk_count_; ++i) {
      Cell* chunk = chunks_[i].load(std::memory_order_relaxed);
      if (chunk == nullptr) continue;
      for (uint32_t j = 0; j < kChunkSize; ++j) chunk[j].~Cell();
      deallocate_aligned(chunk, alignof(Cell));
    }
  }

  // The cell of a live actor, or nullptr for a dead, stale or unknown id.
  Cell* find(ActorId id) const noexcept {
    // kNoActor (0) must not match a free slot 0, whose owner_id_ is also 0.
    if (!id.valid()) return nullptr;
    Cell* cell = cell_at(id.index());
    // acquire: pairs with the release store of owner_id_ in spawn.
    if (cell == nullptr || cell->owner_id_.load(std::memory_order_acquire) != id.value())
      return nullptr;
    return cell;
  }

  // Any slot ever handed out (live or not), or nullptr.
  Cell* cell_at(uint32_t index) const noexcept {
    if (index >= capacity_) return nullptr;
    Cell* chunk = chunks_[index >> kChunkBits].load(std::memory_order_acquire);  // pairs with CAS in ensure_chunk
    return chunk == nullptr ? nullptr : &chunk[index & (kChunkSize - 1)];
  }

  struct Slot {
    Cell* cell = nullptr;
    uint32_t index = 0;
  };

  // Takes a free slot: a released one first, else a fresh index. cell is
  // nullptr when the registry is full. Allocates a chunk at most once per
  // kChunkSize fresh slots.
  Slot allocate() noexcept {
    uint32_t index;
    // A quarantined slot that is due goes first (rule 2 ended for it).
    if (spawn_clock_.load(std::memory_order_relaxed) >= held_due_.load(std::memory_order_relaxed) &&
        take_held(/*early=*/false, index))
      return counted({cell_at(index), index});
    if (free_.try_dequeue(index)) return counted({cell_at(index), index});
    index = next_fresh_.fetch_add(1, std::memory_order_relaxed);
    if (index >= capacity_) {
      next_fresh_.store(capacity_, std::memory_order_relaxed);  // keep it from wrapping
      // A released index may be in flight in the queue: look once more.
      if (free_.try_dequeue(index)) return counted({cell_at(index), index});
      if (take_held(/*early=*/true, index)) {  // rule 3: never refuse for a slot's age
        overrides_.add();
        return counted({cell_at(index), index});
      }
      return {};
    }
    Cell* chunk = ensure_chunk(index >> kChunkBits);
    if (chunk == nullptr) return {};
    return counted({&chunk[index & (kChunkSize - 1)], index});
  }

  // The actor in `index` has been retired by its worker. Bumps the slot's
  // generation and makes it reusable; a generation that wraps sends the slot
  // to the quarantine instead of the free list.
  void release(uint32_t index) noexcept {
    Cell* cell = cell_at(index);
    if (cell->generation_ >= ActorId::kMaxGeneration) {
      cell->generation_ = 1;  // 0 is never handed out (kNoActor)
      wraps_.add();
      hold(index);
      return;
    }
    ++cell->generation_;
    // moodycamel's enqueue is a release; try_dequeue an acquire.
    if (!free_.enqueue(index)) lost_slots_.add();  // out of memory: lose the slot, not the runtime
  }

  uint32_t capacity() const noexcept { return capacity_; }
  // Indices handed out so far: every cell_at(i) with i < high_water() exists.
  uint32_t high_water() const noexcept {
    uint32_t n = next_fresh_.load(std::memory_order_relaxed);
    return n < capacity_ ? n : capacity_;
  }
  // Slots lost for good (only when the free list or quarantine could not
  // allocate memory).
  uint64_t retired_slots() const noexcept { return lost_slots_.get(); }
  uint64_t generation_wraps() const noexcept { return wraps_.get(); }
  uint64_t quarantine_overrides() const noexcept { return overrides_.get(); }
  // Spawns that are held back before a wrapped slot is handed out again.
  uint64_t quarantine_spawns() const noexcept { return quarantine_; }

 private:
  Slot counted(Slot slot) noexcept {
    spawn_clock_.fetch_add(1, std::memory_order_relaxed);  // a clock only: orders nothing
    return slot;
  }

  void hold(uint32_t index) noexcept {
    held_lock_.lock();
    try {
      held_.push_back({index, spawn_clock_.load(std::memory_order_relaxed) + quarantine_});
    } catch (...) {
      lost_slots_.add();
    }
    // Written under the lock; allocate's relaxed load is a hint, take_held rechecks.
    held_due_.store(held_.empty() ? kNever : held_.front().due, std::memory_order_relaxed);
    held_lock_.unlock();  // release: publishes generation_ to the next take_held (acquire in lock)
  }

  // The oldest quarantined slot, if due (or `early`).
  bool take_held(bool early, uint32_t& index) noexcept {
    held_lock_.lock();
    const bool ok = !held_.empty() && (early || spawn_clock_.load(std::memory_order_relaxed) >= held_.front().due);
    if (ok) {
      index = held_.front().index;
      held_.pop_front();
      held_due_.store(held_.empty() ? kNever : held_.front().due, std::memory_order_relaxed);
    }
    held_lock_.unlock();
    return ok;
  }

  Cell* ensure_chunk(uint32_t chunk_index) noexcept {
    Cell* chunk = chunks_[chunk_index].load(std::memory_order_acquire);
    if (chunk != nullptr) return chunk;
    void* mem = allocate_aligned(sizeof(Cell) * kChunkSize, alignof(Cell));
    if (mem == nullptr) return nullptr;
    auto* fresh = static_cast<Cell*>(mem);
    for (uint32_t j = 0; j < kChunkSize; ++j) new (&fresh[j]) Cell();
    // release: publishes the constructed cells; pairs with acquire in cell_at.
    if (chunks_[chunk_index].compare_exchange_strong(chunk, fresh, std::memory_order_acq_rel,
                                                     std::memory_order_acquire))
      return fresh;
    for (uint32_t j = 0; j < kChunkSize; ++j) fresh[j].~Cell();
    deallocate_aligned(fresh, alignof(Cell));
    return chunk;  // the winner's chunk
  }

  uint32_t capacity_;
  uint32_t chunk_count_ = 0;
  std::unique_ptr<std::atomic<Cell*>[]> chunks_;
  alignas(kCacheLine) std::atomic<uint32_t> next_fresh_{0};
  SharedCounter lost_slots_, wraps_, overrides_;
  moodycamel::ConcurrentQueue<uint32_t> free_;
  // Successful allocations so far: the quarantine's clock (any thread, relaxed).
  alignas(kCacheLine) std::atomic<uint64_t> spawn_clock_{0};

  // The quarantine (rule 2): wrapped slots in wrap order, each with the
  // spawn_clock_ value from which it may be handed out again.
  struct Held {
    uint32_t index;
    uint64_t due;
  };
  static constexpr uint64_t kNever = UINT64_MAX;
  uint64_t quarantine_ = 1;  // set in the constructor: capacity / 2
  alignas(kCacheLine) Spinlock held_lock_;
  std::atomic<uint64_t> held_due_{kNever};  // held_.front().due, or kNever; written under held_lock_
  std::deque<Held> held_;
};

}  // namespace actorlab::core
