// counters.hpp: runtime statistics, cheap enough to leave on.
//
// Each worker owns one WorkerCounters and is its only writer; add() is a
// relaxed load + store (no read-modify-write, so no lock prefix on x86).
// Other threads may read a counter at any time (relaxed: a statistic needs no
// ordering), and RuntimeStats sums them. Counters that non-worker threads
// bump (external sends, spawns from main) use SharedCounter (a relaxed RMW).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "core/cache_line.hpp"

namespace actorlab::core {

class RelaxedCounter {
 public:
  void add(uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t get() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class SharedCounter {
 public:
  void add(uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t get() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

#define ACTORLAB_WORKER_COUNTERS(X)                                              \
  X(turns, "actor turns run")                                                    \
  X(messages, "messages dispatched to on_message/on_start")                      \
  X(dead_letters, "messages to dead, stale or unknown ids")                      \
  X(actor_errors, "on_message/on_start calls that threw")                        \
  X(spawns, "actors spawned")                                                    \
  X(spawn_failures, "spawns refused: registry full")                             \
  X(exits, "actors that exited")                                                 \
  X(requeues, "turns that ended with messages left: actor re-queued")           \
  X(kept_running, "turns followed by another turn of the same actor (queue empty)") \
  X(parks, "times a worker parked")                                              \
  X(wakeups, "futex wake-ups sent to parked workers")                            \
  X(injection_pops, "actors taken from a global/injection queue (steal, pinned)") \
  X(lifo_hits, "actors run from the LIFO slot (steal)")                          \
  X(steal_attempts, "steal attempts on a victim's queue (steal)")                \
  X(steals, "successful steals (steal)")                                         \
  X(stolen_actors, "actors moved by steals (steal)")

struct alignas(kCacheLine) WorkerCounters {
#define ACTORLAB_DECLARE_COUNTER(name, doc) RelaxedCounter name;
  ACTORLAB_WORKER_COUNTERS(ACTORLAB_DECLARE_COUNTER)
#undef ACTORLAB_DECLARE_COUNTER
};

// A snapshot, summed over workers and the runtime's shared counters.
struct RuntimeStats {
  std::map<std::string, uint64_t> values;  // counter name -> total
  uint64_t get(const std::string& name) const {
    auto it = values.find(name);
    return it == values.end() ? 0 : it->second;
  }
};

inline void add_worker_counters(RuntimeStats& stats, const WorkerCounters& c) {
#define ACTORLAB_SUM_COUNTER(name, doc) stats.values[#name] += c.name.get();
  ACTORLAB_WORKER_COUNTERS(ACTORLAB_SUM_COUNTER)
#undef ACTORLAB_SUM_COUNTER
}

}  // namespace actorlab::core
