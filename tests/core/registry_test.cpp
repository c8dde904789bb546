// registry_test.cpp: core/registry.hpp on its own, over a minimal cell, with
// the per-worker free rings: a slot cached in one worker's ring never makes
// another worker's spawn fail and goes before a fresh index, a full ring spills to the shared queue
// without losing or duplicating a slot, a worker reuses its own frees in
// FIFO order, and under concurrent allocate/release from two workers and an
// outside thread no slot is handed out twice at once and none is lost.
// Threads: the stress test runs 3 threads (workers 0 and 1, one outside).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "core/registry.hpp"
#include "tests/test_support.hpp"

namespace {

// What Registry touches of a cell.
struct TestCell {
  std::atomic<uint32_t> owner_id_{0};
  uint16_t generation_ = 1;
};
using TestRegistry = actorlab::core::Registry<TestCell>;

std::vector<uint32_t> allocate_all(TestRegistry& r, int worker) {
  std::vector<uint32_t> got;
  for (;;) {
    auto slot = r.allocate(worker);
    if (slot.cell == nullptr) return got;
    got.push_back(slot.index);
  }
}

TEST(RegistryLocalFree, ASlotInOneWorkersRingServesAnotherWorkersSpawn) {
  TestRegistry r(64, 2);  // rings of 64 / (4 x 2) = 8
  const std::vector<uint32_t> all = allocate_all(r, 0);
  ASSERT_EQ(all.size(), 64u);
  for (int i = 0; i < 6; ++i) r.release(all[static_cast<std::size_t>(i)], 0);  // below the ring's cap: cached
  const std::vector<uint32_t> again = allocate_all(r, 1);
  EXPECT_EQ(std::set<uint32_t>(again.begin(), again.end()), std::set<uint32_t>(all.begin(), all.begin() + 6))
      << "worker 1 must get every slot worker 0 freed, then find the registry full";
  EXPECT_EQ(again.size(), 6u);
  EXPECT_EQ(r.retired_slots(), 0u);
}

TEST(RegistryLocalFree, AFullRingSpillsEverySlotOnce) {
  TestRegistry r(64, 2);
  const std::vector<uint32_t> all = allocate_all(r, 0);
  ASSERT_EQ(all.size(), 64u);
  for (uint32_t index : all) r.release(index, 0);  // spills half of 8 each time it fills
  std::vector<uint32_t> again = allocate_all(r, -1);  // outside: shared queue, then the rings
  std::vector<uint32_t> rest = allocate_all(r, 1);
  again.insert(again.end(), rest.begin(), rest.end());
  EXPECT_EQ(again.size(), 64u);
  EXPECT_EQ(std::set<uint32_t>(again.begin(), again.end()).size(), 64u) << "a slot handed out twice";
}

TEST(RegistryLocalFree, AFreeSlotInAnyRingGoesBeforeAFreshIndex) {
  TestRegistry r(1024, 2);
  const uint32_t a = r.allocate(0).index;
  const uint32_t b = r.allocate(0).index;
  r.release(a, 0);
  r.release(b, 1);
  EXPECT_EQ(r.allocate(-1).index, a) << "an outside spawn takes worker 0's free slot, not a fresh index";
  EXPECT_EQ(r.allocate(0).index, b) << "worker 0, its ring empty, takes worker 1's";
  EXPECT_EQ(r.high_water(), 2u);
}

TEST(RegistryLocalFree, AWorkerReusesItsOwnFreesOldestFirst) {
  TestRegistry r(1024, 2);
  std::vector<uint32_t> held;
  for (int i = 0; i < 5; ++i) held.push_back(r.allocate(0).index);
  for (uint32_t index : held) r.release(index, 0);
  for (uint32_t index : held) {
    auto slot = r.allocate(0);
    EXPECT_EQ(slot.index, index);
    EXPECT_EQ(slot.cell->generation_, 2u) << "a reused slot carries the next generation";
  }
}

TEST(RegistryLocalFree, ConcurrentAllocateReleaseHandsEachSlotToOneOwnerAtATime) {
  constexpr uint32_t kSlots = 256;
  const uint64_t rounds = testing_support::scale(200'000);
  TestRegistry r(kSlots, 2);
  std::unique_ptr<std::atomic<bool>[]> owned(new std::atomic<bool>[kSlots]);
  for (uint32_t i = 0; i < kSlots; ++i) owned[i].store(false);
  std::atomic<uint64_t> doubled{0}, refused{0};
  auto run = [&](int worker, uint32_t hold) {
    std::vector<uint32_t> mine;
    for (uint64_t n = 0; n < rounds; ++n) {
      auto slot = r.allocate(worker);
      if (slot.cell == nullptr) {
        refused.fetch_add(1);
      } else {
        if (owned[slot.index].exchange(true, std::memory_order_acq_rel)) doubled.fetch_add(1);
        mine.push_back(slot.index);
      }
      // Keep up to `hold` slots, then give the oldest back (FIFO like exits).
      if (mine.size() > hold || (slot.cell == nullptr && !mine.empty())) {
        const uint32_t index = mine.front();
        mine.erase(mine.begin());
        owned[index].store(false, std::memory_order_release);
        r.release(index, worker);
      }
    }
    for (uint32_t index : mine) {
      owned[index].store(false, std::memory_order_release);
      r.release(index, worker);
    }
  };
  // Together they hold at most 3 x 40 = 120 of 256. In flight at any moment
  // (between a release and its slot showing in a ring or the shared queue):
  // one slot per thread, plus a spill of half a ring (16) per worker. So
  // well over 80 free slots are always visible: a refusal means a slot was
  // stranded or lost.
  std::thread a(run, 0, 40), b(run, 1, 40), outside(run, -1, 40);
  a.join();
  b.join();
  outside.join();
  EXPECT_EQ(doubled.load(), 0u) << "a slot was handed to two owners at once";
  EXPECT_EQ(refused.load(), 0u) << "a spawn was refused while free slots existed";
  const std::vector<uint32_t> all = allocate_all(r, 0);
  EXPECT_EQ(std::set<uint32_t>(all.begin(), all.end()).size(), kSlots) << "slots lost after the stress";
  EXPECT_EQ(all.size(), kSlots);
}

}  // namespace
