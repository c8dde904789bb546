// lifo.hpp: the LIFO-slot part (--lifo=off|on|stealable), one slot per
// worker, usable under every placement.
//
// The slot holds the actor a worker made runnable last during a turn (the
// actor it just messaged); it runs as soon as the current turn ends, on the
// same core, so a request/reply pair stays hot in one cache. An actor
// already in the slot moves to the back of the worker's queue (displaced).
// The owner runs the slot at most kLifoStreakLimit times in a row while
// other work waits (then the slot's actor goes to the back), so two actors
// messaging each other cannot starve the rest (tests/sched/starvation_test.cpp).
//   on         only the owner touches the slot: relaxed loads and stores,
//              the same code as a plain pointer. The slot is private: an
//              actor in it waits for the owner's turn to end even if every
//              other worker is idle (invariant 5's stated bound: the wait
//              is one turn, which --batch bounds; a turn that never ends
//              holds it, as in Tokio).
//   stealable  the slot is shared: the owner puts and takes with exchange
//              (acq_rel), and a thief on its last pass before parking may
//              take it (steal()) after waiting lifo_backoff_ns, Go's
//              runnext rule: "a sync chan send/recv takes ~50ns", so the
//              owner almost always gets its actor back first. The slot then
//              counts as queued work (the placement calls on_push/on_pop of
//              sched/idle.hpp), so putting an actor there wakes a parked
//              worker and invariant 5 holds without a bound.
// Orderings (stealable): the owner's exchange in put() releases, and the
// thief's exchange in steal() acquires, the hand-off of the cell pointer;
// both sides' exchanges are RMWs on one word, so exactly one of owner and
// thief gets a given cell.
// Threads: put/take from the owner; steal from any other worker.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/cache_line.hpp"
#include "perf/clock.hpp"
#include "sched/parts.hpp"

namespace actorlab::sched {

// Tokio's bound (MAX_LIFO_POLLS_PER_TICK is 3); guessed to fit here too.
inline constexpr uint32_t kLifoStreakLimit = 3;

template <class Cell>
class alignas(core::kCacheLine) LifoSlot {
 public:
  // Owner: puts `cell` in the slot; returns the actor it displaced (or nullptr).
  Cell* put(LifoMode mode, Cell* cell) noexcept {
    if (mode == LifoMode::kStealable)
      return slot_.exchange(cell, std::memory_order_acq_rel);  // release: pairs with acquire in steal()
    Cell* displaced = slot_.load(std::memory_order_relaxed);  // owner only (lifo on)
    slot_.store(cell, std::memory_order_relaxed);
    return displaced;
  }

  // Owner: empties the slot; its actor or nullptr (taken by a thief, or none).
  Cell* take(LifoMode mode) noexcept {
    if (mode == LifoMode::kStealable)
      return slot_.exchange(nullptr, std::memory_order_acq_rel);  // pairs with the exchanges in put/steal
    Cell* cell = slot_.load(std::memory_order_relaxed);  // owner only (lifo on)
    if (cell != nullptr) slot_.store(nullptr, std::memory_order_relaxed);
    return cell;
  }

  // Owner (a hint for others): is an actor waiting in the slot?
  bool occupied() const noexcept { return slot_.load(std::memory_order_relaxed) != nullptr; }

  // Another worker, on its last pass (stealable only): if the slot holds an
  // actor, waits backoff_ns (the owner usually takes it back meanwhile),
  // then takes it if it is still there.
  Cell* steal(uint64_t backoff_ns) noexcept {
    if (slot_.load(std::memory_order_relaxed) == nullptr) return nullptr;  // a hint; the exchange decides
    if (backoff_ns > 0) {
      const uint64_t until = perf::now_ns() + backoff_ns;
      while (perf::now_ns() < until) core::cpu_relax();
    }
    if (slot_.load(std::memory_order_relaxed) == nullptr) return nullptr;
    return slot_.exchange(nullptr, std::memory_order_acq_rel);  // acquire: pairs with release in put()
  }

  // Owner: consecutive turns run from the slot (the streak limit).
  uint32_t streak_ = 0;

 private:
  std::atomic<Cell*> slot_{nullptr};
};

}  // namespace actorlab::sched
