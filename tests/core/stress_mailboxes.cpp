// stress_mailboxes.cpp: the mailbox kinds (LockfreeMailbox, SpinRingMailbox,
// SegmentedMailbox) on their own, driven by raw std::threads, without the
// runtime around them. Producers push sequence-numbered messages; one
// consumer pops the way a worker does (only while it holds the activation, a
// batch at a time, then try_set_idle()).
// Targets: a message lost, duplicated or reordered per producer; the
// activation bit: push() must return true exactly once per idle transition
// (never while the consumer holds the mailbox: a double run; never missing:
// a lost wake-up, seen here as messages nobody will pop); with an activator
// thread calling the lockfree kind's try_activate() (a start folded into the
// cell), its wins count alike. The in-flight bound keeps the spinring at its
// first 4-8 slots, so wrap and grow are reached, and moves the segmented
// kind across its block edges (capacities 1, 4, 16, 32 after each idle
// period, then recycled 32-slot blocks) many times.
// Threads: 3 producers + 1 consumer; 1-2 producers + 1 activator + 1
// consumer.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/mailbox_lockfree.hpp"
#include "core/mailbox_segmented.hpp"
#include "core/mailbox_spinring.hpp"
#include "tests/test_support.hpp"

using namespace testing_support;
using actorlab::core::LockfreeMailbox;
using actorlab::core::Message;
using actorlab::core::SegmentedMailbox;
using actorlab::core::SpinRingMailbox;
using Clock = std::chrono::steady_clock;

namespace {

struct Item {
  uint32_t producer;
  uint32_t pad;
  uint64_t seq;
};

struct MailboxVerdict {
  uint64_t popped = 0, gaps = 0, backwards = 0, bad = 0;
  uint64_t idles = 0;           // successful try_set_idle()
  uint64_t false_wakes = 0;     // push() said "was idle" while the consumer held the mailbox
  bool stalled = false;         // messages left but nobody was told to pop them
  bool stuck = false;           // held, not idle, yet nothing to pop for 10 s
  std::atomic<uint64_t> activations{0};      // push() returned true
  std::atomic<uint64_t> double_activations{0};
};

// activator: one more thread takes the activation without a message
// (try_activate(), a folded start) whenever it finds the mailbox idle; its
// wins count as activations like a push's.
template <class MB>
void mailbox_stress(uint64_t total, int producers, uint64_t max_in_flight, bool activator = false) {
  SCOPED_TRACE(std::string(MB::kName) + " total=" + std::to_string(total) + " in_flight<=" +
               std::to_string(max_in_flight) + (activator ? " with an activator" : ""));
  static_assert(actorlab::core::Mailbox<MB>);
  auto mb = std::make_unique<MB>();
  const uint64_t per = total / producers;
  total = per * producers;
  MailboxVerdict v;
  // owner: 1 while the consumer holds the activation (the "running" state).
  std::atomic<int> owner{0};
  std::atomic<uint64_t> pushed{0}, popped{0};
  std::atomic<bool> abort{false};  // set when the consumer gives up, so producers stop waiting
  std::atomic<int> producers_done{0};
  std::atomic<uint64_t> message_free_activations{0};

  std::vector<std::thread> threads;
  if constexpr (requires { mb->try_activate(); }) {
    if (activator)
      threads.emplace_back([&] {
        while (producers_done.load(std::memory_order_relaxed) < producers && !abort.load(std::memory_order_relaxed)) {
          if (mb->try_activate()) {
            v.activations.fetch_add(1, std::memory_order_relaxed);
            message_free_activations.fetch_add(1, std::memory_order_relaxed);
            if (owner.exchange(1, std::memory_order_acq_rel) != 0)
              v.double_activations.fetch_add(1, std::memory_order_relaxed);
          }
          std::this_thread::yield();
        }
      });
  }
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      for (uint64_t i = 0; i < per; ++i) {
        while (pushed.load(std::memory_order_relaxed) - popped.load(std::memory_order_relaxed) >= max_in_flight) {
          if (abort.load(std::memory_order_relaxed)) return;
          std::this_thread::yield();
        }
        // Messages 5 of every 8 inline, the rest on the heap (> 32 bytes).
        Message m = (i & 7) < 5 ? Message::of(1, Item{uint32_t(p), 0, i})
                                : Message::of(1, std::array<Item, 3>{Item{uint32_t(p), 0, i}, {}, {}});
        pushed.fetch_add(1, std::memory_order_relaxed);
        if (mb->push(std::move(m))) {
          v.activations.fetch_add(1, std::memory_order_relaxed);
          // acq_rel: hands the mailbox to the consumer (acquire in its wait).
          if (owner.exchange(1, std::memory_order_acq_rel) != 0)
            v.double_activations.fetch_add(1, std::memory_order_relaxed);
        }
      }
      producers_done.fetch_add(1, std::memory_order_relaxed);
    });
  }

  std::vector<uint64_t> next(producers, 0);
  Message m;
  uint64_t turn = 0;
  while (v.popped < total) {
    // Wait to be handed the mailbox. No hand-off for 10 s with messages
    // outstanding is a lost wake-up (all pushes since the last idle said
    // "not idle", or producers wait on the in-flight bound for us).
    const auto give_up = Clock::now() + std::chrono::seconds(10);
    while (owner.load(std::memory_order_acquire) != 1 && Clock::now() < give_up) std::this_thread::yield();
    if (owner.load(std::memory_order_acquire) != 1) {
      v.stalled = true;
      abort.store(true, std::memory_order_relaxed);
      break;
    }
    // Holding the mailbox, pops that fail for 10 s while try_set_idle()
    // also fails mean a claimed slot that never reads as ready: a lost message.
    auto stuck_after = Clock::now() + std::chrono::seconds(10);
    for (;;) {
      const uint64_t budget = 1 + mix(++turn) % 48;  // like a worker's batch
      const uint64_t popped_before = v.popped;
      for (uint64_t n = 0; n < budget && mb->pop(m); ++n) {
        const auto item = m.as<Item>();
        if (item.producer >= uint32_t(producers) || m.type != 1) {
          ++v.bad;
        } else {
          if (item.seq > next[item.producer]) ++v.gaps;
          else if (item.seq < next[item.producer]) ++v.backwards;
          next[item.producer] = item.seq + 1;
        }
        ++v.popped;
        popped.fetch_add(1, std::memory_order_relaxed);
      }
      // Give the activation up before try_set_idle(): once it succeeds a
      // producer may be handed the mailbox at once.
      owner.store(0, std::memory_order_release);
      if (mb->try_set_idle()) {
        ++v.idles;
        break;
      }
      // Still ours: nobody may have been told "was idle" meanwhile.
      if (owner.exchange(1, std::memory_order_acq_rel) != 0) ++v.false_wakes;
      if (v.popped != popped_before) {
        stuck_after = Clock::now() + std::chrono::seconds(10);
      } else if (Clock::now() > stuck_after) {
        v.stuck = true;
        break;
      }
    }
    if (v.stuck) {
      abort.store(true, std::memory_order_relaxed);
      break;
    }
  }
  for (auto& t : threads) t.join();
  // An activation without a message after the last pop: the consumer holds
  // an empty mailbox and gives it up.
  if (!v.stalled && !v.stuck && owner.exchange(0, std::memory_order_acq_rel) == 1 && mb->try_set_idle()) ++v.idles;

  EXPECT_FALSE(v.stalled) << "lost wake-up: " << total - v.popped << " messages queued, mailbox never handed over";
  EXPECT_FALSE(v.stuck) << "lost message: the mailbox will not go idle, yet pops find nothing for 10 s ("
                        << total - v.popped << " not popped)";
  EXPECT_EQ(v.popped, total);
  EXPECT_EQ(v.gaps, 0u) << "lost or reordered";
  EXPECT_EQ(v.backwards, 0u) << "duplicated or reordered";
  EXPECT_EQ(v.bad, 0u) << "corrupted message";
  EXPECT_EQ(v.double_activations.load(), 0u) << "push() said 'was idle' twice for one idle period";
  EXPECT_EQ(v.false_wakes, 0u) << "push() said 'was idle' while the consumer held the mailbox";
  EXPECT_EQ(v.activations.load(), v.idles) << "one 'was idle' per idle transition";
  EXPECT_GT(v.idles, 1u) << "the mailbox never went idle mid-run: the test was vacuous";
  if (activator) EXPECT_GT(message_free_activations.load(), 0u) << "try_activate() never won: vacuous";
  Message left;
  EXPECT_FALSE(mb->pop(left));
  ::testing::Test::RecordProperty(std::string(MB::kName) + "_idle_transitions", static_cast<int>(v.idles));
}

TEST(StressMailbox, LockfreeActivationAndOrder) {
  mailbox_stress<LockfreeMailbox>(scale(2'000'000), 3, 256);
  mailbox_stress<LockfreeMailbox>(scale(500'000), 3, 4);
}
// Target: try_activate() (the folded start) winning while a push also saw
// the idle bit (a double run), or taking the bit of a non-empty mailbox.
TEST(StressMailbox, LockfreeActivationWithoutAMessage) {
  mailbox_stress<LockfreeMailbox>(scale(500'000), 2, 4, /*activator=*/true);
  mailbox_stress<LockfreeMailbox>(scale(500'000), 1, 1, /*activator=*/true);
}
TEST(StressMailbox, SpinRingActivationAndOrder) {
  mailbox_stress<SpinRingMailbox>(scale(2'000'000), 3, 256);
  mailbox_stress<SpinRingMailbox>(scale(500'000), 3, 4);
}

// Target (segmented): a claim at a block edge (the installer's slot 0 of the
// next block, the waiters behind it) lost, duplicated or reordered; an
// in-flight bound of 4 and of 33 puts the edge inside a turn, 1 producer
// checks plain FIFO and N the installer race.
TEST(StressMailbox, SegmentedActivationAndOrder) {
  mailbox_stress<SegmentedMailbox>(scale(2'000'000), 3, 256);
  mailbox_stress<SegmentedMailbox>(scale(500'000), 3, 4);
  mailbox_stress<SegmentedMailbox>(scale(500'000), 4, 33);
  mailbox_stress<SegmentedMailbox>(scale(1'000'000), 1, 256);
  mailbox_stress<SegmentedMailbox>(scale(300'000), 1, 2);
}

// Target (segmented, one thread): every backlog length from 0 to 200 across
// the 1/4/16/32 growth, the spare's reuse, the rewind of a kept small block
// (stale sequence words read as ready would return old messages) and the
// release path: pops return every message in order, size_hint() is exact at
// rest, the block edge never reads as empty, and try_set_idle() fails while
// anything is queued and succeeds once drained (then the next push is the
// one that reports "was idle").
TEST(StressMailbox, SegmentedBlockEdgesOneThread) {
  SegmentedMailbox mb;
  uint64_t seq = 0, expect = 0;
  for (uint64_t n = 0; n <= 200; ++n) {
    for (uint64_t i = 0; i < n; ++i) {
      const bool was_idle = mb.push(Message::of(1, seq++));
      ASSERT_EQ(was_idle, i == 0) << "backlog " << n << " push " << i;
      ASSERT_EQ(mb.size_hint(), i + 1) << "backlog " << n;
    }
    if (n > 0) {
      ASSERT_FALSE(mb.try_set_idle()) << "idle with " << n << " queued";
    }
    Message m;
    for (uint64_t i = 0; i < n; ++i) {
      ASSERT_TRUE(mb.pop(m)) << "backlog " << n << " pop " << i;
      ASSERT_EQ(m.as<uint64_t>(), expect++);
      ASSERT_EQ(mb.size_hint(), n - i - 1);
    }
    ASSERT_FALSE(mb.pop(m));
    if (n > 0) {
      ASSERT_TRUE(n % 3 == 0 ? mb.try_set_idle_and_release() : mb.try_set_idle()) << "drained backlog " << n;
    }
  }
}

// Target: the destructor of a mailbox that still holds messages (inline and
// heap) must release them (LSan checks the heap payloads of new/malloc'd
// kinds; this at least runs the path).
TEST(StressMailbox, DestroyedWithMessagesQueued) {
  for (int k = 0; k < 2; ++k) {
    auto lf = std::make_unique<LockfreeMailbox>();
    auto sr = std::make_unique<SpinRingMailbox>();
    auto sg = std::make_unique<SegmentedMailbox>();
    for (uint64_t i = 0; i < 100; ++i) {
      lf->push(Message::of(1, std::array<uint64_t, 8>{i}));
      sr->push(Message::of(1, std::array<uint64_t, 8>{i}));
      sg->push(Message::of(1, std::array<uint64_t, 8>{i}));
      lf->push(Message::of(1, i));
      sr->push(Message::of(1, i));
      sg->push(Message::of(1, i));
    }
    Message m;
    ASSERT_TRUE(lf->pop(m));
    ASSERT_TRUE(sr->pop(m));
    for (int i = 0; i < 70; ++i) ASSERT_TRUE(sg->pop(m));  // past the 1, 4, 16, 32 blocks: a spare is held
  }
}

}  // namespace
