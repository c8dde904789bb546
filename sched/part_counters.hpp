// part_counters.hpp: the statistics the scheduling parts keep, per worker:
// the idle part's parks and wake-ups, the placements' injection pops, the
// LIFO slot's hits and thefts, the steal part's attempts and takes. The core
// (core/counters.hpp) counts only what its worker loop does; a placement
// owns one PartCounters per worker and adds them to RuntimeStats under these
// names (add_stats), every composition all of them, so every result carries
// the same counter names whether a part is in use or not (0 then).
// With --trace, PartCounters::trace is the worker's ring (core/trace.hpp)
// and the count_* helpers below record the event beside counting it; off,
// it is null: one predictable branch on a line the counter just touched.
// Threads: the owning worker writes (RelaxedCounter: load + store, no RMW);
// any thread may read.
#pragma once

#include <cstddef>

#include "core/cache_line.hpp"
#include "core/counters.hpp"
#include "core/trace.hpp"

namespace actorlab::sched {

#define ACTORLAB_PART_COUNTERS(X)                                                          \
  X(parks, "times a worker parked (idle)")                                                 \
  X(wakeups, "futex wake-ups sent to parked workers by a worker (idle)")                   \
  X(injection_pops, "actors taken from an injection queue or home inbox (placement local, home)") \
  X(lifo_hits, "actors run from the worker's own LIFO slot (lifo on, stealable)")          \
  X(lifo_steals, "actors a thief took from another worker's LIFO slot (lifo stealable)")   \
  X(steal_attempts, "steal attempts on a victim's queue (steal one, half)")                \
  X(steals, "successful steals (steal one, half)")                                         \
  X(stolen_actors, "actors moved by steals (steal one, half)")

struct alignas(core::kCacheLine) PartCounters {
#define ACTORLAB_DECLARE_PART_COUNTER(name, doc) core::RelaxedCounter name;
  ACTORLAB_PART_COUNTERS(ACTORLAB_DECLARE_PART_COUNTER)
#undef ACTORLAB_DECLARE_PART_COUNTER
  core::TraceRing* trace = nullptr;  // --trace: set before the workers start (attach_trace), then read-only
};

// --trace: records an instant on the worker's ring, if it has one.
inline void trace_instant(PartCounters& c, core::TraceKind kind, uint32_t a = 0, uint32_t b = 0) noexcept {
  if (c.trace != nullptr) [[unlikely]]
    c.trace->instant(kind, a, b);
}
inline void count_wakeup(PartCounters& c) noexcept {
  c.wakeups.add();
  trace_instant(c, core::TraceKind::kWake);
}
// A LIFO hit and an injection pop produce the next turn's actor: they mark
// that turn instead of taking an event and a clock read (core/trace.hpp).
inline void count_lifo_hit(PartCounters& c) noexcept {
  c.lifo_hits.add();
  if (c.trace != nullptr) [[unlikely]]
    c.trace->mark_next_turn(core::kMarkLifoHit);
}
inline void count_lifo_steal(PartCounters& c, uint32_t victim) noexcept {
  c.lifo_steals.add();
  trace_instant(c, core::TraceKind::kLifoSteal, victim);
}
inline void count_injection_pop(PartCounters& c, std::size_t actors = 1) noexcept {
  c.injection_pops.add(actors);
  if (c.trace != nullptr) [[unlikely]]
    c.trace->mark_next_turn(core::kMarkInjectionPop);
}

inline void add_part_counters(core::RuntimeStats& stats, const PartCounters& c) {
#define ACTORLAB_SUM_PART_COUNTER(name, doc) stats.values[#name] += c.name.get();
  ACTORLAB_PART_COUNTERS(ACTORLAB_SUM_PART_COUNTER)
#undef ACTORLAB_SUM_PART_COUNTER
}

}  // namespace actorlab::sched
