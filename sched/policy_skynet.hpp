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
// Idle workers poll the queue `spin` times, then park (core/parking.hpp)
// after a final look: one try_pop plus maybe_nonempty(), since one failed
// moodycamel dequeue does not prove the queue empty (invariant 5). Any push
// wakes one parked worker if some worker sleeps (skynet wakes only from its
// timer and socket threads; invariant 5 asks that a send wake one).
// Threads: schedule() from any thread; the rest from worker threads.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>

#include "core/config.hpp"
#include "core/counters.hpp"
#include "core/parking.hpp"

namespace actorlab::sched {

// skynet_start.c's weight table, worker i uses entry i % 32.
inline constexpr std::array<int, 32> kSkynetWeights = {
    -1, -1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
    2,  2,  2,  2,  2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3};

// Messages per turn for a batch knob, a worker's weight and a queue length.
inline std::size_t batch_for(const core::BatchKnob& knob, int weight, std::size_t queued) noexcept {
  switch (knob.kind) {
    case core::BatchKnob::Kind::kFixed: return knob.n;
    case core::BatchKnob::Kind::kAll: return queued > 0 ? queued : 1;
    case core::BatchKnob::Kind::kWeights: break;
  }
  if (weight < 0) return 1;
  const std::size_t n = queued >> weight;
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

    explicit Policy(const core::Config& config) : batch_(config.batch), spin_(config.spin) {}

    void init_worker(WorkerState& w, int index, core::WorkerCounters& counters) {
      w.handle = queue_.make_handle();
      w.weight = kSkynetWeights[static_cast<std::size_t>(index) % kSkynetWeights.size()];
      w.counters = &counters;
    }

    void schedule(Cell* cell, WorkerState* w) noexcept {
      queue_.push(w ? &w->handle : nullptr, cell);
      if (parking_.notify_one() && w) w->counters->wakeups.add();
    }

    Cell* next(WorkerState& w, const std::atomic<bool>& stopping) noexcept {
      Cell* cell = nullptr;
      uint32_t polls = 0;
      for (;;) {
        if (queue_.try_pop(&w.handle, cell)) return cell;
        if (stopping.load(std::memory_order_acquire)) return nullptr;  // pairs with release in Runtime::stop
        if (polls < spin_) {
          ++polls;
          core::cpu_relax();
          continue;
        }
        const uint32_t ticket = parking_.prepare_park();
        if (queue_.try_pop(&w.handle, cell)) {
          parking_.cancel_park();
          return cell;
        }
        if (queue_.maybe_nonempty() || stopping.load(std::memory_order_acquire)) {
          parking_.cancel_park();
          continue;
        }
        w.counters->parks.add();
        parking_.park(ticket);
        polls = 0;
      }
    }

    Cell* after_turn(WorkerState& w, Cell* cell) noexcept {
      Cell* next = nullptr;
      if (!queue_.try_pop(&w.handle, next)) return cell;  // queue empty: keep running this actor
      queue_.push(&w.handle, cell);
      if (parking_.notify_one()) w.counters->wakeups.add();
      return next;
    }

    std::size_t batch(WorkerState& w, std::size_t queued) noexcept {
      return batch_for(batch_, w.weight, queued);
    }

    void stop() noexcept { parking_.notify_all(); }

   private:
    core::BatchKnob batch_;
    uint32_t spin_;
    Queue queue_;
    core::Parking parking_;
  };
};

}  // namespace actorlab::sched
