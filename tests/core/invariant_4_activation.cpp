// invariant_4_activation.cpp: DESIGN invariant 4: an actor with a non-empty
// mailbox is running or in exactly one run queue; never both, never neither.
// Targets: the lost wake-up (a push lands between the worker's last failed pop
// and its try_set_idle, and neither side schedules the actor: its messages sit
// forever) and the double run (both sides schedule it: the actor is in a queue
// while it runs, so two workers run it together, or it sits in the queue twice).
// Both are provoked by many short bursts to many actors, so that actors go
// idle and wake up again and again, with pushes from outside (raw threads,
// the main thread) and from inside (actors forwarding with a TTL).
// Observable effects: a round that never completes (lost wake-up), an actor
// whose on_message overlaps itself (double run), and at the end anything
// still queued (dropped_at_stop) or stats "messages" different from what the
// actors counted.
// Threads: the engine's 2 workers, plus 2 raw std::threads in the second test.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/test_support.hpp"

using namespace testing_support;
using actorlab::core::ActorId;
using actorlab::core::Context;
using actorlab::core::Message;
using actorlab::core::SendStatus;

namespace {

constexpr uint32_t kHop = actorlab::core::kFirstUserType;
constexpr uint32_t kTick = kHop + 1;

struct Hop {
  uint64_t ttl;   // forwards left
  uint64_t seed;  // picks the next target
};

struct ActivationShared {
  Tally handled;     // hops handled by bouncers
  Tally dispatches;  // every on_start/on_message call of every actor
  std::vector<ActorId> bouncers;
  std::vector<ReentrancyGuard> guards;
  explicit ActivationShared(size_t n) : guards(n) {}
};

// Handles a hop; forwards it to another bouncer while ttl > 0.
class Bouncer final : public actorlab::core::Actor {
 public:
  Bouncer(ActivationShared& s, size_t index) : s_(s), index_(index) {}
  void on_start(Context&) override { s_.dispatches.add(); }
  void on_message(Context& ctx, Message& msg) override {
    s_.guards[index_].enter();
    s_.dispatches.add();
    const auto hop = msg.as<Hop>();
    if (hop.ttl > 0) {
      const uint64_t seed = mix(hop.seed);
      ctx.send(s_.bouncers[seed % s_.bouncers.size()], kHop, Hop{hop.ttl - 1, seed});
    }
    s_.guards[index_].leave();
    s_.handled.add();  // after leave(): the main thread may stop the engine once it sees the count
  }

 private:
  ActivationShared& s_;
  size_t index_;
};

class Activation : public ::testing::TestWithParam<EngineParam> {};

// Rounds: the main thread sends each bouncer 0..3 hops (ttl 0..2), then waits
// until the round's exact total has been handled, so every actor goes idle
// between rounds. A lost wake-up shows as a round that never completes.
void run_rounds(const EngineParam& param, uint32_t spin) {
  SCOPED_TRACE("spin=" + std::to_string(spin));
  constexpr size_t kBouncers = 64;
  const uint64_t rounds = scale(1500);
  ActivationShared s(kBouncers);
  auto engine = make_test_engine(param, 2, [&](auto& c) { c.spin = spin; });
  for (size_t i = 0; i < kBouncers; ++i) s.bouncers.push_back(engine->spawn<Bouncer>(s, i));
  engine->start();
  uint64_t expected = 0;
  for (uint64_t r = 0; r < rounds; ++r) {
    for (size_t i = 0; i < kBouncers; ++i) {
      const uint64_t h = mix(r * kBouncers + i);
      for (uint64_t k = 0; k < (h & 3); ++k) {
        const uint64_t ttl = (h >> (4 + k * 2)) % 3;
        ASSERT_EQ(engine->send(s.bouncers[i], kHop, Hop{ttl, h + k}), SendStatus::kOk);
        expected += ttl + 1;
      }
    }
    ASSERT_TRUE(wait_until([&] { return s.handled.get() >= expected; }))
        << "round " << r << ": handled " << s.handled.get() << " of " << expected << " (lost wake-up)";
  }
  engine->stop();
  const auto stats = engine->stats();
  EXPECT_EQ(s.handled.get(), expected);
  for (size_t i = 0; i < kBouncers; ++i) EXPECT_EQ(s.guards[i].overlaps(), 0u) << "bouncer " << i << " ran twice at once";
  EXPECT_EQ(stats.get("dropped_at_stop"), 0u) << "messages left queued: an actor was in no run queue";
  EXPECT_EQ(stats.get("messages"), s.dispatches.get()) << "dispatch count differs from what the actors saw";
  EXPECT_EQ(stats.get("dead_letters"), 0u);
}

TEST_P(Activation, RoundsOfBurstsFromOutsideDefaultSpin) {
  run_rounds(GetParam(), actorlab::core::Config::kDefaultSpin);
}
TEST_P(Activation, RoundsOfBurstsFromOutsideParkAtOnce) { run_rounds(GetParam(), 0); }

// Sends bursts of 1..4 hops to random bouncers, `ticks` times, re-queueing
// itself between bursts (the inside senders).
class Driver final : public actorlab::core::Actor {
 public:
  Driver(ActivationShared& s, uint64_t seed, uint64_t ticks) : s_(s), seed_(seed), ticks_(ticks) {}
  void on_start(Context& ctx) override {
    s_.dispatches.add();
    tick(ctx);
  }
  void on_message(Context& ctx, Message&) override {
    s_.dispatches.add();
    tick(ctx);
  }

 private:
  void tick(Context& ctx) {
    const uint64_t h = mix(seed_ + done_);
    for (uint64_t k = 0; k <= (h & 3); ++k)
      ctx.send(s_.bouncers[(h >> (8 + k * 6)) % s_.bouncers.size()], kHop, Hop{(h >> (40 + k * 2)) % 4, h + k});
    if (++done_ < ticks_) ctx.send(ctx.self(), kTick, uint8_t{0});
  }
  ActivationShared& s_;
  uint64_t seed_, ticks_;
  uint64_t done_ = 0;
};

uint64_t driver_total(uint64_t seed, uint64_t ticks) {
  uint64_t n = 0;
  for (uint64_t t = 0; t < ticks; ++t) {
    const uint64_t h = mix(seed + t);
    for (uint64_t k = 0; k <= (h & 3); ++k) n += (h >> (40 + k * 2)) % 4 + 1;
  }
  return n;
}

TEST_P(Activation, ConcurrentBurstsFromInsideAndOutside) {
  constexpr size_t kBouncers = 256;
  constexpr int kDrivers = 2, kThreads = 2;
  const uint64_t ticks = scale(40'000);
  ActivationShared s(kBouncers);
  auto engine = make_test_engine(GetParam(), 2, [](auto& c) { c.spin = 16; });
  for (size_t i = 0; i < kBouncers; ++i) s.bouncers.push_back(engine->spawn<Bouncer>(s, i));
  uint64_t expected = 0;
  for (int d = 0; d < kDrivers + kThreads; ++d) expected += driver_total(uint64_t(d) << 48, ticks);
  for (int d = 0; d < kDrivers; ++d) engine->spawn<Driver>(s, uint64_t(d) << 48, ticks);
  engine->start();
  std::vector<std::thread> threads;
  std::atomic<uint64_t> not_ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const uint64_t seed = uint64_t(kDrivers + t) << 48;
      for (uint64_t tick = 0; tick < ticks; ++tick) {
        const uint64_t h = mix(seed + tick);
        for (uint64_t k = 0; k <= (h & 3); ++k)
          if (engine->send(s.bouncers[(h >> (8 + k * 6)) % kBouncers], kHop, Hop{(h >> (40 + k * 2)) % 4, h + k}) !=
              SendStatus::kOk)
            not_ok.fetch_add(1, std::memory_order_relaxed);
        // Now and then let the system run dry, so workers park and wake.
        if ((h >> 60) == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    });
  }
  for (auto& t : threads) t.join();
  const bool all = wait_until([&] { return s.handled.get() >= expected; });
  engine->stop();
  ASSERT_TRUE(all) << "handled " << s.handled.get() << " of " << expected << " (lost wake-up)";
  const auto stats = engine->stats();
  EXPECT_EQ(not_ok.load(), 0u);
  EXPECT_EQ(s.handled.get(), expected) << "more handled than sent: a message ran twice";
  for (size_t i = 0; i < kBouncers; ++i) EXPECT_EQ(s.guards[i].overlaps(), 0u) << "bouncer " << i << " ran twice at once";
  EXPECT_EQ(stats.get("dropped_at_stop"), 0u) << "messages left queued: an actor was in no run queue";
  EXPECT_EQ(stats.get("messages"), s.dispatches.get());
  EXPECT_EQ(stats.get("dead_letters"), 0u);
}

INSTANTIATE_TEST_SUITE_P(AllEngines, Activation, ::testing::ValuesIn(engine_params()), param_name);

}  // namespace
