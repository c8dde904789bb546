// starvation_test.cpp: an actor that floods itself must not starve another
// actor, under every policy and mailbox kind, on one worker and on two.
//
// Targets: skynet's "keep running the current actor while the queue is
// empty", the steal policy's LIFO slot (bounded to a few uses in a row while
// other work waits, and the injection queue checked every 61 turns), and the
// pinned policy's private FIFO vs. its inbox. A policy that kept feeding the
// flooder would leave the victim's messages waiting until the flood ends.
// And --local-push=front (new actors run first): a token circling a ring of
// relays keeps the front of the worker's queue busy for ever, so an actor
// requeued at the back runs only because of the front streak limit.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "perf/clock.hpp"
#include "tests/test_support.hpp"

namespace {

using namespace testing_support;
using actorlab::core::Context;
using actorlab::core::Message;

constexpr uint32_t kFlood = actorlab::core::kFirstUserType;
constexpr uint32_t kProbe = actorlab::core::kFirstUserType + 1;

struct Shared {
  std::atomic<bool> stop_flood{false};
  std::atomic<uint64_t> flood_handled{0};
  std::atomic<uint64_t> probes_handled{0};
  std::atomic<uint64_t> worst_wait_ns{0};
};

class Flooder final : public actorlab::core::Actor {
 public:
  explicit Flooder(Shared& s) : s_(s) {}
  void on_start(Context& ctx) override { ctx.send(ctx.self(), kFlood, uint8_t{0}); }
  void on_message(Context& ctx, Message&) override {
    s_.flood_handled.fetch_add(1, std::memory_order_relaxed);
    if (!s_.stop_flood.load(std::memory_order_relaxed)) ctx.send(ctx.self(), kFlood, uint8_t{0});
  }

 private:
  Shared& s_;
};

class Victim final : public actorlab::core::Actor {
 public:
  explicit Victim(Shared& s) : s_(s) {}
  void on_message(Context&, Message& msg) override {
    if (msg.type != kProbe) return;
    const uint64_t waited = actorlab::perf::now_ns() - msg.as<uint64_t>();
    uint64_t worst = s_.worst_wait_ns.load(std::memory_order_relaxed);
    while (waited > worst && !s_.worst_wait_ns.compare_exchange_weak(worst, waited)) {
    }
    s_.probes_handled.fetch_add(1, std::memory_order_relaxed);
  }

 private:
  Shared& s_;
};

constexpr uint32_t kToken = actorlab::core::kFirstUserType + 2;

struct Ring {
  std::vector<actorlab::core::ActorId> relays;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> hops{0};
  Shared back;  // a Flooder's: it messages itself once per turn, so it is requeued at the back
};

class Relay final : public actorlab::core::Actor {
 public:
  Relay(Ring& r, std::size_t next) : r_(r), next_(next) {}
  void on_message(Context& ctx, Message&) override {
    r_.hops.fetch_add(1, std::memory_order_relaxed);
    if (!r_.stop.load(std::memory_order_relaxed)) ctx.send(r_.relays[next_], kToken, uint8_t{0});
  }

 private:
  Ring& r_;
  std::size_t next_;
};

void run_front_case(const char* lifo, std::size_t relays, int tokens) {
  Ring ring;
  auto engine = make_test_engine(preset_param("steal"), 1, [&](actorlab::core::Config& c) {
    c.local_push = "front";
    c.lifo = lifo;
    c.batch = actorlab::core::BatchKnob::parse("1");  // one message per turn: the runner yields every turn
  });
  ring.relays.resize(relays);
  for (std::size_t i = 0; i < relays; ++i) ring.relays[i] = engine->spawn_on<Relay>(0, ring, (i + 1) % relays);
  engine->spawn_on<Flooder>(0, ring.back);
  engine->start();
  for (int token = 0; token < tokens; ++token)
    ASSERT_EQ(engine->send(ring.relays[static_cast<std::size_t>(token)], kToken, uint8_t{0}),
              actorlab::core::SendStatus::kOk);
  ASSERT_TRUE(wait_until([&] { return ring.hops.load() > 10'000; })) << "the tokens never moved";
  const uint64_t turns_before = ring.back.flood_handled.load(), hops_before = ring.hops.load();
  const bool ran = wait_until([&] { return ring.back.flood_handled.load() >= turns_before + 100; }, std::chrono::seconds(5));
  const uint64_t hops = ring.hops.load() - hops_before, turns = ring.back.flood_handled.load() - turns_before;
  ring.stop.store(true);
  ring.back.stop_flood.store(true);
  engine->stop();
  EXPECT_TRUE(ran) << "lifo " << lifo << ": the actor at the back ran " << turns << " turns while the tokens made "
                   << hops << " hops";
}

// One token between two relays: each hop makes the other relay newly
// runnable, pushed at the front, and no relay is ever requeued at the back;
// only the front streak limit lets the back runner in (with the limit
// removed, this test fails: the back runner never runs).
TEST(StarvationFrontPush, ATokenPushedAtTheFrontDoesNotStarveTheBack) { run_front_case("off", 2, 1); }
// With the LIFO slot, the newly runnable relay takes the slot and the one it
// displaces goes to the front; two tokens in three relays keep both busy.
// The slot's own streak limit already sends its actor to the back, so this
// checks the combination, not the front limit alone.
TEST(StarvationFrontPush, TwoTokensWithTheLifoSlotDoNotStarveTheBack) { run_front_case("on", 3, 2); }

class Starvation : public ::testing::TestWithParam<EngineParam> {};

void run_case(const EngineParam& param, int threads) {
  Shared shared;
  auto engine = make_test_engine(param, threads);
  engine->spawn_on<Flooder>(0, shared);
  const auto victim = engine->spawn_on<Victim>(0, shared);  // same worker where actors are bound
  engine->start();
  ASSERT_TRUE(wait_until([&] { return shared.flood_handled.load() > 1000; })) << "the flooder never ran";
  constexpr int kProbes = 50;
  for (int i = 0; i < kProbes; ++i) {
    ASSERT_EQ(engine->send(victim, kProbe, actorlab::perf::now_ns()), actorlab::core::SendStatus::kOk);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const bool all = wait_until([&] { return shared.probes_handled.load() == kProbes; }, std::chrono::seconds(5));
  const uint64_t flood_during = shared.flood_handled.load();
  shared.stop_flood.store(true);
  engine->stop();
  EXPECT_TRUE(all) << "the victim handled " << shared.probes_handled.load() << " of " << kProbes
                   << " messages while the flooder ran " << flood_during;
  // The bound: generous for sanitizer builds; a starving policy waits for seconds.
  EXPECT_LT(shared.worst_wait_ns.load(), 500'000'000u) << "worst wait " << shared.worst_wait_ns.load() << " ns";
}

TEST_P(Starvation, SelfFloodDoesNotStarveAnotherActorOneWorker) { run_case(GetParam(), 1); }
TEST_P(Starvation, SelfFloodDoesNotStarveAnotherActorTwoWorkers) { run_case(GetParam(), 2); }

INSTANTIATE_TEST_SUITE_P(AllPolicies, Starvation, ::testing::ValuesIn(engine_params()), param_name);

}  // namespace
