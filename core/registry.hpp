// registry.hpp: the slot table mapping ActorId -> cell.
//
// Cells live in chunks of kChunkSize, allocated on first use and never freed
// before the registry is destroyed, so a lookup is lock-free and wait-free:
// one acquire load of the chunk pointer and one of the cell's owner_id_.
// Chunk pointers are published with a CAS (release; pairs with the acquire
// load in lookup). Free indices go through a moodycamel queue (FIFO per
// producer): a slot freed long ago is reused first, which keeps generations
// low. A slot whose generation would wrap is retired for good, so a stale id
// never matches a later actor (see core/actor_id.hpp).
// Threads: any thread allocates, looks up and releases.
#pragma once

#include <concurrentqueue/concurrentqueue.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>

#include "core/actor_cell.hpp"
#include "core/alloc.hpp"
#include "core/actor_id.hpp"
#include "core/counters.hpp"

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
    if (free_.try_dequeue(index)) return {cell_at(index), index};
    index = next_fresh_.fetch_add(1, std::memory_order_relaxed);
    if (index >= capacity_) {
      next_fresh_.store(capacity_, std::memory_order_relaxed);  // keep it from wrapping
      // A released index may be in flight in the queue: look once more.
      if (free_.try_dequeue(index)) return {cell_at(index), index};
      return {};
    }
    Cell* chunk = ensure_chunk(index >> kChunkBits);
    if (chunk == nullptr) return {};
    return {&chunk[index & (kChunkSize - 1)], index};
  }

  // The actor in `index` has been retired by its worker. Bumps the slot's
  // generation and makes it reusable, or retires the slot if it would wrap.
  void release(uint32_t index) noexcept {
    Cell* cell = cell_at(index);
    if (cell->generation_ >= ActorId::kMaxGeneration) {
      retired_slots_.add();
      return;
    }
    ++cell->generation_;
    // moodycamel's enqueue is a release; try_dequeue an acquire.
    if (!free_.enqueue(index)) retired_slots_.add();  // out of memory: lose the slot, not the runtime
  }

  uint32_t capacity() const noexcept { return capacity_; }
  // Indices handed out so far: every cell_at(i) with i < high_water() exists.
  uint32_t high_water() const noexcept {
    uint32_t n = next_fresh_.load(std::memory_order_relaxed);
    return n < capacity_ ? n : capacity_;
  }
  uint64_t retired_slots() const noexcept { return retired_slots_.get(); }

 private:
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
  SharedCounter retired_slots_;
  moodycamel::ConcurrentQueue<uint32_t> free_;
};

}  // namespace actorlab::core
