// stress_steal_queue.cpp: sched::StealQueue with raw threads, at capacities
// 4 and 256 (STYLE item 9: a tiny queue reaches wrap-around, the full-queue
// path and the "another thief is copying" path on every few operations).
//
// Targets: an item taken twice (owner pop racing a thief's claim, or two
// thieves claiming one range), an item lost (a slot overwritten while a
// thief still copies it), and reordering (the owner pops in push order; a
// thief's stolen batch keeps the victim's order; so does the owner's
// pop_oldest when a push finds the queue full). With push_front mixed in
// (--local-push=front), the owner checks its pops against a model of the
// queue: a pop must return an item still in the model, and the items ahead
// of it must be ones a thief took; any other order leaves an item the model
// dropped but no one took (lost) or one taken twice.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <thread>
#include <vector>

#include "core/cache_line.hpp"
#include "sched/steal_queue.hpp"
#include "tests/test_support.hpp"

namespace {

using testing_support::scale;

// What both stress runs share: the owner's queue, the record of which items
// were taken, and the thieves. Each thief steals into a queue of its own and
// drains it; with check_batch_order it checks that a stolen batch kept the
// victim's order (only when the owner pushes at the back).
template <uint32_t Capacity>
struct StealStress {
  using Queue = actorlab::sched::StealQueue<uint64_t, Capacity>;
  explicit StealStress(uint64_t n) : items(n), taken(n) {}

  void take(uint64_t v) {
    if (v >= items || taken[v].fetch_add(1, std::memory_order_relaxed) != 0) errors.fetch_add(1);
    taken_total.fetch_add(1, std::memory_order_relaxed);
  }

  void start_thieves(int thieves, bool check_batch_order) {
    for (int t = 0; t < thieves; ++t) threads.emplace_back([this, check_batch_order] { thief(check_batch_order); });
    while (ready.load() != thieves) std::this_thread::yield();
  }

  void join_thieves() {
    done.store(true, std::memory_order_release);
    threads.clear();  // joins
  }

  // Every item taken exactly once, and some by thieves (without steals the
  // test proves nothing about the races it targets).
  void expect_every_item_taken_once() {
    EXPECT_GT(stolen.load(), 0u) << "no thief ever stole";
    ::testing::Test::RecordProperty("stolen", std::to_string(stolen.load()));
    EXPECT_EQ(errors.load(), 0u) << "an item was taken twice, was out of range, or out of order";
    EXPECT_EQ(taken_total.load(), items) << "items lost or duplicated";
    uint64_t missing = 0;
    for (auto& t : taken) missing += t.load() == 0;
    EXPECT_EQ(missing, 0u);
  }

  const uint64_t items;
  Queue owner_queue;
  std::vector<std::atomic<uint8_t>> taken;
  std::atomic<uint64_t> taken_total{0}, errors{0}, stolen{0};

 private:
  void thief(bool check_batch_order) {
    ready.fetch_add(1);
    Queue mine;  // the thief owns this one: stolen batches land here
    uint64_t first, v, misses = 0;
    while (!done.load(std::memory_order_acquire) || owner_queue.len() != 0) {
      if (!owner_queue.steal_into(mine, first)) {
        if (++misses % 64 == 0) std::this_thread::yield();  // 3 threads share 2 cores here
        actorlab::core::cpu_relax();
        continue;
      }
      take(first);
      stolen.fetch_add(1, std::memory_order_relaxed);
      uint64_t prev = first;
      bool first_of_rest = true;
      while (mine.pop(v)) {
        // The batch was copied in victim order and `first` is its last item.
        if (check_batch_order && !first_of_rest && v <= prev) errors.fetch_add(1);
        first_of_rest = false;
        prev = v;
        take(v);
        stolen.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  std::atomic<bool> done{false};
  std::atomic<int> ready{0};
  std::vector<std::jthread> threads;
};

// The owner pushes at the back and pops; pops must come in push order.
// With overflow, a push that finds the queue full takes the oldest half at
// once (pop_oldest, the placement's overflow path) and checks its order;
// every 4 * Capacity items the owner then pushes without pause or pop until
// a push fails, since one thief that keeps up (as under a sanitizer, which
// slows the owner more) would otherwise never let the queue fill.
template <uint32_t Capacity>
void run_steal_stress(uint64_t items, int thieves, bool overflow = false) {
  StealStress<Capacity> run(items);
  run.start_thieves(thieves, /*check_batch_order=*/true);
  uint64_t next = 0, last_popped = 0, overflows = 0;
  bool popped_any = false, filling = false;
  while (next < items) {
    if (overflow && next % (4 * Capacity) == 0) filling = true;
    if (run.owner_queue.push(next)) {
      ++next;
      if (filling) continue;
    } else if (overflow) {
      filling = false;
      uint64_t half[Capacity / 2];
      const uint32_t n = run.owner_queue.pop_oldest(half, Capacity / 2);
      for (uint32_t i = 0; i < n; ++i) {
        if (popped_any && half[i] <= last_popped) run.errors.fetch_add(1);
        popped_any = true;
        last_popped = half[i];
        run.take(half[i]);
      }
      overflows += n != 0;
    }
    // A short pause, so thieves (on the other core) win some races.
    for (int i = 0; i < 16; ++i) actorlab::core::cpu_relax();
    // Pop about one item in three, so the queue is often full and often empty.
    uint64_t v;
    if ((next % 3 == 0 || run.owner_queue.len() == Capacity) && run.owner_queue.pop(v)) {
      if (popped_any && v <= last_popped) run.errors.fetch_add(1);
      popped_any = true;
      last_popped = v;
      run.take(v);
    }
  }
  uint64_t v;
  while (run.owner_queue.pop(v)) run.take(v);
  run.join_thieves();
  // A thief's claim can finish after the owner's last pop: drain again.
  while (run.owner_queue.pop(v)) run.take(v);
  if (overflow) {
    EXPECT_GT(overflows, 0u) << "the queue never filled";
  }
  run.expect_every_item_taken_once();
}

// The owner mixes push_front (two in three pushes) with push and pops;
// thieves steal as above. Checks as in the header comment.
template <uint32_t Capacity>
void run_push_front_stress(uint64_t items, int thieves) {
  StealStress<Capacity> run(items);
  uint64_t fronts = 0;
  run.start_thieves(thieves, /*check_batch_order=*/false);
  std::deque<uint64_t> model;  // the owner's view, head first; thieves take a prefix
  auto owner_pop = [&] {
    uint64_t v;
    if (!run.owner_queue.pop(v)) return false;
    auto at = std::find(model.begin(), model.end(), v);
    if (at == model.end()) {
      run.errors.fetch_add(1);  // popped twice, or never pushed
    } else {
      model.erase(model.begin(), at + 1);  // those ahead were stolen
    }
    run.take(v);
    return true;
  };
  for (uint64_t next = 0; next < items;) {
    if (next % 3 != 0 && run.owner_queue.push_front(next)) {
      model.push_front(next++);
      ++fronts;
    } else if (run.owner_queue.push(next)) {
      model.push_back(next++);
    }
    for (int i = 0; i < 16; ++i) actorlab::core::cpu_relax();
    if (next % 3 == 0 || run.owner_queue.len() == Capacity) owner_pop();
  }
  while (owner_pop()) {
  }
  run.join_thieves();
  while (owner_pop()) {
  }
  // push_front gives up while a thief copies, and on a 2-CPU machine a
  // thief preempted between its claim and its release keeps that window
  // open for a whole time slice: the share of successes swings with the
  // scheduler (0.21 to 0.46 of the items in 13 runs here, of 0.67 tried).
  // The bound asks only that the path ran often enough to meet the races
  // it targets.
  ::testing::Test::RecordProperty("fronts", std::to_string(fronts));
  EXPECT_GT(fronts, items / 20) << "push_front hardly ever succeeded";
  run.expect_every_item_taken_once();
}

// Capacity 4, two thieves: the owner's pops and both thieves' claims race
// on every few items; a slot reused too early would show as a lost item.
TEST(StressStealQueue, Capacity4TwoThieves) { run_steal_stress<4>(scale(2'000'000), 2); }

// Capacity 256, one thief: steal-half moves long batches.
TEST(StressStealQueue, Capacity256OneThief) { run_steal_stress<256>(scale(2'000'000), 1); }

// The overflow path: the oldest half taken by the owner while thieves
// claim from the same head (capacity 4: every other push overflows).
TEST(StressStealQueue, OverflowCapacity4TwoThieves) { run_steal_stress<4>(scale(2'000'000), 2, true); }
TEST(StressStealQueue, OverflowCapacity256OneThief) { run_steal_stress<256>(scale(2'000'000), 1, true); }

// push_front beside steals: at capacity 4 it races the full-queue check and
// a thief's claim of the slot it just filled.
TEST(StressStealQueue, PushFrontCapacity4TwoThieves) { run_push_front_stress<4>(scale(1'000'000), 2); }
TEST(StressStealQueue, PushFrontCapacity256OneThief) { run_push_front_stress<256>(scale(1'000'000), 1); }

}  // namespace
