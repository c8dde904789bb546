// placement_global.hpp: placement `global` (skynet's): one FIFO of runnable
// actors shared by every worker, of run-queue kind RunQueueT (--runqueue).
//
// After a turn that left messages, skynet's dispatch pops the next actor
// first: if there is one, the current actor goes to the back of the queue;
// if the queue is empty, the worker keeps the current actor and saves the
// round trip through the queue. We do the same (after_turn).
// With a LIFO slot (sched/lifo.hpp), an actor a worker makes runnable goes
// to that worker's slot instead and runs when the turn ends; a stealable
// slot may be taken by any searching worker on its last pass.
// Idle (sched/idle.hpp, one IdleWorkers for all workers): a worker out of
// work searches: it polls the queued-actors hint up to `spin` times; a lone
// queued actor is left for grace_ns to the worker that queued it (a
// request/reply pair then stays on one core), two or more are taken at
// once. Then it parks after a final look: try_pop, the seq_cst hint and
// maybe_nonempty(), since one failed moodycamel dequeue proves nothing
// (invariant 5). A push wakes a parked worker only when no worker searches.
// (skynet itself wakes workers only from its timer and socket threads;
// invariant 5 asks that a send wake one.) No steal part: one FIFO has no
// victims (sched::validate).
// Threads: schedule() from any thread; the rest from worker threads.
#pragma once

#include <atomic>
#include <cstddef>
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

template <template <class> class RunQueueT>
struct GlobalPlacement {
  static constexpr const char* kName = "global";
  // Traits (sched::traits_of): any worker may run any actor, and under load
  // actors move between workers through the shared FIFO.
  static constexpr bool kActorsBound = false;
  static constexpr bool moves_under_load(const Parts&) noexcept { return true; }
  using CellState = CellStateOf<typename RunQueueCellState<RunQueueT>::type>;

  template <class Cell>
  class Policy {
    using Queue = RunQueueT<Cell>;

   public:
    struct WorkerState {
      typename Queue::Handle handle;
      int weight = -1;
      LifoSlot<Cell> lifo;
      PartCounters counters;
    };

    explicit Policy(const core::Config& config)
        : parts_(Parts::from(config)), workers_(static_cast<std::size_t>(config.threads), nullptr) {}

    // Before any thread starts (thread creation publishes workers_).
    void init_worker(WorkerState& w, int index) {
      w.handle = queue_.make_handle();
      w.weight = skynet_weight(index);
      workers_[static_cast<std::size_t>(index)] = &w;
    }

    void schedule(Cell* cell, WorkerState* w) noexcept {
      if (parts_.lifo != LifoMode::kOff && w != nullptr) {
        put_lifo(*w, cell);
        return;
      }
      queue_.push(w ? &w->handle : nullptr, cell);
      if (idle_.on_push() && w) count_wakeup(w->counters);
    }

    Cell* next(WorkerState& w, const std::atomic<bool>& stopping) noexcept {
      Cell* cell = nullptr;
      if (parts_.lifo != LifoMode::kOff && (cell = take_lifo(w)) != nullptr) return cell;
      if (idle_.queued_hint() > 0 && pop(w, cell)) return cell;
      idle_.begin_search();
      return search_then_park<Cell>(
          idle_, w.counters, stopping, parts_.idle, /*searching=*/true,
          [&](Cell*& c, bool last_pass) noexcept { return pop(w, c) || (last_pass && steal_lifo(w, c)); },
          [&]() noexcept { return queue_.maybe_nonempty(); });
    }

    Cell* after_turn(WorkerState& w, Cell* cell) noexcept {
      if (parts_.lifo != LifoMode::kOff && w.lifo.occupied()) {  // the slot's actor runs next
        push(w, cell);
        return nullptr;
      }
      Cell* next = nullptr;
      if (idle_.queued_hint() <= 0 || !pop(w, next)) return cell;  // queue empty: keep running this actor
      push(w, cell);
      return next;
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
    void push(WorkerState& w, Cell* cell) noexcept {
      queue_.push(&w.handle, cell);
      if (idle_.on_push()) count_wakeup(w.counters);
    }

    bool pop(WorkerState& w, Cell*& cell) noexcept {
      if (!queue_.try_pop(&w.handle, cell)) return false;
      idle_.on_pop();
      return true;
    }

    // A stealable slot counts as queued work (sched/lifo.hpp): the new
    // occupant is announced; a displaced one moves to the queue with its count.
    void put_lifo(WorkerState& w, Cell* cell) noexcept {
      Cell* displaced = w.lifo.put(parts_.lifo, cell);
      if (displaced != nullptr) {
        if (parts_.lifo == LifoMode::kStealable) idle_.on_pop();
        push(w, displaced);
      }
      if (parts_.lifo == LifoMode::kStealable && idle_.on_push()) count_wakeup(w.counters);
    }

    // The slot's actor, unless it ran kLifoStreakLimit times in a row while
    // other work waits (then it goes to the back of the queue).
    Cell* take_lifo(WorkerState& w) noexcept {
      Cell* cell = w.lifo.take(parts_.lifo);
      if (cell == nullptr) {
        w.lifo.streak_ = 0;
        return nullptr;
      }
      if (parts_.lifo == LifoMode::kStealable) idle_.on_pop();
      if (w.lifo.streak_ < kLifoStreakLimit || idle_.queued_hint() <= 0) {
        ++w.lifo.streak_;
        count_lifo_hit(w.counters);
        return cell;
      }
      w.lifo.streak_ = 0;
      push(w, cell);
      return nullptr;
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

    const Parts parts_;
    std::vector<WorkerState*> workers_;
    Queue queue_;
    IdleWorkers idle_;
  };
};

}  // namespace actorlab::sched
