// stress_structures.cpp: the run-queue, steal-queue, MPSC-queue and
// return-stack types on their own, driven by raw std::threads, without the
// runtime around them (the mailboxes: stress_mailboxes.cpp).
// Run queues (LockfreeRunQueue, SpinListRunQueue) over a dummy cell: every
// item pushed once is popped exactly once by concurrent consumers (with and
// without per-thread handles, one at a time and in bulk), and a cell
// recirculated through the queue is in it at most once at a time, its plain
// fields handed over with ordering (TSan checks the latter). StealQueue (the
// steal policy's per-worker queue): owners push and pop while thieves steal
// half; every item once.
// IntrusiveMpscQueue (the timer's requests, the net thread's commands):
// producers push sequence-numbered nodes while the consumer pops, retrying
// while maybe_nonempty(); every node once, in order per producer, and the
// queue at rest (maybe_nonempty() false) at the end.
// ReturnStack (the uring backend's returned buffers): pushers return their
// own ids again and again, each only after the taker took it back, while
// one taker takes the stack whole; every return taken exactly once, none
// taken while not out, and each id's plain payload handed over (TSan).
// Threads: 3 producers + 1 consumer (MPSC queue); 2 + 2 and 3 mixed
// (queues); 3 owner-thieves (steal queue); 3 pushers + 1 taker (stack).
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/intrusive_mpsc.hpp"
#include "io/return_stack.hpp"
#include "sched/run_queue.hpp"
#include "sched/run_queue_lockfree.hpp"
#include "sched/run_queue_spinlist.hpp"
#include "sched/steal_queue.hpp"
#include "tests/test_support.hpp"

using namespace testing_support;
using Clock = std::chrono::steady_clock;

namespace {

// ---------------------------------------------------------------------------
// Run queues

struct DummyCell {
  actorlab::sched::SpinListLink sched_;  // the spinlist's intrusive link (a cell's sched_ state)
  std::atomic<uint32_t> pops{0};
  std::atomic<bool> queued{false};
  uint64_t hops = 0;  // plain: handed from thread to thread through the queue
};

template <template <class> class Q>
void run_queue_exactly_once(uint64_t n) {
  using Queue = Q<DummyCell>;
  static_assert(actorlab::sched::RunQueue<Queue, DummyCell>);
  SCOPED_TRACE(std::string(Queue::kName) + " exactly once, n=" + std::to_string(n));
  auto queue = std::make_unique<Queue>();
  std::vector<DummyCell> cells(n);
  std::atomic<uint64_t> popped{0};
  std::atomic<uint64_t> twice{0};
  std::vector<std::thread> threads;
  constexpr int kProducers = 2, kConsumers = 2;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      auto handle = queue->make_handle();
      for (uint64_t i = p; i < n; i += kProducers) queue->push(p == 0 ? &handle : nullptr, &cells[i]);
    });
  }
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&, c] {
      auto handle = queue->make_handle();
      // Consumer 0 pops one at a time with its handle; consumer 1 pops up
      // to 8 at once (try_pop_bulk) without one.
      DummyCell* got[8];
      const auto deadline = Clock::now() + kGenerousTimeout;
      while (popped.load(std::memory_order_relaxed) < n && Clock::now() < deadline) {
        // A failed pop proves nothing (moodycamel): just try again.
        const std::size_t k =
            c == 0 ? (queue->try_pop(&handle, got[0]) ? 1 : 0) : queue->try_pop_bulk(nullptr, got, 8);
        if (k == 0) {
          std::this_thread::yield();
          continue;
        }
        for (std::size_t i = 0; i < k; ++i)
          if (got[i]->pops.fetch_add(1, std::memory_order_relaxed) != 0) twice.fetch_add(1, std::memory_order_relaxed);
        popped.fetch_add(k, std::memory_order_relaxed);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(popped.load(), n) << "items lost";
  EXPECT_EQ(twice.load(), 0u) << "an item popped twice";
  uint64_t never = 0;
  for (auto& c : cells) never += c.pops.load() == 0;
  EXPECT_EQ(never, 0u);
  DummyCell* extra = nullptr;
  EXPECT_FALSE(queue->try_pop(nullptr, extra));
  EXPECT_FALSE(queue->maybe_nonempty());
}

// Cells go round: whoever pops a cell pushes it back until it has made
// `hops` trips, like actors re-queued turn after turn.
template <template <class> class Q>
void run_queue_recirculate(uint64_t cells_n, uint64_t hops) {
  using Queue = Q<DummyCell>;
  SCOPED_TRACE(std::string(Queue::kName) + " recirculate");
  auto queue = std::make_unique<Queue>();
  std::vector<DummyCell> cells(cells_n);
  {
    auto h = queue->make_handle();
    for (auto& c : cells) {
      c.queued.store(true, std::memory_order_relaxed);
      queue->push(&h, &c);
    }
  }
  const uint64_t total = cells_n * hops;
  std::atomic<uint64_t> done{0}, in_two{0}, finished_cells{0};
  std::vector<std::thread> threads;
  constexpr int kThreads = 3;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto handle = queue->make_handle();
      auto* h = t == 2 ? nullptr : &handle;  // one thread without a handle
      DummyCell* cell = nullptr;
      const auto deadline = Clock::now() + kGenerousTimeout;
      while (finished_cells.load(std::memory_order_relaxed) < cells_n && Clock::now() < deadline) {
        if (!queue->try_pop(h, cell)) {
          std::this_thread::yield();
          continue;
        }
        if (!cell->queued.exchange(false, std::memory_order_relaxed)) in_two.fetch_add(1, std::memory_order_relaxed);
        ++cell->hops;  // plain field: ordered by the queue's push/pop
        done.fetch_add(1, std::memory_order_relaxed);
        if (cell->hops < hops) {
          cell->queued.store(true, std::memory_order_relaxed);
          queue->push(h, cell);
        } else {
          finished_cells.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(done.load(), total);
  EXPECT_EQ(in_two.load(), 0u) << "a cell was popped while not queued (queued twice)";
  for (auto& c : cells) EXPECT_EQ(c.hops, hops);
  DummyCell* extra = nullptr;
  EXPECT_FALSE(queue->try_pop(nullptr, extra));
}

// ---------------------------------------------------------------------------
// StealQueue (the steal policy's per-worker queue). Target: an item popped by
// its owner and also copied out by a thief (the owner overwriting slots a
// thief has claimed but not yet copied, or the two head indices moving out of
// step), an item lost at wrap-around or on the full-queue path, and a thief
// handing out an item it did not claim. Three workers, each owning a queue:
// push their own items (a full queue: the item is consumed on the spot, as the
// policy would move it to the injection queue), pop, and steal half from the
// others. Every item must be consumed exactly once.

// Returns {successful steals, full-queue overflows} so the caller can repeat
// a run that happened to need neither (a loaded machine can run the three
// threads one at a time, leaving nothing to steal).
template <uint32_t Capacity>
std::pair<uint64_t, uint64_t> steal_queue_exactly_once(uint64_t n) {
  using Q = actorlab::sched::StealQueue<uint32_t, Capacity>;
  SCOPED_TRACE("StealQueue capacity " + std::to_string(Capacity) + ", n=" + std::to_string(n));
  constexpr int kWorkers = 3;
  std::vector<std::unique_ptr<Q>> queues;
  for (int i = 0; i < kWorkers; ++i) queues.push_back(std::make_unique<Q>());
  std::vector<std::atomic<uint32_t>> consumed(n);
  std::atomic<uint64_t> total{0}, twice{0}, steals{0}, overflows{0};
  std::vector<std::thread> threads;
  for (int me = 0; me < kWorkers; ++me) {
    threads.emplace_back([&, me] {
      Q& own = *queues[me];
      auto consume = [&](uint32_t item) {
        if (item >= n || consumed[item].fetch_add(1, std::memory_order_relaxed) != 0)
          twice.fetch_add(1, std::memory_order_relaxed);
        total.fetch_add(1, std::memory_order_relaxed);
      };
      uint64_t next_item = me, rng = mix(me);
      const auto deadline = Clock::now() + kGenerousTimeout;
      while (total.load(std::memory_order_relaxed) < n && Clock::now() < deadline) {
        rng = mix(rng);
        uint32_t item;
        switch (rng % 4) {
          case 0:
          case 1:  // produce up to 3
            for (int k = 0; k < 3 && next_item < n; ++k, next_item += kWorkers) {
              if (!own.push(static_cast<uint32_t>(next_item))) {
                overflows.fetch_add(1, std::memory_order_relaxed);
                consume(static_cast<uint32_t>(next_item));
              }
            }
            break;
          case 2:
            if (own.pop(item)) consume(item);
            break;
          case 3: {
            Q& victim = *queues[(me + 1 + (rng >> 8) % (kWorkers - 1)) % kWorkers];
            if (victim.steal_into(own, item)) {
              steals.fetch_add(1, std::memory_order_relaxed);
              consume(item);
            }
            break;
          }
        }
        if (next_item >= n && own.pop(item)) consume(item);  // drain once done producing
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(total.load(), n) << "items lost (or the run timed out)";
  EXPECT_EQ(twice.load(), 0u) << "an item consumed twice, or a value never pushed";
  uint64_t never = 0;
  for (auto& c : consumed) never += c.load() == 0;
  EXPECT_EQ(never, 0u);
  for (auto& q : queues) EXPECT_EQ(q->len(), 0u);
  return {steals.load(), overflows.load()};
}

// Runs until the steal path (and, for a tiny queue, the full-queue path) was
// exercised at least once, for up to 20 s (an oversubscribed machine, e.g.
// several sanitizer tests at once, can run the three threads one after
// another for many short runs); every run checks exactly-once.
template <uint32_t Capacity>
void steal_queue_until_exercised(uint64_t n) {
  uint64_t steals = 0, overflows = 0;
  int runs = 0;
  const auto give_up = Clock::now() + std::chrono::seconds(20);
  auto exercised = [&] { return steals > 0 && (Capacity > 4 || overflows > 0); };
  while (!exercised() && (runs == 0 || Clock::now() < give_up) && !::testing::Test::HasFailure()) {
    auto [s, o] = steal_queue_exactly_once<Capacity>(n);
    steals += s;
    overflows += o;
    ++runs;
  }
  EXPECT_GT(steals, 0u) << "no steal succeeded in " << runs << " runs: the test was vacuous";
  if (Capacity <= 4) {
    EXPECT_GT(overflows, 0u) << "the full-queue path was never reached in " << runs << " runs";
  }
}

// ---------------------------------------------------------------------------
// IntrusiveMpscQueue

struct SeqNode {
  actorlab::core::MpscLink link;  // first: an MpscLink* is the node's address
  uint32_t producer = 0;
  uint64_t seq = 0;
};

TEST(StressIntrusiveMpsc, EveryNodeOnceInOrderPerProducer) {
  constexpr int kProducers = 3;
  const uint64_t per = scale(300'000);
  std::vector<std::unique_ptr<SeqNode[]>> nodes;
  for (int p = 0; p < kProducers; ++p) nodes.push_back(std::make_unique<SeqNode[]>(per));
  actorlab::core::IntrusiveMpscQueue queue;
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (uint64_t i = 0; i < per; ++i) {
        SeqNode& n = nodes[p][i];
        n.producer = static_cast<uint32_t>(p);
        n.seq = i;
        queue.push(&n.link);
      }
    });
  }
  std::vector<uint64_t> next_seq(kProducers, 0);
  uint64_t popped = 0, out_of_order = 0, bad = 0;
  const auto deadline = Clock::now() + kGenerousTimeout;
  while (popped < per * kProducers && Clock::now() < deadline) {
    actorlab::core::MpscLink* link = queue.pop();
    if (link == nullptr) {
      std::this_thread::yield();
      continue;
    }
    const auto* n = reinterpret_cast<const SeqNode*>(link);
    ++popped;
    if (n->producer >= kProducers) {
      ++bad;
      continue;
    }
    if (n->seq != next_seq[n->producer]) ++out_of_order;
    next_seq[n->producer] = n->seq + 1;
  }
  for (auto& t : producers) t.join();
  EXPECT_EQ(popped, per * kProducers) << "nodes lost (or the run timed out)";
  EXPECT_EQ(out_of_order, 0u) << "a node popped out of its producer's order, or twice";
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(queue.pop(), nullptr) << "a node popped more than once";
  EXPECT_FALSE(queue.maybe_nonempty()) << "the drained queue does not read as empty";
}

TEST(StressStealQueue, FourSlotsEveryItemOnce) { steal_queue_until_exercised<4>(scale(1'000'000)); }
TEST(StressStealQueue, DefaultCapacityEveryItemOnce) { steal_queue_until_exercised<256>(scale(1'000'000)); }

TEST(StressRunQueue, LockfreeEveryItemPoppedOnce) { run_queue_exactly_once<actorlab::sched::LockfreeRunQueue>(scale(1'000'000)); }
TEST(StressRunQueue, SpinListEveryItemPoppedOnce) { run_queue_exactly_once<actorlab::sched::SpinListRunQueue>(scale(1'000'000)); }
TEST(StressRunQueue, LockfreeRecirculate) { run_queue_recirculate<actorlab::sched::LockfreeRunQueue>(64, scale(20'000)); }
TEST(StressRunQueue, SpinListRecirculate) { run_queue_recirculate<actorlab::sched::SpinListRunQueue>(64, scale(20'000)); }

}  // namespace

// ---------------------------------------------------------------------------
// ReturnStack

TEST(StressReturnStack, EveryReturnTakenOnce) {
  constexpr uint32_t kPushers = 3;
  constexpr uint32_t kIdsEach = 8;  // few ids: each goes round many times
  constexpr uint32_t kIds = kPushers * kIdsEach;
  const uint64_t rounds = scale(100'000);
  actorlab::io::ReturnStack stack(kIds);
  // out[id]: 1 while the id is pushed and not yet taken. payload[id]: what
  // the pusher wrote before pushing (plain: the stack must order it).
  std::array<std::atomic<uint32_t>, kIds> out{};
  std::array<uint64_t, kIds> payload{};
  std::array<uint64_t, kIds> taken{};
  std::atomic<bool> pushers_done{false};
  std::vector<std::thread> pushers;
  for (uint32_t p = 0; p < kPushers; ++p) {
    pushers.emplace_back([&, p] {
      for (uint64_t r = 0; r < rounds; ++r) {
        const uint32_t id = p * kIdsEach + static_cast<uint32_t>(r % kIdsEach);
        while (out[id].load(std::memory_order_acquire) != 0) std::this_thread::yield();
        payload[id] = r;
        out[id].store(1, std::memory_order_relaxed);
        stack.push(id);
      }
    });
  }
  uint64_t total = 0, not_out = 0, wrong_payload = 0;
  std::thread done_marker([&] {
    for (auto& t : pushers) t.join();
    pushers_done.store(true, std::memory_order_release);
  });
  const auto deadline = Clock::now() + kGenerousTimeout;
  for (;;) {
    const bool last = pushers_done.load(std::memory_order_acquire);
    total += stack.take_all([&](uint32_t id) {
      if (id >= kIds || out[id].load(std::memory_order_relaxed) != 1) {
        ++not_out;
        return;
      }
      const uint32_t p = id / kIdsEach;
      // The pusher's round for this id: r with r % kIdsEach == id % kIdsEach, in order.
      const uint64_t want = taken[id] * kIdsEach + (id - p * kIdsEach);
      if (payload[id] != want) ++wrong_payload;
      ++taken[id];
      out[id].store(0, std::memory_order_release);
    });
    if (last || Clock::now() > deadline) break;
  }
  done_marker.join();
  EXPECT_EQ(total, rounds * kPushers) << "returns lost or taken twice (or the run timed out)";
  EXPECT_EQ(not_out, 0u) << "an id taken that was not returned";
  EXPECT_EQ(wrong_payload, 0u) << "an id's payload did not match its return (order or hand-off)";
  EXPECT_FALSE(stack.maybe_nonempty());
}

