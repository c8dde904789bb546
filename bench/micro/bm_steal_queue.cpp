// bm_steal_queue.cpp: BM_StealQueuePushPop/kind:<k>/thieves:<0|1>: the
// work-stealing deque of the `steal` policy (sched::StealQueue, kind
// steal_queue) against mutex_deque, with the same roles.
//
// Each iteration the owner pushes kBatch items (consecutive integers) and
// then pops until its queue is empty, as a worker that makes a few actors
// runnable and runs them. A push can find the queue full while a stalled
// thief (preempted, or its vCPU descheduled) holds slots it claimed: the
// owner then waits for it, counted in full_push_fraction. With thieves:1 a raw std::jthread (role 1) steals
// half the queue over and over into its own queue and pops what it stole;
// that is harder than a real idle worker steals, on purpose. The benchmark
// thread is the owner (role 0): steal_into has one victim owner and its
// thieves, a split ->Threads(n) cannot express. items_per_second counts items
// pushed, each taken exactly once by the owner or the thief. Real time.
//
// Checks (failure is SkipWithError):
//   thieves:0  every pop is the next integer (FIFO), count == pushed: exact.
//   thieves:1  owner pops are increasing, each steal's items follow the last
//              steal's; every taker marks taken[item] (a relaxed byte store,
//              reporting a mark already there), and at the end owner pops +
//              thief takes == pushed with every mark set: N takes that cover
//              N items take each exactly once. The byte array (one byte per
//              item pushed) is allocated before timing; the owner's marking
//              store is timed, equally for both kinds.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "bench/micro/micro_support.hpp"
#include "bench/micro/mutex_deque.hpp"
#include "sched/steal_queue.hpp"

namespace actorlab::bench::micro {
namespace {

constexpr uint32_t kCapacity = 256;  // the steal policy's default
// Items pushed per iteration before the owner drains. Guessed: a few
// runnable actors per turn; must stay well below kCapacity.
constexpr uint64_t kBatch = 16;
static_assert(kBatch * 2 <= kCapacity);

template <class Q>
class StealRun {
 public:
  StealRun(const MicroOptions& options, int thieves) : options_(options), thieves_(thieves) {}

  void run(benchmark::State& state) {
    if (!options_.pin_role(0)) return state.SkipWithError("could not pin the owner (--pin)");
    const uint64_t total = static_cast<uint64_t>(state.max_iterations) * kBatch;
    if (thieves_ > 0) taken_.reset(new std::atomic<uint8_t>[total]());  // zeroed
    std::jthread thief;
    if (thieves_ > 0) thief = std::jthread([this, total] { steal_loop(total); });

    go_.store(true, std::memory_order_release);  // release: pairs with wait_for_gate()
    for (auto _ : state) {
      for (uint64_t i = 0; i < kBatch; ++i) {
        const uint64_t item = pushed_++;
        if (owner_.push(item)) continue;
        // Full: a stalled thief holds slots it claimed. The runtime would
        // send the item elsewhere; here the owner waits, so a stalled thief
        // costs the owner time (as a stalled lock holder does in
        // mutex_deque) instead of sending it down a cheaper path.
        ++full_pushes_;
        Backoff backoff;
        while (!owner_.push(item)) backoff.pause();
      }
      drain();
      if (error_ != nullptr) break;
    }
    stop_.store(true, std::memory_order_release);  // pairs with the acquire in steal_loop()
    if (thief.joinable()) thief.join();
    if (error_ == nullptr) error_ = thief_error_;
    if (error_ == nullptr) final_checks(total);
    if (error_ != nullptr) return state.SkipWithError(error_);
    state.SetItemsProcessed(static_cast<int64_t>(total));
    state.counters["stolen_fraction"] = static_cast<double>(thief_count_) / static_cast<double>(total);
    state.counters["full_push_fraction"] = static_cast<double>(full_pushes_) / static_cast<double>(total);
  }

 private:
  // The thief: only it touches loot_ (it owns that queue) and thief_*.
  void steal_loop(uint64_t total) {
    if (!options_.pin_role(1)) {
      thief_error_ = "could not pin the thief (--pin)";
      return;
    }
    wait_for_gate(go_);
    Backoff backoff;
    uint64_t floor = 0;  // every later steal takes items at or above this
    // acquire: pairs with the release store after the owner's loop, so the
    // owner's final drain happened before we stop.
    while (!stop_.load(std::memory_order_acquire)) {
      uint64_t first;
      if (!owner_.steal_into(loot_, first)) {
        backoff.pause();
        continue;
      }
      backoff.reset();
      // first is the newest stolen item; the others wait in loot_, oldest first.
      if (first < floor || first >= total) return void(thief_fail("stolen item out of range"));
      thief_take(first);
      uint64_t v;
      for (uint64_t low = floor; loot_.pop(v); low = v + 1) {
        if (v < low || v >= first) return void(thief_fail("stolen items out of order"));
        thief_take(v);
      }
      floor = first + 1;
    }
  }

  void thief_take(uint64_t v) noexcept {
    ++thief_count_;
    if (!mark(v)) thief_fail("item taken twice");
  }
  void thief_fail(const char* why) noexcept {
    if (thief_error_ == nullptr) thief_error_ = why;
  }

  // Owner and thief. False when v was already marked: a duplicate (a racing
  // duplicate may go unseen here; final_checks() then finds an unmarked item).
  // Relaxed: the marks are read after join(), which orders them.
  bool mark(uint64_t v) noexcept {
    if (!taken_) return true;
    const bool fresh = taken_[v].load(std::memory_order_relaxed) == 0;
    taken_[v].store(1, std::memory_order_relaxed);
    return fresh;
  }

  // Owner: pops are the oldest items left, so they only increase (and are
  // consecutive without a thief).
  void drain() noexcept {
    uint64_t v;
    while (owner_.pop(v)) owner_take(v);
  }
  void owner_take(uint64_t v) noexcept {
    if (v < expect_ || v >= pushed_ || (thieves_ == 0 && v != expect_)) fail("owner pop out of order");
    expect_ = v + 1;
    ++owner_count_;
    if (!mark(v)) fail("item taken twice");
  }

  void final_checks(uint64_t total) {
    if (owner_count_ + thief_count_ != total) return void(fail("owner pops + thief steals != pushed"));
    if (taken_)
      for (uint64_t i = 0; i < total; ++i)
        if (taken_[i].load(std::memory_order_relaxed) == 0) return void(fail("an item was never taken"));
  }

  void fail(const char* why) noexcept {
    if (error_ == nullptr) error_ = why;
  }

  const MicroOptions& options_;
  const int thieves_;
  Q owner_;  // pushed and popped by the owner, stolen from by the thief
  Q loot_;   // the thief's own queue
  std::unique_ptr<std::atomic<uint8_t>[]> taken_;
  std::atomic<bool> go_{false}, stop_{false};
  // Owner only:
  uint64_t pushed_ = 0;       // items handed out so far (the next item)
  uint64_t expect_ = 0;       // owner pops are at least this
  uint64_t owner_count_ = 0;  // items the owner took
  uint64_t full_pushes_ = 0;  // pushes that found the queue full
  const char* error_ = nullptr;
  const char* thief_error_ = nullptr;  // thief only until join()
  uint64_t thief_count_ = 0;           // thief only until join()
};

template <class Q>
void register_kind(const MicroOptions& options, const char* kind) {
  for (const int thieves : {0, 1}) {
    const std::string name =
        std::string("BM_StealQueuePushPop/kind:") + kind + "/thieves:" + std::to_string(thieves);
    benchmark::RegisterBenchmark(name.c_str(), [&options, thieves](benchmark::State& state) {
      auto run = std::make_unique<StealRun<Q>>(options, thieves);  // over-aligned: on the heap
      run->run(state);
    })->UseRealTime();
  }
}

}  // namespace

void register_steal_queue_benchmarks(const MicroOptions& options) {
  register_kind<sched::StealQueue<uint64_t, kCapacity>>(options, "steal_queue");
  register_kind<MutexDequeStealQueue<uint64_t, kCapacity>>(options, "mutex_deque");
}

}  // namespace actorlab::bench::micro
