// steal.hpp: the steal part (--steal=off|one|half): what an idle worker
// takes from a victim's queue. Only placement local has queues a thief may
// take from (sched::validate refuses steal under global, which has one
// FIFO, and under home, which binds each actor to its worker).
//   one   the oldest actor of a random victim's queue;
//   half  half of it, rounded up (Tokio's and Go's rule): one runs at once,
//         the rest land in the thief's own queue.
// Victims are tried in order from a random start (xorshift per worker), so
// thieves spread over victims instead of all hitting worker 0.
// Threads: the thief (owner of `self`); victims' queues are shared (see
// sched/steal_queue.hpp for the orderings).
#pragma once

#include <cstdint>
#include <vector>

#include "sched/part_counters.hpp"
#include "sched/parts.hpp"
#include "sched/steal_queue.hpp"

namespace actorlab::sched {

// A worker's random victim order.
class VictimPicker {
 public:
  void seed(int index) noexcept { rng_ = 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(index + 1); }
  std::size_t start(std::size_t n) noexcept {
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    return static_cast<std::size_t>(rng_ % n);
  }

 private:
  uint64_t rng_ = 1;
};

// Steals per `mode` from the first victim (in random order) that has work,
// into `self`; the actor to run now in `out`. `queues[i]` is worker i's
// queue. False when every victim was empty or busy with another thief.
template <class Cell, uint32_t Capacity>
bool steal_from_victims(StealMode mode, const std::vector<StealQueue<Cell*, Capacity>*>& queues,
                        StealQueue<Cell*, Capacity>& self, VictimPicker& picker, PartCounters& counters,
                        Cell*& out) noexcept {
  const std::size_t n = queues.size();
  if (mode == StealMode::kOff || n < 2) return false;
  const uint32_t max = mode == StealMode::kOne ? 1 : Capacity;
  const std::size_t start = picker.start(n);
  for (std::size_t i = 0; i < n; ++i) {
    StealQueue<Cell*, Capacity>* victim = queues[(start + i) % n];
    if (victim == &self) continue;
    const uint32_t victim_index = static_cast<uint32_t>((start + i) % n);
    counters.steal_attempts.add();
    trace_instant(counters, core::TraceKind::kStealAttempt, victim_index);
    const uint32_t before = self.len();
    if (victim->steal_into(self, out, max)) {
      const uint32_t taken = 1 + self.len() - before;
      counters.steals.add();
      counters.stolen_actors.add(taken);
      trace_instant(counters, core::TraceKind::kSteal, victim_index, taken);
      return true;
    }
  }
  return false;
}

}  // namespace actorlab::sched
