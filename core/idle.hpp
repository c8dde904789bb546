// idle.hpp: the core-io contract for idle workers: IdleDriver, an io backend
// a parked worker may block in instead of its futex (--net=worker; io/
// implements it, sched/idle.hpp's park protocol calls it). How an idle
// worker searches, parks and is woken is scheduling policy and lives in
// sched/idle.hpp; the core only names this interface.
// Threads: any worker calls try_acquire/block/release (try_acquire admits
// one at a time); interrupt() from any thread.
#pragma once

namespace actorlab::core {

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
};

}  // namespace actorlab::core
