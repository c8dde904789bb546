// placement_home.hpp: placement `home` (the `pinned` preset's): every actor
// runs on one worker, its home, kept in the cell's state (HomeCell). The
// home is chosen at spawn (on_spawn): the worker spawn_on names, else by
// --home: `hash` is the slot index modulo threads (two actors spawned
// together land on different workers), `spawner` the spawning worker (spawns
// from off-worker threads fall back to the slot index). No stealing (that
// would unbind actors; sched::validate). One exception, by design of slot
// reuse: a stale message pushed to a freed slot may queue the cell on the
// old home just as a new actor is spawned there; that worker runs one turn
// of it, and after_turn() sends it to its real home.
//
// Per worker: a private FIFO for actors made runnable by the worker itself
// (no atomics at all: only the owner touches it), an inbox of run-queue
// kind RunQueueT (--runqueue) for actors made runnable by any other thread,
// and with --lifo=on a LIFO slot for an actor of this home it just messaged
// (lifo stealable is refused: a thief would run the actor away from home).
// Idle (sched/idle.hpp): each worker has its own park protocol (SoloIdle, a
// group of one), so a push to a home raises that home's queued hint and
// wakes that worker only if it parks, by the same Dekker protocol as every
// placement (without a searching count: nobody else may take the work);
// with --net=worker the parked worker may block in the io driver. No grace
// (the home is the only worker that may take its actors).
// Threads: schedule() from any thread; the rest from the owning worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <vector>

#include "core/config.hpp"
#include "core/counters.hpp"
#include "sched/batch.hpp"
#include "sched/idle.hpp"
#include "sched/lifo.hpp"
#include "sched/part_counters.hpp"
#include "sched/parts.hpp"
#include "sched/run_queue.hpp"

namespace actorlab::sched {

// The home worker of a cell, always below the thread count (on_spawn).
// Atomic (relaxed): a stale push may read it while a spawn reusing the slot
// writes it; either value routes the cell to a worker that dead-letters the
// stale message (or sends it home).
struct HomeCell {
  std::atomic<uint16_t> home_worker{0};
};

template <template <class> class RunQueueT>
struct HomePlacement {
  static constexpr const char* kName = "home";
  // Traits (sched::traits_of): an actor runs on its home (one foreign turn: see above).
  static constexpr bool kActorsBound = true;
  static constexpr bool moves_under_load(const Parts&) noexcept { return false; }
  using CellState = CellStateOf<HomeCell, typename RunQueueCellState<RunQueueT>::type>;

  template <class Cell>
  class Policy {
    using Inbox = RunQueueT<Cell>;

   public:
    struct WorkerState {
      int index = 0;
      int weight = -1;
      uint32_t tick = 0;
      std::deque<Cell*> private_fifo;  // owner only
      typename Inbox::Handle inbox_handle;
      LifoSlot<Cell> lifo;
      PartCounters counters;
      Inbox inbox;       // any thread pushes, owner pops
      // This worker's park protocol; its queued hint counts the inbox. Its
      // own line: pushers RMW it, the owner polls it (pinned kept it apart too).
      alignas(core::kCacheLine) SoloIdle idle;
    };

    explicit Policy(const core::Config& config)
        : parts_(Parts::from(config)),
          idle_params_{parts_.idle.mode, parts_.idle.spin, /*grace_ns=*/0},
          workers_(static_cast<std::size_t>(config.threads), nullptr) {}

    void init_worker(WorkerState& w, int index) {
      w.index = index;
      w.weight = skynet_weight(index);
      w.inbox_handle = w.inbox.make_handle();
      workers_[static_cast<std::size_t>(index)] = &w;
    }

    // Before the start message is pushed: the actor's home.
    void on_spawn(Cell& cell, uint32_t slot_index, WorkerState* spawner, int hint) noexcept {
      uint32_t home = slot_index;
      if (hint >= 0)
        home = static_cast<uint32_t>(hint);
      else if (parts_.home == HomeRule::kSpawner && spawner != nullptr)
        home = static_cast<uint32_t>(spawner->index);
      cell.sched_.home_worker.store(static_cast<uint16_t>(home % workers_.size()), std::memory_order_relaxed);
    }

    void schedule(Cell* cell, WorkerState* w) noexcept {
      WorkerState& home = home_of(cell);
      if (&home == w) {
        if (parts_.lifo == LifoMode::kOn) {  // runs when this turn ends; nobody to wake
          Cell* displaced = w->lifo.put(LifoMode::kOn, cell);
          if (displaced != nullptr) w->private_fifo.push_back(displaced);
          return;
        }
        w->private_fifo.push_back(cell);  // runs after this turn; nobody to wake
        return;
      }
      home.inbox.push(nullptr, cell);
      if (home.idle.on_push() && w) count_wakeup(w->counters);
    }

    Cell* next(WorkerState& w, const std::atomic<bool>& stopping) noexcept {
      Cell* cell = nullptr;
      if (parts_.lifo == LifoMode::kOn && (cell = take_lifo(w)) != nullptr) return cell;
      if (pop(w, cell)) return cell;
      w.idle.begin_search();
      return search_then_park<Cell>(
          w.idle, w.counters, stopping, idle_params_, /*searching=*/true,
          [&](Cell*& c, bool) noexcept { return pop(w, c); }, [&]() noexcept { return w.inbox.maybe_nonempty(); });
    }

    Cell* after_turn(WorkerState& w, Cell* cell) noexcept {
      // A cell can reach a foreign worker only through a stale message that
      // raced with the slot's reuse (its home changed); send it home.
      if (&home_of(cell) != &w) {
        schedule(cell, &w);
        return nullptr;
      }
      if (!(parts_.lifo == LifoMode::kOn && w.lifo.occupied()) && w.private_fifo.empty() &&
          w.idle.queued_hint() <= 0)
        return cell;
      w.private_fifo.push_back(cell);
      return nullptr;
    }

    std::size_t batch(WorkerState& w, Cell& cell) noexcept { return batch_for(parts_.batch, w.weight, cell); }
    bool batch_reads_length() const noexcept {
      return sched::batch_reads_length(parts_.batch, static_cast<int>(workers_.size()));
    }

    void stop() noexcept {
      for (WorkerState* w : workers_) w->idle.wake_all();
    }
    // --net=worker: each worker's park protocol may block in the driver
    // (it admits one worker at a time; the others sleep on their futex).
    void attach_idle_driver(core::IdleDriver* driver) noexcept {
      for (WorkerState* w : workers_) w->idle.attach_driver(driver);
    }

    // --trace: the worker's ring, for the parts' events (sched/part_counters.hpp).
    void attach_trace(WorkerState& w, core::TraceRing* ring) noexcept { w.counters.trace = ring; }

    void add_stats(core::RuntimeStats& stats) const {
      for (const WorkerState* w : workers_) add_part_counters(stats, w->counters);
    }

   private:
    // No modulo here: on_spawn() stores only values below threads, and a
    // 64-bit division on every schedule was 15% of schedule() in fanout.
    WorkerState& home_of(Cell* cell) noexcept {
      return *workers_[cell->sched_.home_worker.load(std::memory_order_relaxed)];
    }

    // The slot's actor, unless it ran kLifoStreakLimit times in a row while
    // other work waits (then it goes to the back of the private FIFO).
    Cell* take_lifo(WorkerState& w) noexcept {
      Cell* cell = w.lifo.take(LifoMode::kOn);
      if (cell == nullptr) {
        w.lifo.streak_ = 0;
        return nullptr;
      }
      if (w.lifo.streak_ < kLifoStreakLimit || (w.private_fifo.empty() && w.idle.queued_hint() <= 0)) {
        ++w.lifo.streak_;
        count_lifo_hit(w.counters);
        return cell;
      }
      w.lifo.streak_ = 0;
      w.private_fifo.push_back(cell);
      return nullptr;
    }

    // The inbox and the private FIFO take turns when both have work, so
    // neither starves the other.
    bool pop(WorkerState& w, Cell*& cell) noexcept {
      const bool inbox_first = (++w.tick & 1u) != 0 || w.private_fifo.empty();
      if (inbox_first && w.idle.queued_hint() > 0 && w.inbox.try_pop(&w.inbox_handle, cell)) {
        w.idle.on_pop();
        count_injection_pop(w.counters);
        return true;
      }
      if (w.private_fifo.empty()) {
        if (inbox_first || w.idle.queued_hint() <= 0 || !w.inbox.try_pop(&w.inbox_handle, cell)) return false;
        w.idle.on_pop();
        count_injection_pop(w.counters);
        return true;
      }
      cell = w.private_fifo.front();
      w.private_fifo.pop_front();
      return true;
    }

    const Parts parts_;
    const IdleParams idle_params_;
    std::vector<WorkerState*> workers_;
  };
};

}  // namespace actorlab::sched
