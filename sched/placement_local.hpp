// placement_local.hpp: placement `local` (the `steal` preset's): per worker
// a bounded StealQueue (sched/steal_queue.hpp), plus one injection queue of
// run-queue kind RunQueueT (--runqueue) for actors made runnable off the
// workers (main, net, timer threads) and for a full local queue's overflow
// (its oldest half goes there at once; with stealing on, a worker popping
// the injection queue takes a fair share, at most half a local queue, into
// its own).
// Where a newly runnable actor goes:
//   - scheduled by a worker during a turn: into that worker's LIFO slot
//     (--lifo on, stealable; sched/lifo.hpp), else its local queue: the
//     back, or with --local-push=front the front (it runs next: a spawn
//     tree runs depth first, so few of its actors are alive at once). The
//     slot's displaced actor is newly runnable too and goes the same way;
//     an actor requeued after its turn, or by the slot's streak limit,
//     always goes to the back. While actors wait at the back, the worker
//     pops at most kFrontStreakLimit front-pushed actors in a row; then
//     new ones go to the back until it reaches one from the back
//     (FrontRegion), so the front rule cannot starve the back;
//   - scheduled from outside the workers: into the injection queue.
// Which actor a worker runs next: the LIFO slot (within the streak limit);
// every kInjectionInterval turns the injection queue first (so it cannot
// starve); then the local queue, the injection queue, and then it
// searches: steals from a victim (--steal one, half, after
// --steal-patience during its spin; sched/steal.hpp) and,
// on its last pass with lifo stealable, takes a victim's slot. At most half
// the workers (at least one) search at once; the others park at once. A
// searching worker leaves a lone queued actor to its owner for grace_ns.
// Idle (sched/idle.hpp, one IdleWorkers for all workers): the queued hint
// counts what another worker may take: the injection queue, local queues
// only when stealing is on (with --steal=off an actor in a local queue is
// the owner's, like a lifo=on slot: it waits for the owner's turn to end,
// and waking another worker for it would be useless), and the slot under
// lifo stealable. The final check before parking looks at the local queue,
// the injection queue and every victim it may steal from.
// Threads: schedule() from any thread; the rest from the worker that owns
// the WorkerState. Victims' queues and slots are read by thieves.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include "core/config.hpp"
#include "core/counters.hpp"
#include "sched/batch.hpp"
#include "sched/idle.hpp"
#include "sched/lifo.hpp"
#include "sched/part_counters.hpp"
#include "sched/parts.hpp"
#include "sched/run_queue.hpp"
#include "sched/steal.hpp"
#include "sched/steal_queue.hpp"

namespace actorlab::sched {

template <template <class> class RunQueueT>
struct LocalPlacement {
  static constexpr const char* kName = "local";
  // Traits (sched::traits_of): an actor moves by steals and by wake-ups from
  // other workers; one that never goes idle stays in its worker's queue
  // unless a thief takes it (steal on).
  static constexpr bool kActorsBound = false;
  static constexpr bool moves_under_load(const Parts& parts) noexcept { return parts.steal != StealMode::kOff; }
  using CellState = CellStateOf<typename RunQueueCellState<RunQueueT>::type>;

  template <class Cell>
  class Policy {
    using Injection = RunQueueT<Cell>;
    using Local = StealQueue<Cell*>;

   public:
    static constexpr uint32_t kInjectionInterval = 61;  // Go's and Tokio's global-queue interval
    // A full local queue sends its oldest half to the injection queue; a
    // pop from the injection queue takes at most this many.
    static constexpr uint32_t kOverflowBatch = Local::kCapacity / 2;
    static constexpr uint32_t kInjectionBatch = Local::kCapacity / 2;

    // Guessed, like the LIFO slot's streak limit: long enough that a spawn
    // tree stays depth first, short beside a weights batch of turns.
    static constexpr uint32_t kFrontStreakLimit = 32;

    // --local-push=front's bookkeeping (owner only; StealQueue positions
    // are free-running indices). The actors pushed at the front sit at
    // [head, boundary), those pushed at the back at [boundary, tail).
    struct FrontRegion {
      uint32_t boundary = 0;
      uint32_t streak = 0;  // front pops in a row while the back held actors
    };

    struct WorkerState {
      int weight = -1;
      uint32_t tick = 0;
      VictimPicker victims;
      StealPatience patience;
      typename Injection::Handle injection_handle;
      Local local;
      LifoSlot<Cell> lifo;
      FrontRegion front;
      PartCounters counters;
    };

    explicit Policy(const core::Config& config)
        : parts_(Parts::from(config)),
          count_local_(parts_.steal != StealMode::kOff),
          search_limit_(config.threads > 1 ? static_cast<uint32_t>(config.threads) / 2 : 1),
          workers_(static_cast<std::size_t>(config.threads), nullptr),
          queues_(static_cast<std::size_t>(config.threads), nullptr) {}

    // Called for every worker before any thread starts (thread creation
    // publishes workers_ and queues_ to the workers).
    void init_worker(WorkerState& w, int index) {
      w.weight = skynet_weight(index);
      w.victims.seed(index);
      w.patience.init(workers_.size(), parts_.steal_patience_ns);
      w.injection_handle = injection_.make_handle();
      workers_[static_cast<std::size_t>(index)] = &w;
      queues_[static_cast<std::size_t>(index)] = &w.local;
    }

    void schedule(Cell* cell, WorkerState* w) noexcept {
      if (w == nullptr) {
        injection_.push(nullptr, cell);
        idle_.on_push();
        return;
      }
      if (parts_.lifo != LifoMode::kOff) {
        Cell* displaced = w->lifo.put(parts_.lifo, cell);
        if (parts_.lifo == LifoMode::kStealable) {
          if (displaced != nullptr) idle_.on_pop();  // its count moves to the new occupant
          if (idle_.on_push()) count_wakeup(w->counters);
        }
        if (displaced != nullptr) push_newly_runnable(*w, displaced);
        return;
      }
      push_newly_runnable(*w, cell);
    }

    Cell* next(WorkerState& w, const std::atomic<bool>& stopping) noexcept {
      Cell* cell = nullptr;
      ++w.tick;
      if (parts_.lifo != LifoMode::kOff && (cell = take_lifo(w)) != nullptr) return cell;
      if (w.tick % kInjectionInterval == 0 && pop_injection(w, cell)) return cell;
      if (pop_local(w, cell) || pop_injection(w, cell)) return cell;
      return search(w, stopping);
    }

    Cell* after_turn(WorkerState& w, Cell* cell) noexcept {
      if (!(parts_.lifo != LifoMode::kOff && w.lifo.occupied()) && !other_work_waits(w))
        return cell;  // nothing else: keep running it
      push_local(w, cell);
      return nullptr;
    }

    std::size_t batch(WorkerState& w, Cell& cell) noexcept { return batch_for(parts_.batch, w.weight, cell); }
    bool batch_reads_length() const noexcept {
      return sched::batch_reads_length(parts_.batch, static_cast<int>(workers_.size()));
    }

    void stop() noexcept { idle_.wake_all(); }
    // --net=worker: parked workers may block in the io driver (sched/idle.hpp).
    void attach_idle_driver(core::IdleDriver* driver) noexcept { idle_.attach_driver(driver); }

    // --trace: the worker's ring, for the parts' events (sched/part_counters.hpp).
    void attach_trace(WorkerState& w, core::TraceRing* ring) noexcept { w.counters.trace = ring; }

    void add_stats(core::RuntimeStats& stats) const {
      for (const WorkerState* w : workers_) add_part_counters(stats, w->counters);
    }

   private:
    bool other_work_waits(WorkerState& w) const noexcept {
      return w.local.len() != 0 || idle_.queued_hint() > 0;
    }

    static bool before(uint32_t a, uint32_t b) noexcept { return static_cast<int32_t>(a - b) < 0; }

    // --local-push: the front when asked, within the streak limit, with
    // room and no steal in flight (sched/steal_queue.hpp); else the back.
    void push_newly_runnable(WorkerState& w, Cell* cell) noexcept {
      if (parts_.local_push == LocalPush::kFront && w.front.streak < kFrontStreakLimit) {
        bool nonempty = false;
        const uint32_t head = w.local.head_position(nonempty);
        if (!before(head, w.front.boundary)) w.front.boundary = head;  // no front actor left: restart here
        if (w.local.push_front(cell)) {
          if (count_local_ && idle_.on_push()) count_wakeup(w.counters);
          return;
        }
      }
      push_local(w, cell);
    }

    void push_local(WorkerState& w, Cell* cell) noexcept {
      if (!w.local.push(cell)) {
        overflow(w, cell);
        return;
      }
      if (count_local_ && idle_.on_push()) count_wakeup(w.counters);
    }

    // A full local queue: its oldest half and `cell` go to the injection
    // queue at once, counted with one RMW (Go's runqputslow, Tokio's
    // push_overflow), so a turn that wakes thousands of actors pays the
    // shared count once per kOverflowBatch, not once per actor.
    void overflow(WorkerState& w, Cell* cell) noexcept {
      Cell* moved[kOverflowBatch];
      const uint32_t n = w.local.pop_oldest(moved, kOverflowBatch);
      for (uint32_t i = 0; i < n; ++i) injection_.push(&w.injection_handle, moved[i]);
      injection_.push(&w.injection_handle, cell);
      // The moved ones were counted already when local queues are.
      if (idle_.on_push(count_local_ ? 1 : int64_t{n} + 1)) count_wakeup(w.counters);
    }

    bool pop_local(WorkerState& w, Cell*& cell) noexcept {
      uint32_t position = 0;
      if (!w.local.pop(cell, &position)) return false;
      if (count_local_) idle_.on_pop();
      if (parts_.local_push == LocalPush::kFront) {
        const bool back_waits = w.local.tail_position() != w.front.boundary;
        if (before(position, w.front.boundary) && back_waits) ++w.front.streak;
        else w.front.streak = 0;
      }
      return true;
    }

    // One actor to run and, with stealing on, up to a fair share of the
    // rest into the local queue (Go's globrunqget: the hint / threads + 1,
    // at most kInjectionBatch and the local room), so a backlog there
    // costs one bulk pop per batch instead of one pop per actor, and the
    // others steal from the local queue what this worker cannot run. With
    // stealing off an actor in a local queue is the owner's alone, so a
    // batch would keep it from an idle worker (invariant 5): one at a time.
    bool pop_injection(WorkerState& w, Cell*& cell) noexcept {
      uint32_t want = 1;
      if (count_local_) {
        const int64_t hint = idle_.queued_hint();
        if (hint > 0) want = static_cast<uint32_t>(hint / static_cast<int64_t>(workers_.size())) + 1;
        want = std::min({want, kInjectionBatch, w.local.room() + 1});
      }
      Cell* got[kInjectionBatch];
      const std::size_t n = injection_.try_pop_bulk(&w.injection_handle, got, want);
      if (n == 0) return false;
      cell = got[0];
      for (std::size_t i = 1; i < n; ++i)  // room() said they fit, but never lose one
        if (!w.local.push(got[i])) injection_.push(&w.injection_handle, got[i]);
      // Only `cell` leaves the count: n > 1 only with stealing on, where
      // the local queues are counted too.
      idle_.on_pop();
      count_injection_pop(w.counters, n);
      return true;
    }

    // The slot's actor, unless it ran kLifoStreakLimit times in a row while
    // other work waits (then it goes to the back of the local queue).
    Cell* take_lifo(WorkerState& w) noexcept {
      Cell* cell = w.lifo.take(parts_.lifo);
      if (cell == nullptr) {
        w.lifo.streak_ = 0;
        return nullptr;
      }
      if (parts_.lifo == LifoMode::kStealable) idle_.on_pop();
      if (w.lifo.streak_ < kLifoStreakLimit || !other_work_waits(w)) {
        ++w.lifo.streak_;
        count_lifo_hit(w.counters);
        return cell;
      }
      w.lifo.streak_ = 0;
      push_local(w, cell);  // others wait: the slot's actor goes to the back
      return nullptr;
    }

    bool steal(WorkerState& w, Cell*& cell, bool last_pass) noexcept {
      StealPatience* patience = !last_pass && w.patience.enabled() ? &w.patience : nullptr;
      if (!steal_from_victims(parts_.steal, queues_, w.local, w.victims, w.counters, cell, patience)) return false;
      idle_.on_pop();  // the one taken; the rest stay counted, now in w.local
      return true;
    }

    // A thief's last pass (lifo stealable): another worker's slot.
    bool steal_lifo(WorkerState& w, Cell*& cell) noexcept {
      if (parts_.lifo != LifoMode::kStealable) return false;
      for (std::size_t i = 0; i < workers_.size(); ++i) {
        WorkerState* victim = workers_[i];
        if (victim == &w) continue;
        if ((cell = victim->lifo.steal(parts_.lifo_backoff_ns)) != nullptr) {
          idle_.on_pop();
          count_lifo_steal(w.counters, static_cast<uint32_t>(i));
          return true;
        }
      }
      return false;
    }

    Cell* search(WorkerState& w, const std::atomic<bool>& stopping) noexcept {
      return search_then_park<Cell>(
          idle_, w.counters, stopping, parts_.idle, idle_.try_begin_search(search_limit_),
          [&](Cell*& c, bool last_pass) noexcept {
            return pop_local(w, c) || pop_injection(w, c) || steal(w, c, last_pass) ||
                   (last_pass && steal_lifo(w, c));
          },
          [&]() noexcept { return injection_.maybe_nonempty(); });
    }

    const Parts parts_;
    const bool count_local_;  // local queues hold work thieves may take (steal on)
    const uint32_t search_limit_;
    std::vector<WorkerState*> workers_;
    std::vector<Local*> queues_;
    Injection injection_;
    IdleWorkers idle_;
  };
};

}  // namespace actorlab::sched
