// idle.hpp: the core-io contract for idle workers: IdleDriver, an io backend
// a parked worker may block in instead of its futex (--net=worker; io/
// implements it, sched/idle.hpp's park protocol calls it). How an idle
// worker searches, parks and is woken is scheduling policy and lives in
// sched/idle.hpp; the core only names this interface.
// A busy worker also calls poll() every event_interval turns (core/runtime.hpp
// poll_driver), so the backend is polled while no worker parks, and a
// searching worker up to Config::search_polls times while it spins
// (sched/idle.hpp, search_then_park); poll() takes the same token as a
// parking worker and never blocks.
// Threads: any worker calls try_acquire/block/release/poll (try_acquire admits
// one at a time); interrupt() from any thread.
#pragma once

namespace actorlab::core {

class IdleDriver {
 public:
  virtual ~IdleDriver() = default;
  // Takes the driver to block in it (false: another worker blocks in it,
  // or it is stopping). Held by a poll() (a short, non-blocking round), it
  // waits for that round to end rather than fail: a worker should sleep on
  // its futex only while another worker waits in the backend.
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
  // worker busy starve the sockets.
  virtual bool poll() noexcept = 0;
};

}  // namespace actorlab::core
