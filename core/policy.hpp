// policy.hpp: the SchedulerPolicy concept: what a scheduling policy gives the
// worker loop (core/runtime.hpp). Implementations live in sched/.
//
// A policy decides which actor a worker runs next, how many messages per
// turn, where a newly active actor goes, and how an idle worker waits. It is
// called per turn, never per message. Contract (invariants 4 and 5):
//   schedule(c, w)     c just became runnable (its mailbox left idle): put it
//                      in exactly one queue, and wake a parked worker if any.
//                      w is the calling worker's state, nullptr off-worker.
//   next(w, stopping)  the next cell for worker w; spins, then parks only after
//                      a final look everywhere it may take work from. nullptr
//                      only once `stopping` is set.
//   after_turn(w, c)   c still has messages after its turn: queue it (or keep
//                      it) and return the cell w runs next (nullptr: call next).
//   batch(w, c)        messages c may run this turn (>= 1); reads c's queue
//                      length (size_hint) only if it needs it: that read touches
//                      the producers' cache line.
//   stop()             wake every parked worker (stopping is already set).
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
    requires(P p, typename P::WorkerState& w, Cell* c, const std::atomic<bool>& stopping,
             int index, WorkerCounters& counters) {
      typename P::WorkerState;
      { p.init_worker(w, index, counters) };
      { p.schedule(c, &w) } noexcept;
      { p.next(w, stopping) } noexcept -> std::same_as<Cell*>;
      { p.after_turn(w, c) } noexcept -> std::same_as<Cell*>;
      { p.batch(w, *c) } noexcept -> std::convertible_to<std::size_t>;
      { p.stop() } noexcept;
    };

}  // namespace actorlab::core
