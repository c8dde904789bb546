// policy_skynet.hpp: the `skynet` policy. One global FIFO of runnable
// actors; worker i runs `len >> weight[i % 32]` messages per turn from
// skynet's weight table (-1: one message; 0: all queued; 1: half; 2: a
// quarter; 3: an eighth), or what --batch says instead.
//
// After a turn that left messages, skynet's dispatch pops the next actor
// first: if there is one, the current actor goes to the back of the queue;
// if the queue is empty, the worker keeps the current actor and saves the
// round trip through the queue. We do the same (after_turn).
//
// Idle workers (core/idle.hpp): a worker out of work searches: it polls the
// queued-actors hint up to `spin` times; a lone queued actor is left for
// `grace_ns` to the worker that queued it (a request/reply pair then stays
// on one core), two or more are taken at once. Then it parks after a final
// look: try_pop, the seq_cst hint and maybe_nonempty(), since one failed
// moodycamel dequeue proves nothing (invariant 5). A push wakes a parked
// worker only when no worker searches. (skynet itself wakes workers only
// from its timer and socket threads; invariant 5 asks that a send wake one.)
// Threads: schedule() from any thread; the rest from worker threads.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>

#include "core/config.hpp"
#include "core/counters.hpp"
#include "core/idle.hpp"

namespace actorlab::sched {

// skynet_start.c's weight table, worker i uses entry i % 32.
inline constexpr std::array<int, 32> kSkynetWeights = {
    -1, -1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
    2,  2,  2,  2,  2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3};

// Messages per turn for a batch knob and a worker's weight; asks the cell's
// queue length only when the answer depends on it.
template <class Cell>
std::size_t batch_for(const core::BatchKnob& knob, int weight, Cell& cell) noexcept {
  switch (knob.kind) {
    case core::BatchKnob::Kind::kFixed: return knob.n;
    case core::BatchKnob::Kind::kAll: {
      const std::size_t queued = cell.size_hint();
      return queued > 0 ? queued : 1;
    }
    case core::BatchKnob::Kind::kWeights: break;
  }
  if (weight < 0) return 1;
  const std::size_t n = cell.size_hint() >> weight;
  return n > 0 ? n : 1;
}

template <template <class> class RunQueueT>
struct Skynet {
  template <class Cell>
  class Policy {
    using Queue = RunQueueT<Cell>;

   public:
    struct WorkerState {
      typename Queue::Handle handle;
      int weight = -1;
      core::WorkerCounters* counters = nullptr;
    };

    explicit Policy(const core::Config& config)
        : batch_(config.batch), spin_(config.spin), grace_ns_(config.grace_ns) {}

    void init_worker(WorkerState& w, int index, core::WorkerCounters& counters) {
      w.handle = queue_.make_handle();
      w.weight = kSkynetWeights[static_cast<std::size_t>(index) % kSkynetWeights.size()];
      w.counters = &counters;
    }

    void schedule(Cell* cell, WorkerState* w) noexcept {
      queue_.push(w ? &w->handle : nullptr, cell);
      if (idle_.on_push() && w) w->counters->wakeups.add();
    }

    Cell* next(WorkerState& w, const std::atomic<bool>& stopping) noexcept {
      Cell* cell = nullptr;
      if (idle_.queued_hint() > 0 && pop(w, cell)) return cell;
      idle_.begin_search();
      return core::search_then_park<Cell>(
          idle_, *w.counters, stopping, spin_, grace_ns_, /*searching=*/true,
          [&](Cell*& c) noexcept { return pop(w, c); }, [&]() noexcept { return queue_.maybe_nonempty(); });
    }

    Cell* after_turn(WorkerState& w, Cell* cell) noexcept {
      Cell* next = nullptr;
      if (idle_.queued_hint() <= 0 || !pop(w, next)) return cell;  // queue empty: keep running this actor
      queue_.push(&w.handle, cell);
      if (idle_.on_push()) w.counters->wakeups.add();
      return next;
    }

    std::size_t batch(WorkerState& w, Cell& cell) noexcept { return batch_for(batch_, w.weight, cell); }

    void stop() noexcept { idle_.wake_all(); }
    // --net=worker: parked workers may block in the io driver (core/idle.hpp).
    void attach_idle_driver(core::IdleDriver* driver) noexcept { idle_.attach_driver(driver); }

   private:
    bool pop(WorkerState& w, Cell*& cell) noexcept {
      if (!queue_.try_pop(&w.handle, cell)) return false;
      idle_.on_pop();
      return true;
    }

    core::BatchKnob batch_;
    uint32_t spin_;
    uint32_t grace_ns_;
    Queue queue_;
    core::IdleWorkers idle_;
  };
};

}  // namespace actorlab::sched
