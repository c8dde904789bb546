// actor_cell.hpp: one registry slot: a mailbox plus the actor living in it.
//
// Cells are never freed while the runtime runs; a slot is reused by later
// actors with the next generation (wrapping 2047 -> 1 behind the registry's
// quarantine: core/registry.hpp). Protocol of the ids (invariant 1):
//   owner_id_ (in the mailbox's producer line, atomic): the live actor's id,
//     0 when the slot is free. spawn stores it (release) after actor_;
//     retire stores 0. Senders read it (acquire) to refuse dead targets early.
//   live_id_ (consumer-owned): the id whose start (a message, or folded:
//     start_id_) this cell has dispatched and which has not exited.
//     dispatch() compares each message's target to it; any other target is
//     a dead letter. So a message that raced with an exit, or lands after
//     the slot was reused, never reaches the wrong actor.
//   actor_: written by spawn before owner_id_'s release; read by the worker
//     only after it dispatched the matching start, whose push/pop or, when
//     folded, whose schedule (release/acquire) orders it.
//   start_id_ (consumer-owned): the id of a start folded into the cell
//     (a kind with try_activate(), core/mailbox_lockfree.hpp): spawn wins
//     the idle mailbox's activation without a message, writes the id here
//     and schedules the cell, whose next turn runs on_start before any pop
//     (Runtime::run_folded_start). Written only by the activation holder;
//     the run queue's hand-off (release/acquire) orders it for the worker.
//     0: no start pending (the start came as a message, or ran).
//   generation_: written by retire before the index enters the free list and
//     read by spawn after taking it out: the free list orders them.
//   queued_: --mailbox-limit only (else never touched): messages pushed and
//     not yet run, a hint. Every push adds one before pushing, the running
//     worker subtracts a turn's count after it; relaxed both ways (a count
//     that lags by a turn only moves the limit by a turn's worth).
//   sched_: the scheduling parts' per-cell state, a type the placement
//     supplies (an intrusive run-queue link, the home worker; empty for
//     most compositions). The core never reads it; its protocol is the
//     part's (sched/placement_*.hpp, sched/run_queue_spinlist.hpp).
// Layout: the cell derives from the mailbox so that these fields sit in the
// tail padding of the mailbox's consumer line (static_assert'ed per kind,
// and sizeof(Cell) <= 2 cache lines in core/runtime.hpp).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "core/actor.hpp"
#include "core/cache_line.hpp"
#include "core/mailbox.hpp"

namespace actorlab::core {

template <Mailbox MB, class SchedState>
struct ActorCell : MB {
  Actor* actor_ = nullptr;
  uint32_t live_id_ = 0;
  uint32_t start_id_ = 0;
  uint16_t generation_ = 1;
  std::atomic<uint32_t> queued_{0};
  [[no_unique_address]] SchedState sched_;

  // Consumer only: the mailbox's length plus a folded start still to run,
  // so a batch rule that reads the length (sched/batch.hpp) counts the
  // start as the message it stands for.
  std::size_t size_hint() noexcept { return MB::size_hint() + (start_id_ != 0 ? 1 : 0); }
};

}  // namespace actorlab::core
