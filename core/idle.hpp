// idle.hpp: who sleeps, who searches, and who wakes whom (invariant 5).
//
// IdleWorkers keeps three counts for a policy:
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
// A busy worker also calls IdleDriver::poll() every event_interval turns
// (core/runtime.hpp poll_driver), so the backend is polled while no worker
// parks; poll() takes the same token as a parking worker and never blocks.
// Threads: any thread pushes; workers search and park.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdint>

#include "core/cache_line.hpp"
#include "core/counters.hpp"
#include "perf/clock.hpp"

namespace actorlab::core {

// An io backend a parked worker may block in instead of the futex
// (--net=worker; io/ implements it). Threads: any worker; try_acquire
// admits one at a time; interrupt() from any thread.
class IdleDriver {
 public:
  virtual ~IdleDriver() = default;
  // Takes the driver (false: another worker has it, or it is stopping).
  virtual bool try_acquire() noexcept = 0;
  // Holder only: waits in the backend for io events or interrupt(), handles
  // what came (events become messages: sends that may wake workers).
  virtual void block() noexcept = 0;
  virtual void release() noexcept = 0;
  // Any thread: makes a block() in progress (or the next one) return.
  virtual void interrupt() noexcept = 0;
  // A busy worker between turns (every Config::event_interval turns, Tokio's
  // event_interval): takes the driver if it is free, handles what is ready
  // without blocking (events become messages), releases it. False if the
  // driver was taken (another worker drives it: nothing to do) or stopping.
  // Without it a worker polls only when it parks, so actors that keep every
  // worker busy starve the sockets (issue 12 item 5).
  virtual bool poll() noexcept = 0;
};

class IdleWorkers {
 public:
  // After a runnable actor was pushed. True if it woke a worker.
  bool on_push() noexcept {
    queued_.fetch_add(1, std::memory_order_seq_cst);
    return wake_if_nobody_searching();
  }
  void on_pop() noexcept { queued_.fetch_sub(1, std::memory_order_relaxed); }
  int64_t queued_hint() const noexcept { return queued_.load(std::memory_order_relaxed); }
  // The truth for the final check before parking (seq_cst: see above).
  bool queued_now() const noexcept { return queued_.load(std::memory_order_seq_cst) > 0; }

  void begin_search() noexcept { searching_.fetch_add(1, std::memory_order_seq_cst); }
  // Joins the searchers only while fewer than `limit` search (Tokio lets at
  // most half the workers search, so a burst of wake-ups does not turn every
  // worker into a thief). On false the caller parks without searching,
  // through prepare_park(/*searching=*/false).
  bool try_begin_search(uint32_t limit) noexcept {
    uint32_t n = searching_.load(std::memory_order_seq_cst);
    while (n < limit)
      if (searching_.compare_exchange_weak(n, n + 1, std::memory_order_seq_cst)) return true;
    return false;
  }
  // The searcher found work. If it was the last searcher and more work
  // waits, another worker should start searching. True if it woke one.
  bool end_search_found_work() noexcept {
    if (searching_.fetch_sub(1, std::memory_order_seq_cst) == 1 && queued_hint() > 0)
      return wake_if_nobody_searching();
    return false;
  }

  // Park protocol: ticket = prepare_park(); final look for work; then either
  // cancel_park() (found some, or stopping) or park(ticket). Both return the
  // worker to the searching state.
  uint32_t prepare_park(bool searching = true) noexcept {
    const uint32_t ticket = epoch_.load(std::memory_order_acquire);  // pairs with the release bump in wake
    if (searching) searching_.fetch_sub(1, std::memory_order_seq_cst);
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
      syscall(SYS_futex, reinterpret_cast<uint32_t*>(&epoch_), FUTEX_WAIT_PRIVATE, ticket, nullptr,
              nullptr, 0);
    }
    leave_park();
  }

  void wake_all() noexcept {
    epoch_.fetch_add(1, std::memory_order_seq_cst);
    wake_parked_driver();
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&epoch_), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr,
            nullptr, 0);
  }

  // Before the workers start (not thread-safe): parked workers may block in
  // `driver` (--net=worker). The driver must outlive the workers' last park.
  void attach_driver(IdleDriver* driver) noexcept { driver_ = driver; }

 private:
  void leave_park() noexcept {
    searching_.fetch_add(1, std::memory_order_seq_cst);
    sleepers_.fetch_sub(1, std::memory_order_seq_cst);
    waking_.store(false, std::memory_order_seq_cst);
  }

  bool wake_if_nobody_searching() noexcept {
    if (searching_.load(std::memory_order_seq_cst) != 0) return false;
    if (sleepers_.load(std::memory_order_seq_cst) == 0) return false;
    if (waking_.exchange(true, std::memory_order_seq_cst)) return false;  // one wake in flight
    // seq_cst: the driver's Dekker pair (header); also the release that pairs
    // with the acquire in prepare_park.
    epoch_.fetch_add(1, std::memory_order_seq_cst);
    wake_parked_driver();
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&epoch_), FUTEX_WAKE_PRIVATE, 1, nullptr,
            nullptr, 0);
    return true;
  }

  void wake_parked_driver() noexcept {
    if (driver_ != nullptr && driver_parked_.load(std::memory_order_seq_cst)) driver_->interrupt();
  }

  IdleDriver* driver_ = nullptr;  // set before the workers start, then read-only
  alignas(kCacheLine) std::atomic<int64_t> queued_{0};
  alignas(kCacheLine) std::atomic<uint32_t> searching_{0};
  std::atomic<uint32_t> sleepers_{0};
  std::atomic<bool> waking_{false};
  alignas(kCacheLine) std::atomic<uint32_t> epoch_{0};  // the futex word
  std::atomic<bool> driver_parked_{false};  // a worker blocks (or is about to) in the driver
};

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

// The search-then-park loop of a worker that found no work, shared by the
// policies that use IdleWorkers. `searching`: the caller joined the
// searchers (begin_search or a successful try_begin_search). take(cell)
// looks everywhere the policy lets this worker take work from (its queues,
// victims); maybe_nonempty() is the policy's non-linearizable queue's own
// "is anything in flight" check. While searching, it takes work when
// SearchGrace allows, polls `spin` times, then parks after a final take()
// and a final look at the seq_cst hint and maybe_nonempty() (invariant 5).
// Returns the cell to run, or nullptr once `stopping` is set.
template <class Cell, class Take, class MaybeNonempty>
Cell* search_then_park(IdleWorkers& idle, WorkerCounters& counters, const std::atomic<bool>& stopping,
                       uint32_t spin, uint32_t grace_ns, bool searching, Take&& take,
                       MaybeNonempty&& maybe_nonempty) noexcept {
  Cell* cell = nullptr;
  auto found = [&](Cell* c) noexcept {
    if (idle.end_search_found_work() && c != nullptr) counters.wakeups.add();
    return c;
  };
  uint32_t polls = 0;
  SearchGrace grace(grace_ns);
  for (;;) {
    if (searching && grace.should_take(idle.queued_hint()) && take(cell)) return found(cell);
    // acquire: pairs with the release store in Runtime::stop().
    if (stopping.load(std::memory_order_acquire)) return searching ? found(nullptr) : nullptr;
    if (searching && ++polls < spin) {
      cpu_relax();
      continue;
    }
    const uint32_t ticket = idle.prepare_park(searching);
    if (take(cell)) {  // the final look everywhere this worker may take work from
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
    idle.park(ticket);
    polls = 0;
    grace.reset();
  }
}

}  // namespace actorlab::core
