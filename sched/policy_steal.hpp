// policy_steal.hpp: the `steal` policy: work stealing with a LIFO slot.
//
// Per worker: a bounded StealQueue (sched/steal_queue.hpp) and a LIFO slot.
// Where a newly runnable actor goes:
//   - scheduled by a worker during a turn: into that worker's LIFO slot, so
//     it runs next on the same core (a request/reply pair stays on one
//     core); an actor already in the slot moves to the local queue;
//   - scheduled from outside the workers (main, net, timer threads): into
//     the global injection queue (moodycamel);
//   - a full local queue overflows into the injection queue.
// Which actor a worker runs next: the LIFO slot, unless it was used
// kLifoStreakLimit times in a row while other work waits; every
// kInjectionInterval turns the injection queue first (so it cannot starve);
// then the local queue, the injection queue, and then it searches: steals
// half of a random victim's queue. At most half the workers (at least one)
// search at once; the others park at once. A searching worker leaves a lone
// queued actor to its owner for grace_ns (as in the skynet policy).
// The LIFO slot is not stealable and not counted as queued work: it is run
// as soon as the current turn ends. A turn that never ends holds it (as in
// Tokio); actor turns are bounded by --batch.
// Parking and waking: core/idle.hpp (a push wakes a parked worker only when
// nobody searches; the final check before parking looks at the local queue,
// the injection queue and every victim).
// Threads: schedule() from any thread; the rest from the worker that owns
// the WorkerState. Victims' queues are read by thieves (see StealQueue).
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "core/config.hpp"
#include "core/counters.hpp"
#include "core/idle.hpp"
#include "sched/policy_skynet.hpp"
#include "sched/run_queue_lockfree.hpp"
#include "sched/steal_queue.hpp"

namespace actorlab::sched {

template <class Cell>
class StealPolicy {
  using Injection = LockfreeRunQueue<Cell>;

 public:
  static constexpr uint32_t kLifoStreakLimit = 3;     // Tokio's bound; guessed to fit here too
  static constexpr uint32_t kInjectionInterval = 61;  // Go's and Tokio's global-queue interval

  struct WorkerState {
    int index = 0;
    int weight = -1;
    StealQueue<Cell*> local;
    Cell* lifo = nullptr;
    uint32_t lifo_streak = 0;
    uint32_t tick = 0;
    uint64_t rng = 0;
    typename Injection::Handle injection_handle;
    core::WorkerCounters* counters = nullptr;
  };

  explicit StealPolicy(const core::Config& config)
      : batch_(config.batch),
        spin_(config.spin),
        grace_ns_(config.grace_ns),
        search_limit_(config.threads > 1 ? static_cast<uint32_t>(config.threads) / 2 : 1),
        workers_(static_cast<std::size_t>(config.threads), nullptr) {}

  // Called for every worker before any thread starts (thread creation
  // publishes workers_ to the workers).
  void init_worker(WorkerState& w, int index, core::WorkerCounters& counters) {
    w.index = index;
    w.weight = kSkynetWeights[static_cast<std::size_t>(index) % kSkynetWeights.size()];
    w.rng = 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(index + 1);
    w.injection_handle = injection_.make_handle();
    w.counters = &counters;
    workers_[static_cast<std::size_t>(index)] = &w;
  }

  void schedule(Cell* cell, WorkerState* w) noexcept {
    if (w == nullptr) {
      injection_.push(nullptr, cell);
      idle_.on_push();
      return;
    }
    Cell* displaced = w->lifo;
    w->lifo = cell;
    if (displaced != nullptr) push_local(*w, displaced);
  }

  Cell* next(WorkerState& w, const std::atomic<bool>& stopping) noexcept {
    Cell* cell = nullptr;
    ++w.tick;
    if (w.lifo != nullptr) {
      cell = w.lifo;
      w.lifo = nullptr;
      if (w.lifo_streak < kLifoStreakLimit || !other_work_waits(w)) {
        ++w.lifo_streak;
        w.counters->lifo_hits.add();
        return cell;
      }
      push_local(w, cell);  // others wait: the slot's actor goes to the back
    }
    w.lifo_streak = 0;
    if (w.tick % kInjectionInterval == 0 && pop_injection(w, cell)) return cell;
    if (pop_local(w, cell) || pop_injection(w, cell)) return cell;
    return search(w, stopping);
  }

  Cell* after_turn(WorkerState& w, Cell* cell) noexcept {
    if (w.lifo == nullptr && !other_work_waits(w)) return cell;  // nothing else: keep running it
    push_local(w, cell);
    return nullptr;
  }

  std::size_t batch(WorkerState& w, Cell& cell) noexcept { return batch_for(batch_, w.weight, cell); }

  void stop() noexcept { idle_.wake_all(); }
  // --net=worker: parked workers may block in the io driver (core/idle.hpp).
  void attach_idle_driver(core::IdleDriver* driver) noexcept { idle_.attach_driver(driver); }

 private:
  bool other_work_waits(WorkerState& w) const noexcept {
    return w.local.len() != 0 || idle_.queued_hint() > 0;
  }

  void push_local(WorkerState& w, Cell* cell) noexcept {
    if (!w.local.push(cell)) injection_.push(&w.injection_handle, cell);  // overflow
    if (idle_.on_push()) w.counters->wakeups.add();
  }

  bool pop_local(WorkerState& w, Cell*& cell) noexcept {
    if (!w.local.pop(cell)) return false;
    idle_.on_pop();
    return true;
  }

  bool pop_injection(WorkerState& w, Cell*& cell) noexcept {
    if (!injection_.try_pop(&w.injection_handle, cell)) return false;
    idle_.on_pop();
    w.counters->injection_pops.add();
    return true;
  }

  bool steal(WorkerState& w, Cell*& cell) noexcept {
    const std::size_t n = workers_.size();
    if (n < 2) return false;
    w.rng ^= w.rng << 13;
    w.rng ^= w.rng >> 7;
    w.rng ^= w.rng << 17;
    const std::size_t start = static_cast<std::size_t>(w.rng % n);
    for (std::size_t i = 0; i < n; ++i) {
      WorkerState* victim = workers_[(start + i) % n];
      if (victim == &w) continue;
      w.counters->steal_attempts.add();
      const uint32_t before = w.local.len();
      if (victim->local.steal_into(w.local, cell)) {
        idle_.on_pop();
        w.counters->steals.add();
        w.counters->stolen_actors.add(1 + w.local.len() - before);
        return true;
      }
    }
    return false;
  }

  Cell* search(WorkerState& w, const std::atomic<bool>& stopping) noexcept {
    return core::search_then_park<Cell>(
        idle_, *w.counters, stopping, spin_, grace_ns_, idle_.try_begin_search(search_limit_),
        [&](Cell*& c) noexcept { return pop_local(w, c) || pop_injection(w, c) || steal(w, c); },
        [&]() noexcept { return injection_.maybe_nonempty(); });
  }

  core::BatchKnob batch_;
  uint32_t spin_;
  uint32_t grace_ns_;
  uint32_t search_limit_;
  std::vector<WorkerState*> workers_;
  Injection injection_;
  core::IdleWorkers idle_;
};

}  // namespace actorlab::sched
