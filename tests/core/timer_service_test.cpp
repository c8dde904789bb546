// timer_service_test.cpp: the timer thread in a running engine
// (core/timer_service.hpp through Context::timeout / TimerApi).
//
// Guards against: a timeout that arrives before its delay (rounding down to a
// tick, or reading the clock on the wrong side); timeouts out of deadline
// order; a cancel overtaken by the add it follows when the two come from
// different threads (a queue that is FIFO per producer only loses this); a
// lost wake-up of the timer thread (an earlier deadline added while it sleeps)
// or of parked workers (a due timeout must wake them, under every policy); a
// timeout for an exited actor that is delivered or leaks instead of being
// dropped and counted; a timer thread that polls while nothing is pending; and
// pending timers leaked at stop (ASan).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "core/timer_service.hpp"
#include "tests/test_support.hpp"

namespace {

using namespace std::chrono_literals;
using actorlab::core::ActorId;
using actorlab::core::Context;
using actorlab::core::Message;
using actorlab::core::TimerApi;
using testing_support::EngineParam;
using testing_support::engine_params;
using testing_support::make_test_engine;
using testing_support::param_name;
using testing_support::scale;
using testing_support::Tally;
using testing_support::wait_done_or_fail;
using testing_support::wait_until;
namespace core = actorlab::core;
using Clock = std::chrono::steady_clock;

const EngineParam kSkynet = testing_support::preset_param("skynet");

std::unique_ptr<core::Engine> engine_with_tick(std::chrono::nanoseconds tick, const EngineParam& p = kSkynet) {
  return make_test_engine(p, 2, [&](core::Config& c) { c.timer_tick_ns = static_cast<uint64_t>(tick.count()); });
}

// An actor whose behaviour is two lambdas.
class Scripted final : public core::Actor {
 public:
  using StartFn = std::function<void(Context&)>;
  using MessageFn = std::function<void(Context&, Message&)>;
  Scripted(StartFn on_start, MessageFn on_message) : start_(std::move(on_start)), message_(std::move(on_message)) {}
  void on_start(Context& ctx) override {
    if (start_) start_(ctx);
  }
  void on_message(Context& ctx, Message& msg) override {
    if (message_) message_(ctx, msg);
  }

 private:
  StartFn start_;
  MessageFn message_;
};

// ---------------------------------------------------------------------------
// Never early: actors re-arm random delays; each arrival is checked against
// the steady clock read before the timeout was requested.
class NeverEarly : public ::testing::TestWithParam<std::chrono::nanoseconds> {};

TEST_P(NeverEarly, EveryTimeoutArrivesAtOrAfterItsDelayExactlyOnce) {
  constexpr int kActors = 4;
  const uint32_t per_actor = static_cast<uint32_t>(std::max<uint64_t>(20, scale(300)));
  const auto tick = GetParam();
  struct Record {
    Clock::time_point requested;
    std::chrono::nanoseconds delay;
    int arrivals = 0;
    std::chrono::nanoseconds actual{};
  };
  // records[a][session - 1]: written only by actor a (one thread at a time).
  std::vector<std::vector<Record>> records(kActors, std::vector<Record>(per_actor));
  std::atomic<uint64_t> arrivals{0};
  std::atomic<uint64_t> wrong_messages{0};
  std::atomic<uint64_t> refused{0};

  auto engine = engine_with_tick(tick);
  for (int a = 0; a < kActors; ++a) {
    auto rng = std::make_shared<std::mt19937_64>(100 + a);
    auto next = std::make_shared<uint32_t>(1);
    auto& mine = records[a];
    auto arm = [&mine, &refused, rng, next, tick](Context& ctx) {
      const uint32_t session = (*next)++;
      // Delays from 0 to 6 ticks, not multiples of the tick.
      const auto delay = std::chrono::nanoseconds(static_cast<int64_t>((*rng)() % (6 * tick.count() + 1)));
      Record& r = mine[session - 1];
      r.delay = delay;
      r.requested = Clock::now();
      if (!ctx.timeout(delay, session)) refused.fetch_add(1);
    };
    engine->spawn(std::make_unique<Scripted>(
        [arm](Context& ctx) {
          arm(ctx);
          arm(ctx);  // two in flight at once
        },
        [&, arm, next, per_actor](Context& ctx, Message& msg) {
          const auto now = Clock::now();
          if (msg.type != core::kTypeTimeout || msg.source != core::kNoActor || msg.session == 0 ||
              msg.session > per_actor || msg.size() != 0) {
            wrong_messages.fetch_add(1);
            return;
          }
          Record& r = mine[msg.session - 1];
          if (++r.arrivals == 1) r.actual = now - r.requested;
          if (*next <= per_actor) arm(ctx);  // two in flight until the last
          if (arrivals.fetch_add(1) + 1 == uint64_t{kActors} * per_actor) ctx.signal_done();
        }));
  }
  engine->start();
  wait_done_or_fail(*engine, "every timeout");
  std::this_thread::sleep_for(10 * tick);  // a duplicate would arrive by now
  engine->stop();

  EXPECT_EQ(wrong_messages.load(), 0u);
  EXPECT_EQ(refused.load(), 0u);
  uint64_t early = 0, missing = 0, duplicated = 0;
  for (const auto& actor : records)
    for (const Record& r : actor) {
      if (r.arrivals == 0) ++missing;
      if (r.arrivals > 1) ++duplicated;
      if (r.arrivals > 0 && r.actual < r.delay && ++early <= 3)
        ADD_FAILURE() << "early by " << (r.delay - r.actual).count() << " ns (delay " << r.delay.count() << " ns)";
    }
  EXPECT_EQ(early, 0u);
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(duplicated, 0u);
  const auto stats = engine->stats();
  EXPECT_EQ(stats.get("timers_added"), uint64_t{kActors} * per_actor);
  EXPECT_EQ(stats.get("timers_fired"), uint64_t{kActors} * per_actor);
  EXPECT_EQ(stats.get("timers_dropped"), 0u);
  EXPECT_GT(stats.get("timer_late_max_ns"), 0u);
}

INSTANTIATE_TEST_SUITE_P(Ticks, NeverEarly, ::testing::Values(1ms, 50us),
                         [](const auto& info) { return std::to_string(info.param.count()) + "ns"; });

// ---------------------------------------------------------------------------
TEST(TimerService, TimeoutsArriveInDeadlineOrder) {
  // Added in shuffled order within one dispatch; deadlines 3 ticks apart.
  constexpr uint32_t kCount = 40;
  const auto tick = 200us;
  std::vector<uint32_t> arrived;
  auto engine = engine_with_tick(tick);
  engine->spawn(std::make_unique<Scripted>(
      [&](Context& ctx) {
        std::vector<uint32_t> order(kCount);
        for (uint32_t i = 0; i < kCount; ++i) order[i] = i + 1;
        std::shuffle(order.begin(), order.end(), std::mt19937(5));
        for (uint32_t s : order) ctx.timeout(3 * tick * s, s);
      },
      [&](Context& ctx, Message& msg) {
        arrived.push_back(msg.session);
        if (arrived.size() == kCount) ctx.signal_done();
      }));
  engine->start();
  wait_done_or_fail(*engine, "40 timeouts");
  engine->stop();
  ASSERT_EQ(arrived.size(), kCount);
  EXPECT_TRUE(std::is_sorted(arrived.begin(), arrived.end())) << "timeouts out of deadline order";
}

// ---------------------------------------------------------------------------
TEST(TimerService, CancelledTimeoutsNeverArriveOthersDo) {
  // Sessions 1..N: even ones cancelled in the same dispatch; those = 1 mod 4
  // cancelled from a later dispatch (possibly on another worker). Their
  // delays are long (300+ ms) so "already due when cancelled" cannot happen.
  constexpr uint32_t kCount = 200;
  constexpr uint32_t kCancelLater = core::kFirstUserType;
  constexpr uint32_t kEndSession = 100'000;
  std::vector<int> arrivals(kCount + 1, 0);
  bool end_seen = false;
  auto engine = engine_with_tick(1ms);
  engine->spawn(std::make_unique<Scripted>(
      [&](Context& ctx) {
        for (uint32_t s = 1; s <= kCount; ++s) {
          const bool short_one = s % 4 == 3;
          ctx.timeout(short_one ? std::chrono::milliseconds(s % 20) : 300ms + std::chrono::milliseconds(s % 50), s);
        }
        for (uint32_t s = 2; s <= kCount; s += 2) ctx.cancel_timeout(s);
        ctx.cancel_timeout(999);  // nothing pending: harmless
        ctx.send(ctx.self(), kCancelLater, uint8_t{0});
        ctx.timeout(500ms, kEndSession);
      },
      [&](Context& ctx, Message& msg) {
        if (msg.type == kCancelLater) {
          for (uint32_t s = 1; s <= kCount; s += 4) ctx.cancel_timeout(s);
          return;
        }
        if (msg.session == kEndSession) {
          end_seen = true;
          ctx.signal_done();
        } else if (msg.session <= kCount) {
          ++arrivals[msg.session];
        }
      }));
  engine->start();
  wait_done_or_fail(*engine, "the end timeout");
  engine->stop();
  ASSERT_TRUE(end_seen);
  for (uint32_t s = 1; s <= kCount; ++s) EXPECT_EQ(arrivals[s], s % 4 == 3 ? 1 : 0) << "session " << s;
  const auto stats = engine->stats();
  EXPECT_EQ(stats.get("timers_cancelled"), kCount - kCount / 4);
  EXPECT_EQ(stats.get("timers_fired"), kCount / 4 + 1);
}

// ---------------------------------------------------------------------------
// An actor that adds three timeouts in on_start and exits in the same turn;
// its destructor (which runs after retire() has cleared the owner id) records
// when it ran, so the test knows whether the exit preceded a deadline.
class ExitsWithTimeouts final : public core::Actor {
 public:
  ExitsWithTimeouts(std::chrono::milliseconds later, std::atomic<int64_t>& started_ns, std::atomic<int64_t>& destroyed_ns,
                    std::atomic<int>& delivered)
      : later_(later), started_ns_(started_ns), destroyed_ns_(destroyed_ns), delivered_(delivered) {}
  ~ExitsWithTimeouts() override { destroyed_ns_.store(Clock::now().time_since_epoch().count()); }
  void on_start(Context& ctx) override {
    started_ns_.store(Clock::now().time_since_epoch().count());
    ctx.timeout(0ms, 1);  // due at the next tick: it may fire before the exit
    ctx.timeout(later_, 2);
    ctx.timeout(later_, 3);
    ctx.exit();
  }
  void on_message(Context&, Message&) override { delivered_.fetch_add(1); }

 private:
  std::chrono::milliseconds later_;
  std::atomic<int64_t>& started_ns_;
  std::atomic<int64_t>& destroyed_ns_;
  std::atomic<int>& delivered_;
};

// Every timeout of an exited actor is dropped and counted, never delivered.
// The 0 ms one races the exit: if the timer thread sends it before retire(),
// it is counted as fired and dies as a dead letter with the actor; either way
// on_message never runs. The two later ones are due after the exit whenever
// the actor was destroyed before their delay ran out from on_start (a run
// where a stalled machine delayed the exit past that is repeated).
TEST(TimerService, TimeoutForAnExitedActorIsDroppedAndCounted) {
  constexpr auto kLater = 50ms;
  constexpr int kAttempts = 5;
  int conclusive = 0;
  for (int attempt = 0; attempt < kAttempts && conclusive == 0; ++attempt) {
    std::atomic<int64_t> started_ns{0}, destroyed_ns{0};
    std::atomic<int> delivered{0};
    auto engine = engine_with_tick(1ms);
    engine->spawn(std::make_unique<ExitsWithTimeouts>(kLater, started_ns, destroyed_ns, delivered));
    engine->start();
    EXPECT_TRUE(wait_until([&] {
      const auto s = engine->stats();
      return s.get("timers_dropped") + s.get("timers_fired") == 3;
    })) << "dropped " << engine->stats().get("timers_dropped") << ", fired " << engine->stats().get("timers_fired");
    engine->stop();
    const auto stats = engine->stats();
    EXPECT_EQ(stats.get("timers_added"), 3u);
    EXPECT_EQ(stats.get("timers_dropped") + stats.get("timers_fired"), 3u);
    EXPECT_EQ(delivered.load(), 0) << "a timeout reached an actor that had exited";
    const bool exit_preceded_deadline =
        destroyed_ns.load() != 0 && destroyed_ns.load() - started_ns.load() < std::chrono::nanoseconds(kLater).count();
    if (!exit_preceded_deadline) continue;
    ++conclusive;
    EXPECT_GE(stats.get("timers_dropped"), 2u) << "the timeouts due after the exit were not dropped";
    EXPECT_LE(stats.get("timers_fired"), 1u);
  }
  EXPECT_EQ(conclusive, 1) << "in " << kAttempts << " runs the exit never finished within " << kLater.count()
                           << " ms of on_start";
}

// ---------------------------------------------------------------------------
// A due timeout wakes an engine whose workers are all parked, under every
// composition whose workers park (idle spin never does).
class TimerWake : public ::testing::TestWithParam<EngineParam> {};

TEST_P(TimerWake, TimeoutWakesAllParkedWorkers) {
  const auto delay = 200ms;
  Clock::time_point requested;
  auto engine = make_test_engine(GetParam(), 2);
  engine->spawn(std::make_unique<Scripted>(
      [&](Context& ctx) {
        requested = Clock::now();
        ctx.timeout(delay, 7);
      },
      [&](Context& ctx, Message& msg) {
        if (msg.type == core::kTypeTimeout && msg.session == 7)
          ctx.signal_done(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - requested).count());
      }));
  engine->start();
  // Both workers park once on_start has run (nothing else to do).
  ASSERT_TRUE(wait_until([&] { return engine->stats().get("parks") >= 2; }, 150ms))
      << "workers did not park; parks=" << engine->stats().get("parks");
  const uint64_t parks_before = engine->stats().get("parks");
  const int64_t elapsed = wait_done_or_fail(*engine, "the timeout to wake a parked worker");
  EXPECT_GE(elapsed, std::chrono::nanoseconds(delay).count());
  // Counted when the turn ends, just after signal_done: start + timeout.
  EXPECT_TRUE(wait_until([&] { return engine->stats().get("messages") >= 2; }));
  engine->stop();
  EXPECT_GE(parks_before, 2u);
}

INSTANTIATE_TEST_SUITE_P(Policies, TimerWake, ::testing::ValuesIn(testing_support::parking_engine_params()),
                         param_name);

// ---------------------------------------------------------------------------
TEST(TimerService, ConcurrentAddAndCancelFromManyThreadsLosesNothing) {
  // Producer threads add timeouts for one collector actor, straight through
  // TimerApi. Of each three: one is kept (short delay), one is cancelled by
  // the same thread right after, one is cancelled by a partner thread after
  // a release/acquire hand-off (the add happens-before the cancel, but from
  // another producer). Kept ones arrive exactly once, cancelled ones never.
  constexpr int kProducers = 3;
  const uint32_t per = static_cast<uint32_t>(std::max<uint64_t>(300, scale(30'000))) / 3 * 3;
  const uint32_t total = kProducers * per;
  std::vector<uint8_t> seen(total + 1, 0);  // collector only
  Tally received_kept, received_cancelled;
  auto engine = engine_with_tick(1ms);
  const ActorId collector = engine->spawn(std::make_unique<Scripted>(nullptr, [&](Context&, Message& msg) {
    if (msg.type != core::kTypeTimeout || msg.session == 0 || msg.session > total) return;
    ++seen[msg.session];
    if ((msg.session - 1) % 3 == 0)
      received_kept.add();
    else
      received_cancelled.add();
  }));
  engine->start();
  TimerApi* timers = engine->runtime().timers();
  ASSERT_NE(timers, nullptr);

  std::vector<std::unique_ptr<std::atomic<uint8_t>[]>> added(kProducers);
  for (auto& a : added) a = std::make_unique<std::atomic<uint8_t>[]>(per);
  std::atomic<uint64_t> refused{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {  // producer
      std::mt19937 rng(p);
      for (uint32_t i = 0; i < per; ++i) {
        const uint32_t session = p * per + i + 1;
        const bool kept = i % 3 == 0;
        const auto delay = kept ? std::chrono::microseconds(rng() % 3000) : 400ms;
        if (!timers->add(collector, delay, session)) refused.fetch_add(1);
        if (i % 3 == 1) timers->cancel(collector, session);
        added[p][i].store(1, std::memory_order_release);  // pairs with the partner's acquire
      }
    });
    threads.emplace_back([&, p] {  // partner: cancels p's sessions = 2 mod 3
      for (uint32_t i = 2; i < per; i += 3) {
        while (added[p][i].load(std::memory_order_acquire) == 0) std::this_thread::yield();
        timers->cancel(collector, p * per + i + 1);
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto all_added = Clock::now();
  EXPECT_EQ(refused.load(), 0u);
  EXPECT_TRUE(wait_until([&] { return received_kept.get() == total / 3; }))
      << "kept timeouts arrived: " << received_kept.get() << " of " << total / 3;
  // Past every cancelled deadline (400 ms after its add) with margin.
  std::this_thread::sleep_until(all_added + 450ms);
  EXPECT_TRUE(wait_until([&] { return engine->stats().get("timers_pending") == 0; }, 2s));
  engine->stop();
  EXPECT_EQ(received_cancelled.get(), 0u) << "cancelled timeouts arrived";
  uint64_t duplicates = 0;
  for (uint32_t s = 1; s <= total; ++s) duplicates += seen[s] > 1;
  EXPECT_EQ(duplicates, 0u);
  const auto stats = engine->stats();
  EXPECT_EQ(stats.get("timers_added"), total);
  EXPECT_EQ(stats.get("timers_fired"), total / 3);
  EXPECT_EQ(stats.get("timers_cancelled"), total - total / 3);
  EXPECT_EQ(stats.get("timers_discarded_at_stop"), 0u);
}

// ---------------------------------------------------------------------------
TEST(TimerService, IdleTimerThreadParksInsteadOfPolling) {
  auto engine = engine_with_tick(std::chrono::microseconds(10));  // a 10 us tick would poll hard
  engine->start();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(engine->stats().get("timer_wakeups"), 0u) << "woke with nothing pending";

  // One timeout far away (2 s = 200,000 ticks): a few wake-ups to cascade, not one per tick.
  TimerApi* timers = engine->runtime().timers();
  const ActorId sink = engine->spawn(std::make_unique<Scripted>(nullptr, nullptr));
  ASSERT_TRUE(timers->add(sink, 2s, 1));
  std::this_thread::sleep_for(100ms);
  EXPECT_LE(engine->stats().get("timer_wakeups"), 6u);
  engine->stop();
}

// ---------------------------------------------------------------------------
TEST(TimerService, StopFreesAndCountsPendingTimersAndRefusesNewOnes) {
  const uint32_t kPending = 1000;
  auto engine = engine_with_tick(1ms);
  engine->spawn(std::make_unique<Scripted>(
      [&](Context& ctx) {
        for (uint32_t s = 1; s <= kPending; ++s) ctx.timeout(std::chrono::seconds(10 + s % 100), s);
        ctx.timeout(0ms, 0);
        ctx.signal_done();
      },
      nullptr));
  engine->start();
  wait_done_or_fail(*engine, "on_start");
  TimerApi* timers = engine->runtime().timers();
  const auto before = Clock::now();
  engine->stop();  // the timer thread sleeps for ~10 s: stop must wake it
  EXPECT_LT(Clock::now() - before, 2s);
  EXPECT_FALSE(timers->add(ActorId::from_value(1), 1ms, 1));
  const auto stats = engine->stats();
  EXPECT_EQ(stats.get("timers_added"), kPending + 1);
  EXPECT_EQ(stats.get("timers_fired") + stats.get("timers_dropped") + stats.get("timers_discarded_at_stop"),
            kPending + 1);
  EXPECT_GE(stats.get("timers_discarded_at_stop"), kPending);
  EXPECT_EQ(stats.get("timers_refused"), 1u);
  EXPECT_EQ(stats.get("timers_pending"), 0u);
}

TEST(TimerService, EveryEngineHasTimersWithTheConfiguredTick) {
  auto engine = engine_with_tick(250us);
  auto* service = dynamic_cast<core::TimerService*>(engine->runtime().timers());
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->tick(), 250us);
}

}  // namespace
