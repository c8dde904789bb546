// stress_steal_queue.cpp: sched::StealQueue with raw threads, at capacities
// 4 and 256 (STYLE item 9: a tiny queue reaches wrap-around, the full-queue
// path and the "another thief is copying" path on every few operations).
//
// Targets: an item taken twice (owner pop racing a thief's claim, or two
// thieves claiming one range), an item lost (a slot overwritten while a
// thief still copies it), and reordering (the owner pops in push order; a
// thief's stolen batch keeps the victim's order).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "core/cache_line.hpp"
#include "sched/steal_queue.hpp"
#include "tests/test_support.hpp"

namespace {

using testing_support::scale;

template <uint32_t Capacity>
void run_steal_stress(uint64_t items, int thieves) {
  using Queue = actorlab::sched::StealQueue<uint64_t, Capacity>;
  Queue owner_queue;
  std::vector<std::atomic<uint8_t>> taken(items);
  std::atomic<bool> done{false};
  std::atomic<uint64_t> taken_total{0};
  std::atomic<uint64_t> order_errors{0};
  std::atomic<uint64_t> stolen{0};

  auto take = [&](uint64_t v) {
    if (v >= items || taken[v].fetch_add(1, std::memory_order_relaxed) != 0) order_errors.fetch_add(1);
    taken_total.fetch_add(1, std::memory_order_relaxed);
  };

  std::atomic<int> ready{0};
  std::vector<std::jthread> threads;
  for (int t = 0; t < thieves; ++t) {
    threads.emplace_back([&] {
      ready.fetch_add(1);
      Queue mine;  // the thief owns this one: stolen batches land here
      uint64_t first;
      uint64_t misses = 0;
      while (!done.load(std::memory_order_acquire) || owner_queue.len() != 0) {
        if (!owner_queue.steal_into(mine, first)) {
          if (++misses % 64 == 0) std::this_thread::yield();  // 3 threads share 2 cores here
          actorlab::core::cpu_relax();
          continue;
        }
        take(first);
        stolen.fetch_add(1, std::memory_order_relaxed);
        uint64_t prev = first, v;
        bool first_of_rest = true;
        while (mine.pop(v)) {
          // The batch was copied in victim order and `first` is its last item.
          if (!first_of_rest && v <= prev) order_errors.fetch_add(1);
          first_of_rest = false;
          prev = v;
          take(v);
          stolen.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }

  while (ready.load() != thieves) std::this_thread::yield();
  uint64_t next = 0, last_popped = 0;
  bool popped_any = false;
  while (next < items) {
    if (owner_queue.push(next)) {
      ++next;
    }
    // A short pause, so thieves (on the other core) win some races.
    for (int i = 0; i < 16; ++i) actorlab::core::cpu_relax();
    // Pop about one item in three, so the queue is often full and often empty.
    uint64_t v;
    if ((next % 3 == 0 || owner_queue.len() == Capacity) && owner_queue.pop(v)) {
      if (popped_any && v <= last_popped) order_errors.fetch_add(1);
      popped_any = true;
      last_popped = v;
      take(v);
    }
  }
  uint64_t v;
  while (owner_queue.pop(v)) take(v);
  done.store(true, std::memory_order_release);
  threads.clear();  // joins
  // A thief's claim can finish after the owner's last pop: drain again.
  while (owner_queue.pop(v)) take(v);

  // Without steals the test proves nothing about the races it targets.
  EXPECT_GT(stolen.load(), 0u) << "no thief ever stole";
  ::testing::Test::RecordProperty("stolen", std::to_string(stolen.load()));
  EXPECT_EQ(order_errors.load(), 0u) << "an item was taken twice, was out of range, or out of order";
  EXPECT_EQ(taken_total.load(), items) << "items lost or duplicated";
  uint64_t missing = 0;
  for (auto& t : taken) missing += t.load() == 0;
  EXPECT_EQ(missing, 0u);
}

// Capacity 4, two thieves: the owner's pops and both thieves' claims race
// on every few items; a slot reused too early would show as a lost item.
TEST(StressStealQueue, Capacity4TwoThieves) { run_steal_stress<4>(scale(2'000'000), 2); }

// Capacity 256, one thief: steal-half moves long batches.
TEST(StressStealQueue, Capacity256OneThief) { run_steal_stress<256>(scale(2'000'000), 1); }

}  // namespace
