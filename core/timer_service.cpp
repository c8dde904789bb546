// timer_service.cpp: see timer_service.hpp for the protocol and its orderings.
#include "core/timer_service.hpp"

#include <sys/prctl.h>

#include <algorithm>
#include <climits>
#include <ctime>
#include <new>

#include "core/affinity.hpp"
#include "core/alloc.hpp"
#include "core/futex.hpp"
#include "perf/clock.hpp"

namespace actorlab::core {

namespace {

// Delays beyond this (146 years) are clamped, so tick arithmetic cannot overflow.
constexpr uint64_t kMaxDelayNs = uint64_t{1} << 62;
// Spins on a push caught between its exchange and its link before yielding.
constexpr unsigned kInFlightSpins = 64;

}  // namespace

// A request in the queue: the link first, so an MpscLink* is the node's address.
struct TimerService::RequestNode {
  MpscLink link;
  Request req;
};

TimerService::TimerService(RuntimeBase& runtime, std::chrono::nanoseconds tick)
    : runtime_(runtime),
      tick_ns_(tick.count() > 0 ? static_cast<uint64_t>(tick.count()) : 1),
      epoch_ns_(perf::now_ns()) {}

TimerService::~TimerService() {
  stop();
  discard_everything();  // a push that raced with stop()
}

uint64_t TimerService::current_tick() const noexcept { return (perf::now_ns() - epoch_ns_) / tick_ns_; }
uint64_t TimerService::tick_instant_ns(uint64_t tick) const noexcept { return epoch_ns_ + tick * tick_ns_; }

bool TimerService::add(ActorId owner, std::chrono::nanoseconds delay, uint32_t session) noexcept {
  // seq_cst: pairs with the seq_cst store in stop(); a late add either sees
  // the flag or is drained by stop()/the destructor.
  if (!accepting_.load(std::memory_order_seq_cst)) {
    refused_.add();
    return false;
  }
  const uint64_t delay_ns =
      delay.count() <= 0 ? 0 : std::min(static_cast<uint64_t>(delay.count()), kMaxDelayNs);
  // Rounded UP to a tick: the thread fires tick t only once the clock reached
  // epoch + t * tick >= now + delay, so never early.
  const uint64_t due_since_epoch = perf::now_ns() - epoch_ns_ + delay_ns;
  const uint64_t deadline = (due_since_epoch + tick_ns_ - 1) / tick_ns_;
  if (!push(owner, session, deadline, /*is_cancel=*/false)) return false;
  maybe_wake(deadline);
  return true;
}

void TimerService::cancel(ActorId owner, uint32_t session) noexcept {
  // No wake-up: the thread applies it at its next wake-up, before firing.
  push(owner, session, 0, /*is_cancel=*/true);
}

bool TimerService::push(ActorId owner, uint32_t session, uint64_t deadline, bool is_cancel) noexcept {
  void* mem = allocate(sizeof(RequestNode));
  if (mem == nullptr) {
    refused_.add();
    return false;
  }
  auto* node = new (mem) RequestNode{{}, Request{deadline, owner.value(), session, is_cancel}};
  // The push's seq_cst exchange is this side of the Dekker pair with the
  // thread's seq_cst store of sleep_until_ and requests_.maybe_nonempty()
  // (timer_service.hpp); its release store publishes the request.
  requests_.push(&node->link);
  return true;
}

void TimerService::maybe_wake(uint64_t deadline) noexcept {
  // seq_cst: the other half of the Dekker pair (see push()).
  uint64_t sleeping_until = sleep_until_.load(std::memory_order_seq_cst);
  while (deadline < sleeping_until) {
    // One waker per sleep: the CAS winner wakes, the others see 0 (awake).
    if (sleep_until_.compare_exchange_weak(sleeping_until, 0, std::memory_order_seq_cst)) {
      wake();
      return;
    }
  }
}

void TimerService::wake() noexcept {
  // seq_cst: ordered after the CAS or stop flag it announces, so the thread's
  // ticket (read before its sleep_until_ store) cannot already include it.
  wake_word_.fetch_add(1, std::memory_order_seq_cst);
  futex_wake(wake_word_);
}

bool TimerService::pop(Request& out) noexcept {
  MpscLink* link = requests_.pop();
  if (link == nullptr) return false;
  auto* node = reinterpret_cast<RequestNode*>(link);
  out = node->req;
  node->~RequestNode();
  deallocate(node);
  return true;
}

bool TimerService::drain() noexcept {
  bool any = false;
  Request r;
  for (unsigned spins = 0;;) {
    if (pop(r)) {
      apply(r);
      any = true;
      spins = 0;
      continue;
    }
    if (!requests_.maybe_nonempty()) return any;
    // A push is between its exchange and its link: a few instructions,
    // unless that thread was preempted there.
    if (++spins < kInFlightSpins)
      cpu_relax();
    else
      std::this_thread::yield();
  }
}

void TimerService::apply(const Request& r) noexcept {
  const ActorId owner = ActorId::from_value(r.owner);
  if (r.is_cancel) {
    cancelled_.add(wheel_.cancel(owner, r.session));
    return;
  }
  if (r.deadline <= wheel_.now()) {  // its tick was already processed: due now
    added_.add();
    deliver(TimerEntry{owner, r.session, r.deadline});
    return;
  }
  try {
    wheel_.add(owner, r.session, r.deadline);
    added_.add();
  } catch (const std::bad_alloc&) {
    refused_.add();  // the pool or the index could not grow: the timeout is lost, and counted
  }
}

void TimerService::deliver(const TimerEntry& entry) noexcept {
  const uint64_t now = perf::now_ns();
  const uint64_t due = tick_instant_ns(entry.deadline);
  const uint64_t late = now > due ? now - due : 0;
  late_sum_ns_.add(late);
  if (late > late_max_ns_.load(std::memory_order_relaxed)) late_max_ns_.store(late, std::memory_order_relaxed);
  Message msg;
  msg.type = kTypeTimeout;
  msg.session = entry.session;
  msg.source = kNoActor;
  msg.target = entry.owner;
  if (runtime_.send(std::move(msg), -1) == SendStatus::kOk)
    fired_.add();
  else
    dropped_.add();  // the owner exited (kDeadTarget), or the runtime stopped
}

void TimerService::attach_trace(TraceSession& session) { trace_ = session.add_track("timer"); }

void TimerService::start() {
  thread_ = std::jthread([this] {
    name_current_thread("al-timer");
    run();
  });
}

void TimerService::run() noexcept {
  // Timer slack: the kernel may delay a timed wait by up to this much to
  // batch wake-ups (50 us by default); the timer thread wants its tick.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  for (;;) {
    drain();
    // acquire: pairs with the seq_cst store in stop().
    if (stopping_.load(std::memory_order_acquire)) return;
    const uint64_t traced_from = trace_ != nullptr ? TraceRing::now() : 0;
    const uint64_t fired_before = trace_ != nullptr ? fired_.get() : 0;
    wheel_.advance_to(current_tick(), [this](const TimerEntry& e) { deliver(e); });
    if (trace_ != nullptr && fired_.get() != fired_before)  // a tick that fired nothing is not an event
      trace_->span(TraceKind::kTimerBatch, traced_from, 0, static_cast<uint32_t>(fired_.get() - fired_before));
    pending_.store(wheel_.size(), std::memory_order_relaxed);
    sleep_until_next();
  }
}

void TimerService::sleep_until_next() noexcept {
  const uint64_t next = wheel_.next_event_tick();
  // seq_cst: read before announcing the sleep, so a wake() that follows a
  // producer's look at our announcement changes the word (see wake()).
  const uint32_t ticket = wake_word_.load(std::memory_order_seq_cst);
  sleep_until_.store(next, std::memory_order_seq_cst);  // Dekker with maybe_wake()
  const bool due = next != TimerWheel::kNoEvent && current_tick() >= next;
  if (due || requests_.maybe_nonempty() || stopping_.load(std::memory_order_seq_cst)) {
    sleep_until_.store(0, std::memory_order_seq_cst);
    return;
  }
  timespec until{};
  timespec* timeout = nullptr;
  if (next != TimerWheel::kNoEvent) {
    const uint64_t at = tick_instant_ns(next);
    until.tv_sec = static_cast<time_t>(at / 1'000'000'000);
    until.tv_nsec = static_cast<long>(at % 1'000'000'000);
    timeout = &until;
  }
  // Absolute CLOCK_MONOTONIC deadline (the steady clock's), any bit.
  futex_wait_until(wake_word_, ticket, timeout);
  sleep_until_.store(0, std::memory_order_seq_cst);  // awake: producers need not wake us
  wakeups_.add();
}

void TimerService::stop() noexcept {
  if (stopped_.exchange(true, std::memory_order_acq_rel)) return;
  accepting_.store(false, std::memory_order_seq_cst);  // pairs with the load in add()
  stopping_.store(true, std::memory_order_seq_cst);   // pairs with the loads in run()/sleep_until_next()
  wake();
  if (thread_.joinable()) thread_.join();
  discard_everything();
}

void TimerService::discard_everything() noexcept {
  Request r;
  for (;;) {
    if (pop(r)) {
      if (!r.is_cancel) {
        added_.add();
        discarded_.add();
      }
      continue;
    }
    if (!requests_.maybe_nonempty()) break;
    std::this_thread::yield();  // a racing push is linking its node
  }
  discarded_.add(wheel_.size());
  try {
    wheel_.clear();
  } catch (const std::bad_alloc&) {
    // The wheel keeps its memory until destruction.
  }
  pending_.store(0, std::memory_order_relaxed);
}

void TimerService::add_stats(RuntimeStats& stats) const {
  const uint64_t fired = fired_.get();
  const uint64_t dropped = dropped_.get();
  stats.values["timers_added"] += added_.get();
  stats.values["timers_fired"] += fired;
  stats.values["timers_cancelled"] += cancelled_.get();
  stats.values["timers_dropped"] += dropped;
  stats.values["timers_refused"] += refused_.get();
  stats.values["timers_discarded_at_stop"] += discarded_.get();
  stats.values["timers_pending"] += pending_.load(std::memory_order_relaxed);
  stats.values["timer_wakeups"] += wakeups_.get();
  stats.values["timer_late_max_ns"] = std::max(stats.values["timer_late_max_ns"],
                                               late_max_ns_.load(std::memory_order_relaxed));
  stats.values["timer_late_mean_ns"] = fired + dropped == 0 ? 0 : late_sum_ns_.get() / (fired + dropped);
}

}  // namespace actorlab::core
