// steal.hpp: the steal part (--steal=off|one|half): what an idle worker
// takes from a victim's queue. Only placement local has queues a thief may
// take from (sched::validate refuses steal under global, which has one
// FIFO, and under home, which binds each actor to its worker).
//   one   the oldest actor of a random victim's queue;
//   half  half of it, rounded up (Tokio's and Go's rule): one runs at once,
//         the rest land in the thief's own queue.
// Victims are tried in order from a random start (xorshift per worker), so
// thieves spread over victims instead of all hitting worker 0.
// Patience (--steal-patience=NS, StealPatience): during its spin a thief
// takes from a victim only once the victim's queue has held work with its
// head standing still for NS, i.e. its oldest actor has waited that long
// for a victim that has not popped (a long turn); a victim
// that keeps popping its queue keeps its actors, and the messages between
// them stay on one core. The thief's last look before parking steals at
// once, so no worker parks while another's queue holds work (invariant 5
// as with patience 0). The head is read relaxed: a hint, as the steal's own
// CAS decides.
// Threads: the thief (owner of `self`); victims' queues are shared (see
// sched/steal_queue.hpp for the orderings).
#pragma once

#include <cstdint>
#include <vector>

#include "perf/clock.hpp"
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

// A thief's view of each victim's queue head: when it last moved.
class StealPatience {
 public:
  void init(std::size_t workers, uint64_t patience_ns) {
    patience_ns_ = patience_ns;
    seen_.assign(workers, Seen{});
  }
  bool enabled() const noexcept { return patience_ns_ != 0; }
  // Has victim i's queue held work (nonempty now) with its head at `head`
  // for the patience? An empty queue restarts the count.
  bool victim_stalled(std::size_t i, uint32_t head, bool nonempty) noexcept {
    Seen& s = seen_[i];
    if (!nonempty) {
      s.since_ns = 0;
      return false;
    }
    const uint64_t now = perf::now_ns();
    if (s.since_ns == 0 || s.head != head) {
      s.head = head;
      s.since_ns = now;
      return false;
    }
    return now - s.since_ns >= patience_ns_;
  }

 private:
  struct Seen {
    uint32_t head = 0;
    uint64_t since_ns = 0;  // 0: not seen yet
  };
  uint64_t patience_ns_ = 0;
  std::vector<Seen> seen_;
};

// Steals per `mode` from the first victim (in random order) that has work,
// into `self`; the actor to run now in `out`. `queues[i]` is worker i's
// queue. With `patience` (nullptr: none, as on the last look before
// parking) a victim whose head moved within the patience is passed over.
// False when every victim was empty, busy with another thief or passed over.
template <class Cell, uint32_t Capacity>
bool steal_from_victims(StealMode mode, const std::vector<StealQueue<Cell*, Capacity>*>& queues,
                        StealQueue<Cell*, Capacity>& self, VictimPicker& picker, PartCounters& counters,
                        Cell*& out, StealPatience* patience = nullptr) noexcept {
  const std::size_t n = queues.size();
  if (mode == StealMode::kOff || n < 2) return false;
  const uint32_t max = mode == StealMode::kOne ? 1 : Capacity;
  const std::size_t start = picker.start(n);
  for (std::size_t i = 0; i < n; ++i) {
    StealQueue<Cell*, Capacity>* victim = queues[(start + i) % n];
    if (victim == &self) continue;
    const uint32_t victim_index = static_cast<uint32_t>((start + i) % n);
    if (patience != nullptr) {
      bool nonempty = false;
      const uint32_t head = victim->head_position(nonempty);
      if (!patience->victim_stalled(victim_index, head, nonempty)) continue;
    }
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
