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
//  1. Free indices go through FIFOs, so a slot freed now is reused after the
//     slots freed before it: a worker's own ring first (LocalFree, below,
//     at most 64), then the shared queue (moodycamel: FIFO per producer).
//     Through the shared queue alone, with F free slots, a slot comes back
//     about once every F spawns; a busy worker's ring brings its slots back
//     sooner (after the ring's other entries), so its ids come back about
//     once every 2047 x (ring length) spawns. The bound below does not rest
//     on this rule: rules 2 and 3 carry it.
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
// Per-worker free rings (LocalFree): a worker's release puts the index in
// its own ring of up to local_cap_ indices, and its allocate takes the
// oldest from there first, so a spawn after an exit on the same worker
// reuses a cell still in that worker's cache and touches no shared line
// (the shared queue's dequeue and the next_fresh_ RMW cost skynet-1M about
// a tenth of its samples). A full ring hands its older half to the shared
// queue in one bulk enqueue. Each ring has a spinlock that its worker takes
// uncontended; another thread takes it when a spawn finds neither its own
// ring nor the shared queue holding a slot: it takes the oldest slot of
// another worker's non-empty ring before a fresh index (a relaxed look at
// the ring's count first; a try_lock, and when nothing else is left a
// lock), so free slots are reused before the table grows, and a cached slot
// never makes a spawn fail. Workers also count the quarantine clock in batches of
// clock_batch_ (at most quarantine / 1024), so the clock may lag the true
// count by up to clock_slack_ = workers x (clock_batch_ - 1); a slot's due
// time adds that slack, so it is still held for at least quarantine spawns.
// Threads: any thread allocates, looks up and releases (worker: its index,
// or -1 off the workers). The quarantine is a spinlocked deque: it is
// touched once per 2047 releases of a slot, and by allocate only when its
// head is due (one relaxed load otherwise).
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

  static constexpr uint32_t kLocalFreeMax = 64;  // a worker's free ring, at most

  // `workers`: the worker indices that call allocate and release with their
  // own index (each gets a free ring); other callers pass -1.
  explicit Registry(uint32_t capacity, int workers = 0) : capacity_(capacity) {
    if (capacity == 0 || capacity > ActorId::kMaxIndex + 1)
      throw std::invalid_argument("registry capacity must be 1.." +
                                  std::to_string(ActorId::kMaxIndex + 1));
    chunk_count_ = (capacity + kChunkSize - 1) / kChunkSize;
    chunks_ = std::make_unique<std::atomic<Cell*>[]>(chunk_count_);
    quarantine_ = std::max<uint64_t>(1, capacity / 2);
    clock_batch_ = static_cast<uint32_t>(std::clamp<uint64_t>(quarantine_ / 1024, 1, 64));
    local_count_ = workers > 0 ? static_cast<uint32_t>(workers) : 0;
    // A small registry keeps most slots shared: rings hold a quarter at most.
    local_cap_ = local_count_ == 0 ? 0 : std::min<uint32_t>(kLocalFreeMax, capacity / (4 * local_count_));
    if (local_cap_ < 2) local_count_ = local_cap_ = 0;  // too small to split: shared queue only
    if (local_count_ != 0) locals_ = std::make_unique<LocalFree[]>(local_count_);
    clock_slack_ = static_cast<uint64_t>(local_count_) * (clock_batch_ - 1);
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
  // `worker`: the caller's worker index, or -1 (see the constructor).
  Slot allocate(int worker = -1) noexcept {
    uint32_t index;
    LocalFree* own = local_of(worker);
    // A quarantined slot that is due goes first (rule 2 ended for it).
    if (spawn_clock_.load(std::memory_order_relaxed) >= held_due_.load(std::memory_order_relaxed) &&
        take_held(/*early=*/false, index))
      return counted({cell_at(index), index}, own);
    if ((own != nullptr && own->take(index)) || free_.try_dequeue(index)) return counted({cell_at(index), index}, own);
    // A free slot before a fresh index (memory stays at the live count),
    // even one in another worker's ring: an outside spawner (main, net
    // thread) has no ring, and a worker whose actors' exits land on
    // another worker has an empty one.
    if (take_from_other_rings(own, index, /*wait=*/false)) return counted({cell_at(index), index}, own);
    if (next_fresh_.load(std::memory_order_relaxed) < capacity_) {
      index = next_fresh_.fetch_add(1, std::memory_order_relaxed);
      if (index < capacity_) {
        Cell* chunk = ensure_chunk(index >> kChunkBits);
        if (chunk == nullptr) return {};
        return counted({&chunk[index & (kChunkSize - 1)], index}, own);
      }
      next_fresh_.store(capacity_, std::memory_order_relaxed);  // keep it from wrapping
    }
    // A released index may be in flight in the queue: look once more; then
    // in the other workers' rings.
    if (free_.try_dequeue(index) || take_from_other_rings(own, index, /*wait=*/true))
      return counted({cell_at(index), index}, own);
    if (take_held(/*early=*/true, index)) {  // rule 3: never refuse for a slot's age
      overrides_.add();
      return counted({cell_at(index), index}, own);
    }
    return {};
  }

  // The actor in `index` has been retired by its worker. Bumps the slot's
  // generation and makes it reusable; a generation that wraps sends the slot
  // to the quarantine instead of the free list.
  // `worker`: the caller's worker index, or -1.
  void release(uint32_t index, int worker = -1) noexcept {
    Cell* cell = cell_at(index);
    if (cell->generation_ >= ActorId::kMaxGeneration) {
      cell->generation_ = 1;  // 0 is never handed out (kNoActor)
      wraps_.add();
      hold(index);
      return;
    }
    ++cell->generation_;
    if (LocalFree* own = local_of(worker)) {
      own->put(index, local_cap_, *this);
      return;
    }
    share(&index, 1);
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
  // A worker's free ring (FIFO) and its share of the quarantine clock.
  // lock: taken by its worker on every use (uncontended), by another thread
  // when its own ring and the shared queue are empty; acquire/release (core/spinlock.hpp)
  // order a slot's generation_ write in release before its read after take.
  struct alignas(kCacheLine) LocalFree {
    Spinlock lock;
    uint32_t head = 0;   // oldest entry
    // Entries; written under the lock, read without it (relaxed) by other
    // threads to skip an empty ring.
    std::atomic<uint32_t> count{0};
    uint32_t clock_pending = 0;  // this worker's allocations not yet in spawn_clock_ (owner only)
    uint32_t slots[kLocalFreeMax];

    bool take(uint32_t& index) noexcept {
      lock.lock();
      const bool ok = take_locked(index);
      lock.unlock();
      return ok;
    }
    bool try_take(uint32_t& index) noexcept {
      if (!lock.try_lock()) return false;
      const bool ok = take_locked(index);
      lock.unlock();
      return ok;
    }
    bool take_locked(uint32_t& index) noexcept {
      const uint32_t n = count.load(std::memory_order_relaxed);
      if (n == 0) return false;
      index = slots[head];
      head = (head + 1) % kLocalFreeMax;
      count.store(n - 1, std::memory_order_relaxed);
      return true;
    }
    // Appends index; a full ring (cap) first hands its older half to the
    // shared queue.
    void put(uint32_t index, uint32_t cap, Registry& registry) noexcept {
      uint32_t spill[kLocalFreeMax];
      uint32_t spilled = 0;
      lock.lock();
      uint32_t n = count.load(std::memory_order_relaxed);
      if (n >= cap) {
        for (spilled = 0; spilled < cap / 2; ++spilled) {
          spill[spilled] = slots[head];
          head = (head + 1) % kLocalFreeMax;
        }
        n -= spilled;
      }
      slots[(head + n) % kLocalFreeMax] = index;
      count.store(n + 1, std::memory_order_relaxed);
      lock.unlock();
      if (spilled != 0) registry.share(spill, spilled);
    }
  };

  // The oldest index of the first other non-empty ring. wait: take each
  // ring's lock; else skip a ring whose lock is held (its worker is at it).
  bool take_from_other_rings(const LocalFree* own, uint32_t& index, bool wait) noexcept {
    for (uint32_t i = 0; i < local_count_; ++i) {
      LocalFree& ring = locals_[i];
      if (&ring == own || ring.count.load(std::memory_order_relaxed) == 0) continue;
      if (wait ? ring.take(index) : ring.try_take(index)) return true;
    }
    return false;
  }

  LocalFree* local_of(int worker) noexcept {
    return worker >= 0 && static_cast<uint32_t>(worker) < local_count_ ? &locals_[worker] : nullptr;
  }

  // Into the shared queue. moodycamel's enqueue is a release; try_dequeue an acquire.
  void share(const uint32_t* indices, uint32_t n) noexcept {
    if (!free_.enqueue_bulk(indices, n)) lost_slots_.add(n);  // out of memory: lose the slots, not the runtime
  }

  Slot counted(Slot slot, LocalFree* own) noexcept {
    // A clock only: orders nothing. A worker adds its allocations in batches.
    if (own == nullptr) {
      spawn_clock_.fetch_add(1, std::memory_order_relaxed);
    } else if (++own->clock_pending >= clock_batch_) {
      spawn_clock_.fetch_add(own->clock_pending, std::memory_order_relaxed);
      own->clock_pending = 0;
    }
    return slot;
  }

  void hold(uint32_t index) noexcept {
    held_lock_.lock();
    try {
      // + slack: the clock may run behind the true count by that much now,
      // and be exact when the slot comes due.
      held_.push_back({index, spawn_clock_.load(std::memory_order_relaxed) + quarantine_ + clock_slack_});
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
  uint32_t clock_batch_ = 1;  // a worker's allocations per spawn_clock_ add
  uint64_t clock_slack_ = 0;  // the most spawn_clock_ can lag: workers x (clock_batch_ - 1)
  uint32_t local_count_ = 0;  // workers with a free ring
  uint32_t local_cap_ = 0;    // indices a ring holds before it spills half
  std::unique_ptr<LocalFree[]> locals_;
  alignas(kCacheLine) Spinlock held_lock_;
  std::atomic<uint64_t> held_due_{kNever};  // held_.front().due, or kNever; written under held_lock_
  std::deque<Held> held_;
};

}  // namespace actorlab::core
