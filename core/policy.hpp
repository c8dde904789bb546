// policy.hpp: the Scheduler concept: what a composition of scheduling parts
// gives the worker loop (core/runtime.hpp). The parts live in sched/; the
// core names none of them.
//
// A scheduler family S (a placement with its run-queue kind, e.g.
// sched::GlobalPlacement<LockfreeRunQueue>) supplies:
//   S::CellState        the per-cell state its parts keep in every cell
//                       (ActorCell::sched_; may be empty);
//   S::Policy<Cell>     the scheduler itself, built from the Config.
// A policy decides which actor a worker runs next, how many messages per
// turn, where a newly active actor goes, and how an idle worker waits. It is
// called per turn, never per message. Contract (invariants 4 and 5):
//   init_worker(w, i)  before any thread starts: worker i's state.
//   schedule(c, w)     c just became runnable (its mailbox left idle): put it
//                      in exactly one queue or slot, and wake a parked worker
//                      if it can take it. w: the calling worker's state,
//                      nullptr off-worker.
//   next(w, stopping)  the next cell for worker w; spins, then parks only after
//                      a final look everywhere it may take work from. nullptr
//                      only once `stopping` is set.
//   after_turn(w, c)   c still has messages after its turn: queue it (or keep
//                      it) and return the cell w runs next (nullptr: call next).
//   batch(w, c)        messages c may run this turn (>= 1); reads c's queue
//                      length (size_hint) only if it needs it: that read touches
//                      the producers' cache line.
//   batch_reads_length() whether batch() ever reads a length (if not, the
//                      runtime tells mailboxes not to count pushes).
//   stop()             wake every parked worker (stopping is already set).
//   add_stats(s)       adds the parts' counters to s (any thread).
// Optional: on_spawn(c, slot, w, hint) (before the start message is pushed:
// where the actor lives; hint >= 0 from spawn_on), attach_idle_driver(d),
// attach_trace(w, ring) (--trace: before start, the ring w's parts record into).
#pragma once

#include <atomic>
#include <concepts>
#include <cstddef>

#include "core/config.hpp"
#include "core/counters.hpp"

namespace actorlab::core {

template <class P, class Cell>
concept SchedulerPolicy =
    std::constructible_from<P, const Config&> &&
    requires(P p, const P& cp, typename P::WorkerState& w, Cell* c, const std::atomic<bool>& stopping,
             int index, RuntimeStats& stats) {
      typename P::WorkerState;
      { p.init_worker(w, index) };
      { p.schedule(c, &w) } noexcept;
      { p.next(w, stopping) } noexcept -> std::same_as<Cell*>;
      { p.after_turn(w, c) } noexcept -> std::same_as<Cell*>;
      { p.batch(w, *c) } noexcept -> std::convertible_to<std::size_t>;
      { cp.batch_reads_length() } noexcept -> std::same_as<bool>;
      { p.stop() } noexcept;
      { cp.add_stats(stats) };
    };

}  // namespace actorlab::core
