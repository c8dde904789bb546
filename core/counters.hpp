// counters.hpp: runtime statistics, cheap enough to leave on.
//
// WorkerCounters are what the core's worker loop counts (turns, messages,
// dead letters, spawns, ...); the scheduling parts keep their own counters
// (sched/part_counters.hpp: parks, wake-ups, LIFO hits, steals) and add
// them to the same RuntimeStats, so the core names no policy's statistic.
//
// Each worker owns one WorkerCounters and is its only writer; add() is a
// relaxed load + store (no read-modify-write, so no lock prefix on x86).
// Other threads may read a counter at any time (relaxed: a statistic needs no
// ordering), and RuntimeStats sums them. Counters that non-worker threads
// bump (external sends, spawns from main) use SharedCounter (a relaxed RMW).
// add() is forced inline: GCC -O2 left it out of line in the big runtime
// instances (460 calls in one binary, 4% of fanout's time in the call).
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "core/cache_line.hpp"

namespace actorlab::core {

class RelaxedCounter {
 public:
  [[gnu::always_inline]] void add(uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t get() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class SharedCounter {
 public:
  [[gnu::always_inline]] void add(uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
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
  X(sends_full, "actor sends refused with kFull: the receiver held --mailbox-limit messages")

struct alignas(kCacheLine) WorkerCounters {
#define ACTORLAB_DECLARE_COUNTER(name, doc) RelaxedCounter name;
  ACTORLAB_WORKER_COUNTERS(ACTORLAB_DECLARE_COUNTER)
#undef ACTORLAB_DECLARE_COUNTER
  // Messages run per turn: bucket b counts turns that ran [2^(b-1), 2^b)
  // messages (bucket 0: none, e.g. a dead actor's turn); the last is open.
  static constexpr std::size_t kBatchBuckets = 12;
  RelaxedCounter batch_sizes[kBatchBuckets];
  [[gnu::always_inline]] void record_batch(std::size_t ran) noexcept {
    const std::size_t b = static_cast<std::size_t>(std::bit_width(ran));
    batch_sizes[b < kBatchBuckets ? b : kBatchBuckets - 1].add();
  }
};

// "batch_1", "batch_2_3", ... "batch_1024_up": the name of a batch bucket.
inline std::string batch_bucket_name(std::size_t b) {
  if (b == 0) return "batch_0";
  const std::size_t lo = std::size_t{1} << (b - 1), hi = (std::size_t{1} << b) - 1;
  if (b == WorkerCounters::kBatchBuckets - 1) return "batch_" + std::to_string(lo) + "_up";
  return lo == hi ? "batch_" + std::to_string(lo) : "batch_" + std::to_string(lo) + "_" + std::to_string(hi);
}

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
  for (std::size_t b = 0; b < WorkerCounters::kBatchBuckets; ++b)
    stats.values[batch_bucket_name(b)] += c.batch_sizes[b].get();
}

}  // namespace actorlab::core
