// timer_wheel_test.cpp: the timing wheel alone (core/timer_wheel.hpp), against
// a reference model: every entry fires exactly once, on the tick equal to its
// deadline (never before), in deadline order and in the order added within a
// tick; cancelled entries never fire. Deadlines are drawn over ranges that
// reach every level and the overflow list, and start ticks sit just before
// 2^8, 2^14, ... 2^32 boundaries, where cascading and wrapping go wrong first.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include "core/timer_wheel.hpp"
#include "tests/test_support.hpp"

namespace {

using actorlab::core::ActorId;
using actorlab::core::TimerEntry;
using actorlab::core::TimerWheel;
using testing_support::scale;

struct Expected {
  uint64_t deadline;
  uint32_t id;  // order added
};

// Fires everything up to `until` in random steps and checks the fired
// sequence equals `expected` sorted by (deadline, order added).
void advance_and_check(TimerWheel& wheel, std::vector<Expected> expected, uint64_t until, std::mt19937_64& rng,
                       uint64_t max_step) {
  std::sort(expected.begin(), expected.end(), [](const Expected& a, const Expected& b) {
    return a.deadline != b.deadline ? a.deadline < b.deadline : a.id < b.id;
  });
  std::size_t next = 0;
  uint64_t off_tick = 0, wrong = 0;
  auto fire = [&](const TimerEntry& e) {
    if (e.deadline != wheel.now()) ++off_tick;  // early, or late: a missed tick
    if (next >= expected.size() || expected[next].id != e.session || expected[next].deadline != e.deadline)
      ++wrong;
    ++next;
  };
  while (wheel.now() < until) {
    // Steps of every size, from one tick to max_step.
    const uint64_t step = 1 + rng() % std::min(max_step, uint64_t{1} << (rng() % 40));
    wheel.advance_to(std::min(until, wheel.now() + step), fire);
    ASSERT_EQ(off_tick, 0u) << "an entry fired on a tick other than its deadline (now " << wheel.now() << ")";
    ASSERT_EQ(wrong, 0u) << "fired out of order or an unexpected entry, at position " << next;
  }
  EXPECT_EQ(next, expected.size()) << "entries never fired";
  EXPECT_TRUE(wheel.empty());
  EXPECT_EQ(wheel.next_event_tick(), TimerWheel::kNoEvent);
}

TEST(TimerWheel, FiresOnItsDeadlineTickInOrderAcrossEveryLevel) {
  std::mt19937_64 rng(42);
  // Start just below each level boundary, at 0 and at a random 64-bit tick.
  const std::vector<uint64_t> starts = {0, 250, (1u << 14) - 3, (1u << 20) - 2, (1u << 26) - 1,
                                        (uint64_t{1} << 32) - 7, 0x1234'5678'9abcull};
  for (uint64_t start : starts) {
    SCOPED_TRACE("start tick " + std::to_string(start));
    TimerWheel wheel(start);
    std::vector<Expected> expected;
    const uint32_t n = static_cast<uint32_t>(scale(20'000));
    for (uint32_t id = 0; id < n; ++id) {
      // Spread over every level: a random bit width, then a random value of that width.
      const unsigned bits = 1 + static_cast<unsigned>(rng() % 34);
      const uint64_t delay = 1 + rng() % (uint64_t{1} << bits);
      wheel.add(ActorId::from_value(1 + id % 7), id, start + delay);
      expected.push_back({start + delay, id});
    }
    // Several entries on one tick: they fire in the order added.
    for (uint32_t id = n; id < n + 10; ++id) {
      wheel.add(ActorId::from_value(3), id, start + 300);
      expected.push_back({start + 300, id});
    }
    ASSERT_EQ(wheel.size(), expected.size());
    uint64_t until = start;
    for (const auto& e : expected) until = std::max(until, e.deadline);
    // The wheel skips empty time, so even 2^34 ticks take few steps.
    advance_and_check(wheel, expected, until, rng, uint64_t{1} << 30);
  }
}

TEST(TimerWheel, OneMillionPendingTimersEachFireOnceInDeadlineOrder) {
  // The scale: 1,000,000 pending at once, deadlines over 2^33 ticks
  // (all four levels and the overflow list), then one advance through all.
  std::mt19937_64 rng(7);
  const uint32_t n = static_cast<uint32_t>(scale(1'000'000));
  const uint64_t start = 12345;
  TimerWheel wheel(start);
  std::vector<uint64_t> deadline_of(n);
  for (uint32_t id = 0; id < n; ++id) {
    const unsigned bits = 1 + static_cast<unsigned>(rng() % 33);
    deadline_of[id] = start + 1 + rng() % (uint64_t{1} << bits);
    wheel.add(ActorId::from_value(1 + (id & 1023)), id, deadline_of[id]);
  }
  ASSERT_EQ(wheel.size(), n);
  // Pool (32 B) + index (16 B slots at load <= 1/2): about 64 bytes per timer.
  EXPECT_LE(wheel.memory_bytes(), std::size_t{n} * 80 + (1u << 20)) << "memory per pending timer grew";

  std::vector<uint8_t> fired(n, 0);
  uint64_t last = 0, out_of_order = 0, not_on_deadline = 0, duplicates = 0, total = 0;
  const auto t0 = std::chrono::steady_clock::now();
  wheel.advance_to(start + (uint64_t{1} << 34), [&](const TimerEntry& e) {
    if (e.deadline < last) ++out_of_order;
    last = e.deadline;
    if (e.deadline != wheel.now() || deadline_of[e.session] != e.deadline) ++not_on_deadline;
    if (fired[e.session]++ != 0) ++duplicates;
    ++total;
  });
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(total, n);
  EXPECT_EQ(duplicates, 0u);
  EXPECT_EQ(out_of_order, 0u);
  EXPECT_EQ(not_on_deadline, 0u);
  EXPECT_EQ(std::count(fired.begin(), fired.end(), 0), 0) << "some timers never fired";
  EXPECT_TRUE(wheel.empty());
  EXPECT_LT(elapsed, std::chrono::seconds(20)) << "advancing through 1M timers is far too slow";
}

TEST(TimerWheel, CancelRemovesEveryEntryOfTheKeyAndNothingElse) {
  std::mt19937_64 rng(3);
  TimerWheel wheel(100);
  std::vector<Expected> expected;
  const uint32_t n = static_cast<uint32_t>(scale(10'000));
  // Key (owner, session) = (1 + id % 16, id / 3): three entries per key.
  for (uint32_t id = 0; id < n; ++id) {
    const uint64_t deadline = 101 + rng() % 100'000;
    wheel.add(ActorId::from_value(1 + id % 16), id, deadline);  // session = id (unique key)
    wheel.add(ActorId::from_value(100), id / 3, deadline);      // shared keys on owner 100
  }
  // Cancel every even unique key, and every shared key divisible by 5.
  std::size_t cancelled = 0;
  for (uint32_t id = 0; id < n; id += 2) cancelled += wheel.cancel(ActorId::from_value(1 + id % 16), id);
  std::size_t shared_cancelled = 0;
  for (uint32_t k = 0; k <= n / 3; k += 5) shared_cancelled += wheel.cancel(ActorId::from_value(100), k);
  EXPECT_EQ(cancelled, (n + 1) / 2);
  EXPECT_EQ(wheel.cancel(ActorId::from_value(1), 0), 0u) << "a second cancel found something";
  EXPECT_EQ(wheel.cancel(ActorId::from_value(999), 1), 0u);

  uint64_t fired_cancelled = 0, fired_unique = 0, fired_shared = 0;
  wheel.advance_to(200'000, [&](const TimerEntry& e) {
    if (e.owner.value() == 100) {
      ++fired_shared;
      if (e.session % 5 == 0) ++fired_cancelled;
    } else {
      ++fired_unique;
      if (e.session % 2 == 0) ++fired_cancelled;
    }
  });
  EXPECT_EQ(fired_cancelled, 0u);
  EXPECT_EQ(fired_unique, n - (n + 1) / 2);
  EXPECT_EQ(fired_shared + shared_cancelled, n);
  EXPECT_TRUE(wheel.empty());
}

TEST(TimerWheel, CancelAfterSomeOfTheKeyFiredRemovesTheRest) {
  TimerWheel wheel(0);
  const ActorId owner = ActorId::from_value(5);
  for (uint64_t d = 1; d <= 10; ++d) wheel.add(owner, 7, d * 100);
  int fired = 0;
  wheel.advance_to(450, [&](const TimerEntry&) { ++fired; });
  EXPECT_EQ(fired, 4);
  EXPECT_EQ(wheel.cancel(owner, 7), 6u);
  wheel.advance_to(2000, [&](const TimerEntry&) { ++fired; });
  EXPECT_EQ(fired, 4);
  EXPECT_TRUE(wheel.empty());
}

TEST(TimerWheel, PastDeadlineIsDueOnTheNextTickAndNextEventIsALowerBound) {
  TimerWheel wheel(1000);
  wheel.add(ActorId::from_value(1), 1, 5);     // in the past
  wheel.add(ActorId::from_value(1), 2, 1000);  // now
  EXPECT_EQ(wheel.next_event_tick(), 1001u);
  std::vector<uint32_t> order;
  wheel.advance_to(1001, [&](const TimerEntry& e) { order.push_back(e.session); });
  EXPECT_EQ(order, (std::vector<uint32_t>{1, 2}));

  // A far entry: next_event_tick never lies beyond it, and advancing to just
  // before it fires nothing.
  const uint64_t far = 1001 + 5'000'000;
  wheel.add(ActorId::from_value(1), 3, far);
  while (true) {
    const uint64_t next = wheel.next_event_tick();
    ASSERT_LE(next, far);
    if (next == far) break;
    int fired = 0;
    wheel.advance_to(next, [&](const TimerEntry&) { ++fired; });
    ASSERT_EQ(fired, 0) << "fired before its deadline at " << next;
  }
  int fired = 0;
  wheel.advance_to(far - 1, [&](const TimerEntry&) { ++fired; });
  EXPECT_EQ(fired, 0);
  wheel.advance_to(far, [&](const TimerEntry&) { ++fired; });
  EXPECT_EQ(fired, 1);
}

TEST(TimerWheel, FireMayReArmAndCancel) {
  // A callback that adds (a periodic timer) and cancels (another key) while
  // the wheel walks its lists.
  TimerWheel wheel(0);
  const ActorId owner = ActorId::from_value(9);
  wheel.add(owner, 1, 10);
  wheel.add(owner, 2, 10);  // cancelled by the first one's callback
  wheel.add(owner, 3, 10'000);
  std::vector<uint64_t> ticks;
  int fired_two = 0;
  wheel.advance_to(5'000, [&](const TimerEntry& e) {
    if (e.session == 2) ++fired_two;
    if (e.session != 1) return;
    ticks.push_back(wheel.now());
    wheel.cancel(owner, 2);
    wheel.add(owner, 1, wheel.now() + 700);  // re-arm
  });
  EXPECT_EQ(fired_two, 0);
  ASSERT_EQ(ticks.size(), 8u);  // 10, 710, ..., 4910
  for (std::size_t i = 0; i < ticks.size(); ++i) EXPECT_EQ(ticks[i], 10 + 700 * i);
  EXPECT_EQ(wheel.size(), 2u);
  wheel.clear();
  EXPECT_TRUE(wheel.empty());
  EXPECT_EQ(wheel.cancel(owner, 3), 0u);
}

}  // namespace
