// timer_service.hpp: the timer thread. Implements TimerApi (core/services.hpp):
// any worker adds and cancels timeouts; one thread owns the TimerWheel
// (core/timer_wheel.hpp) and turns due entries into kTypeTimeout messages,
// sent through RuntimeBase::send(msg, -1), the outside-thread path that
// wakes parked workers.
//
// Time: tick t of the wheel is the instant epoch + t * tick (epoch: the
// service's construction). add() reads the steady clock on the caller's
// thread and rounds the due instant UP to a tick, and the thread processes
// tick t only once the clock has reached it, so a timeout never arrives
// before its delay has passed; it is late by up to one tick plus the
// thread's wake-up latency (the thread asks the kernel for a 1 ns timer
// slack instead of the default 50 us).
//
// Requests: add() and cancel() push a request node onto an intrusive MPSC
// queue (core/intrusive_mpsc.hpp: one exchange per push, one allocation per
// request). Its
// order is the order of the exchanges, which respects happens-before, so an
// actor's add and a later cancel from another worker (the actor migrated)
// reach the thread in that order: a cancel never misses the add it follows.
// (moodycamel's queue is FIFO per producer only, and would lose exactly that
// case.) The thread applies requests before it fires anything, so a cancel
// that was queued before the deadline's tick was processed wins.
//
// Sleep and wake-up (Dekker on sleep_until_ and the queue's head, all seq_cst):
//   thread:   ticket = wake_word_; sleep_until_ = next due tick; if
//             requests_.maybe_nonempty(), don't sleep; futex_wait
//             (ticket) until the next tick's instant, or forever if none;
//   producer: push (an exchange); s = sleep_until_; if its deadline <
//             s, CAS sleep_until_ s -> 0 (one waker) and bump + FUTEX_WAKE.
// Either the thread's check sees the push, or the producer's load sees the
// thread's sleep_until_ and wakes it when the new deadline is earlier. Cancels
// never wake the thread: they are applied at its next wake-up, before firing.
// sleep_until_ == 0 means awake (no producer wakes it).
//
// Stop: stop() refuses new adds, wakes the thread and joins it; timers still
// pending and requests still queued are freed and counted.
// Counters (add_stats): timers_added, timers_fired, timers_cancelled,
// timers_dropped (owner dead: the send found no live actor), timers_refused
// (add after stop or out of memory), timers_discarded_at_stop,
// timers_pending, timer_late_max_ns / timer_late_mean_ns (send time minus
// the due tick's instant: the thread's own lateness, on top of rounding up),
// timer_wakeups (times the thread woke up).
// Threads: add/cancel from any thread; start/stop from the engine's owner.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "core/actor.hpp"
#include "core/cache_line.hpp"
#include "core/counters.hpp"
#include "core/intrusive_mpsc.hpp"
#include "core/services.hpp"
#include "core/timer_wheel.hpp"
#include "core/trace.hpp"

namespace actorlab::core {

class TimerService final : public TimerApi, public Service {
 public:
  TimerService(RuntimeBase& runtime, std::chrono::nanoseconds tick);
  ~TimerService() override;
  TimerService(const TimerService&) = delete;
  TimerService& operator=(const TimerService&) = delete;

  bool add(ActorId owner, std::chrono::nanoseconds delay, uint32_t session) noexcept override;
  void cancel(ActorId owner, uint32_t session) noexcept override;

  void start() override;
  void stop() noexcept override;
  void add_stats(RuntimeStats& stats) const override;
  void attach_trace(TraceSession& session) override;  // a "timer" track: its batches of fired timeouts

  std::chrono::nanoseconds tick() const noexcept { return std::chrono::nanoseconds(tick_ns_); }

 private:
  struct Request {
    uint64_t deadline;  // tick; unused by a cancel
    uint32_t owner;
    uint32_t session;
    bool is_cancel;
  };
  struct RequestNode;

  bool push(ActorId owner, uint32_t session, uint64_t deadline, bool is_cancel) noexcept;
  void maybe_wake(uint64_t deadline) noexcept;
  void wake() noexcept;
  void run() noexcept;
  bool drain() noexcept;  // applies every visible request; false if none
  bool pop(Request& out) noexcept;
  void apply(const Request& r) noexcept;
  void deliver(const TimerEntry& entry) noexcept;
  void sleep_until_next() noexcept;
  void discard_everything() noexcept;
  uint64_t current_tick() const noexcept;
  uint64_t tick_instant_ns(uint64_t tick) const noexcept;

  RuntimeBase& runtime_;
  const uint64_t tick_ns_;
  const uint64_t epoch_ns_;

  // Producers push here; the timer thread pops (its own cache lines inside).
  IntrusiveMpscQueue requests_;
  // Every add reads sleep_until_ after its push.
  alignas(kCacheLine) std::atomic<uint64_t> sleep_until_{0};  // tick the thread sleeps until; 0: awake
  std::atomic<bool> accepting_{true};
  SharedCounter refused_;

  // Wake-up line: the futex word and the stop flag.
  alignas(kCacheLine) std::atomic<uint32_t> wake_word_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stopped_{false};

  // Timer thread only (besides the relaxed statistics others read).
  alignas(kCacheLine) TimerWheel wheel_;
  RelaxedCounter added_, fired_, cancelled_, dropped_, discarded_, late_sum_ns_, wakeups_;
  std::atomic<uint64_t> late_max_ns_{0};
  std::atomic<uint64_t> pending_{0};
  TraceRing* trace_ = nullptr;  // --trace: set before start(); the timer thread writes it
  std::jthread thread_;
};

}  // namespace actorlab::core
