// micro_support.hpp: pieces shared by the microbenchmarks in bench/micro/:
// the options main() parses (--pin), the flow window that keeps producers
// from running unboundedly ahead of the consumer, and a spin-then-yield
// backoff.
//
// Threads: MicroOptions is written once by main() before any benchmark runs
// and only read afterwards. In a FlowWindow the consumer (the benchmark
// thread) writes the pop counts and producer p reads its own; producer p
// writes its state slot and the consumer reads them all.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "core/affinity.hpp"
#include "core/cache_line.hpp"

namespace actorlab::bench::micro {

// Most raw threads a benchmark here spawns (producers:4).
inline constexpr int kMaxProducers = 4;

// Items a producer may be ahead of what the consumer has popped from it.
// Guessed: large enough that a producer rarely waits, small enough that a
// queue holds at most kMaxProducers * kWindow items (about 256 KiB of
// mailbox nodes). Tune with BM_MailboxPushPop by trying 256 and 4096.
inline constexpr uint64_t kWindow = 1024;

// The consumer publishes its per-producer pop count every kPublishEvery pops
// from that producer (and whenever the queue looks empty), so the producers'
// line is written once per 64 pops, not per pop. Guessed, as kWindow.
inline constexpr uint64_t kPublishEvery = 64;

struct MicroOptions {
  std::string pin_spec = "none";
  // CPU per role, empty for no pinning. Role 0 is the benchmark thread
  // (consumer or owner); the i-th raw thread a benchmark spawns is role i + 1.
  std::vector<int> cpus;

  bool pin_role(int role) const noexcept {
    if (cpus.empty()) return true;
    return core::pin_current_thread(cpus[static_cast<std::size_t>(role) % cpus.size()]);
  }
};

// A counter alone on its cache line.
struct alignas(core::kCacheLine) PaddedCount {
  std::atomic<uint64_t> value{0};
};
static_assert(sizeof(PaddedCount) == core::kCacheLine);

// Spins with a pause first, then yields: producers:4 oversubscribes a 2-core
// machine, and a thread spinning on a descheduled peer would burn its slice.
class Backoff {
 public:
  void pause() noexcept {
    if (++spins_ < kSpinsBeforeYield)
      core::cpu_relax();
    else
      std::this_thread::yield();
  }
  void reset() noexcept { spins_ = 0; }

 private:
  static constexpr int kSpinsBeforeYield = 64;  // guessed
  int spins_ = 0;
};

// Bounds how far producer p runs ahead of the consumer, and tells the
// consumer when nothing more can arrive (so a lost item ends the run with an
// error instead of a hang). The producer caches the last count it read (as
// rigtorp's SPSCQueue caches the other index) and reads the consumer's slot
// again only when its window looks full.
class FlowWindow {
 public:
  explicit FlowWindow(int producers)
      : popped_(static_cast<std::size_t>(producers)), state_(static_cast<std::size_t>(producers)) {}

  // Consumer. `popped`: items taken from producer p so far.
  void publish(int p, uint64_t popped) noexcept {
    // release: pairs with the acquire load in wait_for_room(); the consumer
    // is done with those items (run-queue cells get reused after it).
    popped_[index(p)].value.store(popped, std::memory_order_release);
  }
  void publish_all(const std::vector<uint64_t>& popped) noexcept {
    for (std::size_t p = 0; p < popped.size(); ++p) publish(static_cast<int>(p), popped[p]);
  }

  // Producer p, before sending its item number `sent` (0-based). False when
  // `abort` was raised while waiting.
  bool wait_for_room(int p, uint64_t sent, uint64_t& cached, const std::atomic<bool>& abort) noexcept {
    if (sent - cached < kWindow) return true;
    // acquire: pairs with the release store in publish()
    cached = popped_[index(p)].value.load(std::memory_order_acquire);
    if (sent - cached < kWindow) return true;
    // release: pairs with the acquire in nothing_more_coming(); our pushes so far are complete.
    state_[index(p)].value.store(sent + 1, std::memory_order_release);
    Backoff backoff;
    while (sent - cached >= kWindow) {
      if (abort.load(std::memory_order_relaxed)) return false;  // relaxed: only a stop request
      backoff.pause();
      cached = popped_[index(p)].value.load(std::memory_order_acquire);  // as above
    }
    // relaxed: a stale "stalled" is harmless, as we resumed only because the
    // consumer published enough, which nothing_more_coming() checks itself.
    state_[index(p)].value.store(kRunning, std::memory_order_relaxed);
    return true;
  }

  // Producer p, after its last push.
  void finish(int p) noexcept {
    state_[index(p)].value.store(kDone, std::memory_order_release);  // pairs with nothing_more_coming()
  }

  // Consumer, with its own per-producer pop counts, read before a pop that
  // then fails: true when every producer has finished or waits for room the
  // consumer can no longer give (it already took all it got), so no item is
  // in flight and none will come.
  bool nothing_more_coming(const std::vector<uint64_t>& popped) const noexcept {
    for (std::size_t p = 0; p < popped.size(); ++p) {
      // acquire: pairs with the release stores in finish() and wait_for_room()
      const uint64_t st = state_[p].value.load(std::memory_order_acquire);
      if (st == kDone) continue;
      if (st != kRunning && popped[p] + kWindow <= st - 1) continue;
      return false;
    }
    return true;
  }

 private:
  static constexpr uint64_t kRunning = 0, kDone = ~uint64_t{0};  // else: stalled at item (state - 1)
  static std::size_t index(int p) noexcept { return static_cast<std::size_t>(p); }

  std::vector<PaddedCount> popped_;  // written by the consumer
  std::vector<PaddedCount> state_;   // slot p written by producer p
};

// Items producer p of `producers` sends when they share `total` between them.
inline uint64_t share_of(uint64_t total, int producers, int p) noexcept {
  const auto n = static_cast<uint64_t>(producers), i = static_cast<uint64_t>(p);
  return total / n + (i < total % n ? 1 : 0);
}

// Raw threads wait here until the benchmark thread opens the gate just
// before its timed loop, so thread start-up is not timed.
inline void wait_for_gate(const std::atomic<bool>& go) noexcept {
  Backoff backoff;
  // acquire: pairs with the release store that opens the gate
  while (!go.load(std::memory_order_acquire)) backoff.pause();
}

}  // namespace actorlab::bench::micro
