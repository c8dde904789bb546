// policy_pinned.hpp: the `pinned` policy: every actor runs on one worker,
// its home (cell->home_worker_: the slot index modulo threads, or chosen at
// spawn with spawn_on). No stealing. One exception, by design of slot
// reuse: a stale message pushed to a freed slot may queue the cell on the
// old home just as a new actor is spawned there; that worker runs one turn
// of it, and after_turn() sends it to its real home.
//
// Per worker: a private FIFO for actors made runnable by the worker itself
// (no atomics at all: only the owner touches it), and a moodycamel queue for
// actors made runnable by any other thread (MPSC use of an MPMC queue).
// Idle: the worker polls its own `queued_` word `spin` times, then parks on
// its own futex after a final look (invariant 5). A push from another thread
// raises the home's queued_ (seq_cst) and wakes the home only if it sleeps.
// Dekker as in core/idle.hpp: pusher: queued_++ ; load sleeping_.
// parker: sleeping_ = true ; load queued_. One of them sees the other.
// Threads: schedule() from any thread; the rest from the owning worker.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "core/cache_line.hpp"
#include "core/config.hpp"
#include "core/counters.hpp"
#include "sched/policy_skynet.hpp"
#include "sched/run_queue_lockfree.hpp"

namespace actorlab::sched {

template <class Cell>
class PinnedPolicy {
  using Inbox = LockfreeRunQueue<Cell>;

 public:
  struct WorkerState {
    int index = 0;
    int weight = -1;
    std::deque<Cell*> private_fifo;  // owner only
    uint32_t tick = 0;
    core::WorkerCounters* counters = nullptr;
    Inbox inbox;                     // any thread pushes, owner pops
    typename Inbox::Handle inbox_handle;
    alignas(core::kCacheLine) std::atomic<int64_t> queued{0};  // actors in inbox (hint, seq_cst when it matters)
    std::atomic<bool> sleeping{false};
    alignas(core::kCacheLine) std::atomic<uint32_t> epoch{0};  // futex word
  };

  explicit PinnedPolicy(const core::Config& config)
      : batch_(config.batch), spin_(config.spin), workers_(static_cast<std::size_t>(config.threads), nullptr) {}

  void init_worker(WorkerState& w, int index, core::WorkerCounters& counters) {
    w.index = index;
    w.weight = kSkynetWeights[static_cast<std::size_t>(index) % kSkynetWeights.size()];
    w.counters = &counters;
    w.inbox_handle = w.inbox.make_handle();
    workers_[static_cast<std::size_t>(index)] = &w;
  }

  void schedule(Cell* cell, WorkerState* w) noexcept {
    WorkerState& home = *workers_[cell->home_worker_.load(std::memory_order_relaxed) % workers_.size()];
    if (&home == w) {
      w->private_fifo.push_back(cell);  // runs after this turn; nobody to wake
      return;
    }
    home.inbox.push(nullptr, cell);
    home.queued.fetch_add(1, std::memory_order_seq_cst);  // Dekker with park(): see the header
    if (home.sleeping.load(std::memory_order_seq_cst)) {
      home.epoch.fetch_add(1, std::memory_order_release);  // pairs with the acquire in next()
      syscall(SYS_futex, reinterpret_cast<uint32_t*>(&home.epoch), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
      if (w) w->counters->wakeups.add();
    }
  }

  Cell* next(WorkerState& w, const std::atomic<bool>& stopping) noexcept {
    Cell* cell = nullptr;
    uint32_t polls = 0;
    for (;;) {
      if (pop(w, cell)) return cell;
      // acquire: pairs with the release store in Runtime::stop().
      if (stopping.load(std::memory_order_acquire)) return nullptr;
      if (++polls < spin_) {
        core::cpu_relax();
        continue;
      }
      const uint32_t ticket = w.epoch.load(std::memory_order_acquire);
      w.sleeping.store(true, std::memory_order_seq_cst);
      if (w.queued.load(std::memory_order_seq_cst) > 0 || w.inbox.maybe_nonempty() ||
          stopping.load(std::memory_order_acquire)) {
        w.sleeping.store(false, std::memory_order_relaxed);
        continue;
      }
      w.counters->parks.add();
      syscall(SYS_futex, reinterpret_cast<uint32_t*>(&w.epoch), FUTEX_WAIT_PRIVATE, ticket, nullptr, nullptr, 0);
      w.sleeping.store(false, std::memory_order_relaxed);
      polls = 0;
    }
  }

  Cell* after_turn(WorkerState& w, Cell* cell) noexcept {
    // A cell can reach a foreign worker only through a stale message that
    // raced with the slot's reuse (its home changed); send it home.
    if (cell->home_worker_.load(std::memory_order_relaxed) % workers_.size() != static_cast<std::size_t>(w.index)) {
      schedule(cell, &w);
      return nullptr;
    }
    if (w.private_fifo.empty() && w.queued.load(std::memory_order_relaxed) <= 0) return cell;
    w.private_fifo.push_back(cell);
    return nullptr;
  }

  std::size_t batch(WorkerState& w, Cell& cell) noexcept { return batch_for(batch_, w.weight, cell); }

  void stop() noexcept {
    for (WorkerState* w : workers_) {
      w->epoch.fetch_add(1, std::memory_order_seq_cst);
      syscall(SYS_futex, reinterpret_cast<uint32_t*>(&w->epoch), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
    }
  }

 private:
  // The inbox and the private FIFO take turns when both have work, so
  // neither starves the other.
  bool pop(WorkerState& w, Cell*& cell) noexcept {
    const bool inbox_first = (++w.tick & 1u) != 0 || w.private_fifo.empty();
    if (inbox_first && w.queued.load(std::memory_order_relaxed) > 0 && w.inbox.try_pop(&w.inbox_handle, cell)) {
      w.queued.fetch_sub(1, std::memory_order_relaxed);
      w.counters->injection_pops.add();
      return true;
    }
    if (w.private_fifo.empty()) {
      if (inbox_first || w.queued.load(std::memory_order_relaxed) <= 0 || !w.inbox.try_pop(&w.inbox_handle, cell))
        return false;
      w.queued.fetch_sub(1, std::memory_order_relaxed);
      w.counters->injection_pops.add();
      return true;
    }
    cell = w.private_fifo.front();
    w.private_fifo.pop_front();
    return true;
  }

  core::BatchKnob batch_;
  uint32_t spin_;
  std::vector<WorkerState*> workers_;
};

}  // namespace actorlab::sched
