// steal_patience_test.cpp: the steal part's patience (--steal-patience,
// sched/steal.hpp). Targets: a patient thief that never takes from a victim
// stuck in a long turn (the actor queued behind it would wait for the whole
// turn), one that takes before the patience has passed (then it is not
// patience), and a count that does not restart when the victim pops or its
// queue empties.
// Threads: the test's main thread (StealPatience alone); the engine's 2
// workers and the main thread as the outside sender (the rescue test).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "perf/clock.hpp"
#include "sched/steal.hpp"
#include "tests/test_support.hpp"

namespace {

using namespace testing_support;
using actorlab::core::Context;
using actorlab::core::Message;
using actorlab::sched::StealPatience;

constexpr uint32_t kGo = actorlab::core::kFirstUserType;
constexpr uint32_t kPing = actorlab::core::kFirstUserType + 1;

TEST(StealPatience, AVictimIsStalledOnlyAfterItsHeadStoodStillWithWorkForThePatience) {
  StealPatience p;
  p.init(2, 2'000'000);  // 2 ms
  EXPECT_FALSE(p.victim_stalled(1, 7, true)) << "the first look only starts the count";
  EXPECT_FALSE(p.victim_stalled(1, 7, true)) << "stalled before the patience has passed";
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  EXPECT_TRUE(p.victim_stalled(1, 7, true));
  EXPECT_FALSE(p.victim_stalled(1, 8, true)) << "a pop (the head moved) restarts the count";
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  EXPECT_FALSE(p.victim_stalled(1, 8, false)) << "an empty queue is never stalled";
  EXPECT_FALSE(p.victim_stalled(1, 8, true)) << "and emptying restarts the count";
  EXPECT_FALSE(p.victim_stalled(0, 8, true)) << "each victim has its own count";
  StealPatience off;
  off.init(2, 0);
  EXPECT_FALSE(off.enabled());
}

struct Rescue {
  actorlab::core::ActorId helper;
  std::atomic<uint64_t> pinged_at_ns{0};
  std::atomic<uint64_t> helper_ran_at_ns{0};
  std::atomic<bool> ran_during_turn{false};
};

class Helper final : public actorlab::core::Actor {
 public:
  explicit Helper(Rescue& r) : r_(r) {}
  void on_message(Context&, Message& msg) override {
    if (msg.type == kPing) r_.helper_ran_at_ns.store(actorlab::perf::now_ns());
  }

 private:
  Rescue& r_;
};

// On kGo: queues a ping to the helper on this worker, then spins in its
// turn until the helper has run (elsewhere: stolen) or 5 s have passed.
class Blocker final : public actorlab::core::Actor {
 public:
  explicit Blocker(Rescue& r) : r_(r) {}
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type != kGo) return;
    r_.pinged_at_ns.store(actorlab::perf::now_ns());
    ctx.send(r_.helper, kPing, uint8_t{0});
    const uint64_t until = actorlab::perf::now_ns() + 5'000'000'000ull;
    while (r_.helper_ran_at_ns.load() == 0 && actorlab::perf::now_ns() < until) std::this_thread::yield();
    r_.ran_during_turn.store(r_.helper_ran_at_ns.load() != 0);
  }

 private:
  Rescue& r_;
};

// lifo off, so the helper waits in the blocker's worker's queue; a spin too
// long to end, so only the patient steal (not the look before parking) can
// take it.
TEST(StealPatience, AThiefTakesWhatWaitsBehindALongTurnOnceThePatienceHasPassed) {
  constexpr uint64_t kPatienceNs = 2'000'000;  // 2 ms
  core::Config c;
  actorlab::sched::apply_preset("steal", c);
  c.threads = 2;
  c.lifo = "off";
  c.spin = UINT32_MAX;
  c.steal_patience_ns = kPatienceNs;
  auto engine = actorlab::sched::make_engine(c);
  Rescue r;
  r.helper = engine->spawn<Helper>(r);
  const auto blocker = engine->spawn<Blocker>(r);
  engine->start();
  ASSERT_EQ(engine->send(blocker, kGo, uint8_t{0}), actorlab::core::SendStatus::kOk);
  ASSERT_TRUE(wait_until([&] { return r.helper_ran_at_ns.load() != 0; })) << "the helper never ran";
  EXPECT_TRUE(wait_until([&] { return r.ran_during_turn.load(); }, std::chrono::seconds(6)))
      << "the helper ran only after the long turn: nobody took it";
  const uint64_t waited = r.helper_ran_at_ns.load() - r.pinged_at_ns.load();
  EXPECT_GE(waited, kPatienceNs) << "taken before the patience had passed";
  EXPECT_GE(engine->stats().get("steals"), 1u);
  engine->stop();
}

}  // namespace
