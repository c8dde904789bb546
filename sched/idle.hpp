// idle.hpp: the idle part: who sleeps, who searches, and who wakes whom
// (invariant 5). The one park/wake implementation of the runtime, used by
// every placement: global and local share one IdleWorkers among all
// workers; home gives each worker its own (a push to a home wakes exactly
// that worker, the same protocol with one member). --idle picks how a
// worker out of work waits: `spin` polls and never parks, `park` parks after
// one final look, `spin-then-park` polls --spin times first (the default).
//
// IdleWorkers keeps three counts for a group of workers:
//   queued_    runnable actors in the policy's queues (a hint: raised after a
//              push, lowered after a pop), so searching workers poll one
//              word instead of the queues themselves;
//   searching_ workers spinning in search of work;
//   sleepers_  workers in the park protocol (announced or asleep).
// The wake rule follows Go's and Tokio's schedulers: a push wakes a parked
// worker only when nobody is searching (a searcher will find the work), and
// a searcher that finds work while being the last one wakes another if more
// work waits, so parallelism ramps up one worker at a time. waking_ throttles
// wake-ups to one in flight: a futex wake-up takes tens of microseconds here,
// and without it every push during that time would issue another FUTEX_WAKE.
//
// Why no wake-up is lost (Dekker, all seq_cst, so one total order S):
//   pusher:  queued_++ (RMW);  load searching_;  load sleepers_;  wake
//   parker:  searching_--;  sleepers_++ (RMW);  load queued_;  futex_wait
// If the pusher reads searching_ before the parker's decrement, or sleepers_
// before its increment, then its queued_++ precedes the parker's load of
// queued_ in S, so the parker sees the work and does not sleep. Otherwise
// the pusher sees the sleeper and wakes it; the futex's ticket (epoch_, read
// before announcing) makes a wake that lands before futex_wait return at once.
// waking_ is cleared by every thread that enters, cancels or leaves the park
// protocol: a set flag therefore always has a thread that will clear it
// after the wake it announced, so it never suppresses a needed wake.
//
// With an IdleDriver attached (--net=worker), one parked worker at a time
// blocks in the io backend instead of the futex (Tokio's driver style). The
// proof above only needs "a wake after the ticket makes the sleeper return",
// which the futex gives; for the driver it is a second Dekker pair (seq_cst):
//   waker:   epoch_++ (RMW);        load driver_parked_;  interrupt if set
//   parker:  driver_parked_ = true; load epoch_;          block if == ticket
// Either the parker sees the new epoch and does not block, or the waker sees
// the flag and interrupts the backend (an eventfd write, which stays
// readable, so an interrupt that lands before the block still ends it).
// --trace: a park is recorded as a span on the worker's ring (search_then_park).
// Threads: any thread pushes; workers search and park.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "core/cache_line.hpp"
#include "core/futex.hpp"
#include "core/idle.hpp"
#include "sched/part_counters.hpp"
#include "sched/parts.hpp"
#include "perf/clock.hpp"

namespace actorlab::sched {

using core::IdleDriver;

// Solo: a group of one worker (placement home). Nobody else may take its
// work, so it keeps no searching count (a searcher suppresses wake-ups only
// for others): the protocol is then pinned's original one, one Dekker pair
// pusher: queued_++ ; load sleepers_ / parker: sleepers_++ ; load queued_,
// and every field shares one cache line (the pusher touches one line, as
// before the parts were split).
template <bool Solo>
class BasicIdleWorkers {
  // Global groups keep the fields apart by writer (pushers, searchers,
  // wakers); a solo group packs them.
  static constexpr std::size_t kApart = Solo ? alignof(std::atomic<int64_t>) : core::kCacheLine;

 public:
  // After n runnable actors were pushed. True if it woke a worker.
  bool on_push(int64_t n = 1) noexcept {
    queued_.fetch_add(n, std::memory_order_seq_cst);
    return wake_if_nobody_searching();
  }
  void on_pop(int64_t n = 1) noexcept { queued_.fetch_sub(n, std::memory_order_relaxed); }
  int64_t queued_hint() const noexcept { return queued_.load(std::memory_order_relaxed); }
  // The truth for the final check before parking (seq_cst: see above).
  bool queued_now() const noexcept { return queued_.load(std::memory_order_seq_cst) > 0; }

  void begin_search() noexcept {
    if constexpr (!Solo) searching_.fetch_add(1, std::memory_order_seq_cst);
  }
  // Joins the searchers only while fewer than `limit` search (Tokio lets at
  // most half the workers search, so a burst of wake-ups does not turn every
  // worker into a thief). On false the caller parks without searching,
  // through prepare_park(/*searching=*/false).
  bool try_begin_search(uint32_t limit) noexcept {
    if constexpr (Solo) return true;
    uint32_t n = searching_.load(std::memory_order_seq_cst);
    while (n < limit)
      if (searching_.compare_exchange_weak(n, n + 1, std::memory_order_seq_cst)) return true;
    return false;
  }
  // The searcher found work. If it was the last searcher and more work
  // waits, another worker should start searching. True if it woke one.
  bool end_search_found_work() noexcept {
    if constexpr (Solo) return false;  // nobody else could take the rest
    if (searching_.fetch_sub(1, std::memory_order_seq_cst) == 1 && queued_hint() > 0)
      return wake_if_nobody_searching();
    return false;
  }

  // Park protocol: ticket = prepare_park(); final look for work; then either
  // cancel_park() (found some, or stopping) or park(ticket). Both return the
  // worker to the searching state.
  uint32_t prepare_park(bool searching = true) noexcept {
    const uint32_t ticket = epoch_.load(std::memory_order_acquire);  // pairs with the release bump in wake
    if (!Solo && searching) searching_.fetch_sub(1, std::memory_order_seq_cst);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    waking_.store(false, std::memory_order_seq_cst);
    return ticket;
  }
  void cancel_park() noexcept { leave_park(); }
  // Sleeps until a wake after `ticket`: in the io driver if one is attached
  // and free, else on the futex.
  void park(uint32_t ticket) noexcept {
    IdleDriver* driver = driver_;
    if (driver != nullptr && driver->try_acquire()) {
      driver_parked_.store(true, std::memory_order_seq_cst);  // Dekker with wake_parked_driver()
      if (epoch_.load(std::memory_order_seq_cst) == ticket) driver->block();
      driver_parked_.store(false, std::memory_order_seq_cst);
      driver->release();
    } else {
      core::futex_wait(epoch_, ticket);
    }
    leave_park();
  }

  // A searching worker's look at the io driver (--net=worker), without
  // blocking: what is ready becomes messages now instead of after the spin.
  // False without a driver, or when another worker holds it.
  bool poll_driver() noexcept { return driver_ != nullptr && driver_->poll(); }

  void wake_all() noexcept {
    epoch_.fetch_add(1, std::memory_order_seq_cst);
    wake_parked_driver();
    core::futex_wake_all(epoch_);
  }

  // Before the workers start (not thread-safe): parked workers may block in
  // `driver` (--net=worker). The driver must outlive the workers' last park.
  void attach_driver(IdleDriver* driver) noexcept { driver_ = driver; }

 private:
  void leave_park() noexcept {
    if constexpr (!Solo) searching_.fetch_add(1, std::memory_order_seq_cst);
    sleepers_.fetch_sub(1, std::memory_order_seq_cst);
    waking_.store(false, std::memory_order_seq_cst);
  }

  bool wake_if_nobody_searching() noexcept {
    if (!Solo && searching_.load(std::memory_order_seq_cst) != 0) return false;
    if (sleepers_.load(std::memory_order_seq_cst) == 0) return false;
    if (waking_.exchange(true, std::memory_order_seq_cst)) return false;  // one wake in flight
    // seq_cst: the driver's Dekker pair (header); also the release that pairs
    // with the acquire in prepare_park.
    epoch_.fetch_add(1, std::memory_order_seq_cst);
    wake_parked_driver();
    core::futex_wake(epoch_);
    return true;
  }

  void wake_parked_driver() noexcept {
    if (driver_ != nullptr && driver_parked_.load(std::memory_order_seq_cst)) driver_->interrupt();
  }

  IdleDriver* driver_ = nullptr;  // set before the workers start, then read-only
  alignas(kApart) std::atomic<int64_t> queued_{0};
  alignas(kApart) std::atomic<uint32_t> searching_{0};  // unused when Solo
  std::atomic<uint32_t> sleepers_{0};
  std::atomic<bool> waking_{false};
  alignas(kApart) std::atomic<uint32_t> epoch_{0};  // the futex word
  std::atomic<bool> driver_parked_{false};  // a worker blocks (or is about to) in the driver
};

using IdleWorkers = BasicIdleWorkers<false>;  // placements global, local: one group of all workers
using SoloIdle = BasicIdleWorkers<true>;      // placement home: one group per worker

// The grace rule of one search: a lone queued actor (hint == 1) is left for
// grace_ns to the worker that queued it, which usually takes it within
// ~100 ns, so a request/reply pair stays on one core; two or more queued
// actors are taken at once. Owned by the searching worker.
class SearchGrace {
 public:
  explicit SearchGrace(uint32_t grace_ns) noexcept : grace_ns_(grace_ns) {}

  // Should the searcher try to take work now, given the queued hint?
  bool should_take(int64_t queued) noexcept {
    if (queued <= 0) {
      since_ns_ = 0;
      return false;
    }
    if (queued > 1 || grace_ns_ == 0 || at_once_) return true;
    const uint64_t now = perf::now_ns();
    if (since_ns_ == 0) {
      since_ns_ = now;
      return false;
    }
    return now - since_ns_ >= grace_ns_;
  }
  // The final look before parking saw work: the owner had its chance.
  void take_at_once() noexcept { at_once_ = true; }
  void reset() noexcept {
    since_ns_ = 0;
    at_once_ = false;
  }

 private:
  uint32_t grace_ns_;
  bool at_once_ = false;
  uint64_t since_ns_ = 0;
};

// While searching with an io driver attached (--net=worker) and
// --search-polls > 0, the worker looks at the driver without blocking after
// kDriverPollFirst spin polls (~1-2 us here) and then at each doubling (128,
// 256, ...), up to --search-polls times: events that land during the spin
// are taken then, not after the whole spin (1000 polls: tens of us) and the
// park. Doubling bounds it to log2(spin / 64) syscalls per search.
inline constexpr uint32_t kDriverPollFirst = 64;

// The search-then-park loop of a worker that found no work, shared by every
// placement. `searching`: the caller joined the searchers (begin_search or
// a successful try_begin_search). take(cell, last_pass) looks everywhere
// the composition lets this worker take work from (its queues, the
// injection queue, victims' queues); with last_pass it may also take
// another worker's stealable LIFO slot (sched/lifo.hpp: a thief's last
// pass, Go's runnext rule). maybe_nonempty() is the non-linearizable
// queue's own "is anything in flight" check. While searching, it takes work
// when SearchGrace allows and polls `spin` times (with an io driver attached,
// also the driver, up to --search-polls times: see kDriverPollFirst); then,
// under idle park and spin-then-park, it parks after a final take() and a
// final look at the seq_cst hint and maybe_nonempty() (invariant 5); under
// idle spin it makes the last pass and polls again, never parking.
// Returns the cell to run, or nullptr once `stopping` is set.
template <class Cell, class Idle, class Take, class MaybeNonempty>
Cell* search_then_park(Idle& idle, PartCounters& counters, const std::atomic<bool>& stopping,
                       const IdleParams& params, bool searching, Take&& take,
                       MaybeNonempty&& maybe_nonempty) noexcept {
  Cell* cell = nullptr;
  auto found = [&](Cell* c) noexcept {
    if (idle.end_search_found_work() && c != nullptr) count_wakeup(counters);
    return c;
  };
  const uint32_t spin = params.mode == IdleMode::kPark ? 0 : params.spin;
  uint32_t polls = 0;
  uint32_t driver_polls = 0;  // this search's (--search-polls)
  SearchGrace grace(params.grace_ns);
  for (;;) {
    if (searching && grace.should_take(idle.queued_hint()) && take(cell, false)) return found(cell);
    // acquire: pairs with the release store in Runtime::stop().
    if (stopping.load(std::memory_order_acquire)) return searching ? found(nullptr) : nullptr;
    if (searching && ++polls < spin) {
      if (driver_polls < params.driver_polls && polls >= kDriverPollFirst && (polls & (polls - 1)) == 0) {
        ++driver_polls;
        idle.poll_driver();
      }
      core::cpu_relax();
      continue;
    }
    if (params.mode == IdleMode::kSpin) {
      // Never parks: every worker searches (above any search limit), and
      // the end of each pass is a last pass.
      if (!searching) {
        idle.begin_search();
        searching = true;
      }
      polls = 0;
      if (take(cell, true)) return found(cell);
      core::cpu_relax();
      continue;
    }
    const uint32_t ticket = idle.prepare_park(searching);
    if (take(cell, true)) {  // the final look everywhere this worker may take work from
      idle.cancel_park();
      return found(cell);
    }
    searching = true;  // cancel_park() and park() both return the worker to searching
    if (idle.queued_now() || maybe_nonempty() || stopping.load(std::memory_order_acquire)) {
      idle.cancel_park();
      grace.take_at_once();
      continue;
    }
    counters.parks.add();
    const uint64_t parked_at = counters.trace != nullptr ? core::TraceRing::now() : 0;  // --trace only
    idle.park(ticket);
    if (counters.trace != nullptr) [[unlikely]]
      counters.trace->span(core::TraceKind::kPark, parked_at);
    polls = 0;
    driver_polls = 0;
    grace.reset();
  }
}

}  // namespace actorlab::sched
