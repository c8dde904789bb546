// invariant_6_clean_stop.cpp: DESIGN invariant 6: Engine::stop() ends every
// thread; messages still queued are released and counted, not leaked.
// Targets: a stop that hangs on a parked worker (no wake-up at stop), a worker
// left running, messages dropped at stop without being counted (or counted
// twice), actors never destroyed, an outside send that races stop() and is
// neither delivered nor counted, and send/spawn after stop being accepted.
// Accounting identity checked throughout:
//   dispatched (stats "messages") + dropped_at_stop == spawns + accepted sends
// where start messages count as sent (spawn pushes one) and dispatched
// includes them. Leaks of actors are checked by counting destructor calls;
// ASan's LeakSanitizer covers payloads allocated with new/malloc (mimalloc
// allocations are invisible to it).
// Threads: the engine's workers, a std::thread calling stop(), the main thread.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "tests/test_support.hpp"

using namespace testing_support;
using actorlab::core::ActorId;
using actorlab::core::Context;
using actorlab::core::kNoActor;
using actorlab::core::Message;
using actorlab::core::SendStatus;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint32_t kData = actorlab::core::kFirstUserType;
constexpr uint32_t kBlock = kData + 1;

struct StopShared {
  Tally constructed, destroyed, dispatched, internal_sends_ok, internal_sends_other;
  std::atomic<bool> gate_open{false};
  std::atomic<bool> blocked{false};
  std::atomic<int> gate_timeouts{0};
  std::vector<ActorId> peers;
};

class Counted : public actorlab::core::Actor {
 public:
  explicit Counted(StopShared& s) : s_(s) { s_.constructed.add(); }
  ~Counted() override { s_.destroyed.add(); }
  void on_start(Context&) override { s_.dispatched.add(); }
  void on_message(Context&, Message& msg) override {
    s_.dispatched.add();
    if (msg.type == kBlock) {
      // Holds this worker until the test opens the gate (30 s at most).
      s_.blocked.store(true, std::memory_order_release);
      const auto deadline = Clock::now() + std::chrono::seconds(30);
      while (!s_.gate_open.load(std::memory_order_acquire)) {
        if (Clock::now() > deadline) {
          s_.gate_timeouts.fetch_add(1);
          break;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
    }
  }

 protected:
  StopShared& s_;
};

class CleanStop : public ::testing::TestWithParam<EngineParam> {};

TEST_P(CleanStop, StopWithQueuedMessagesCountsEveryMessageAndEndsEveryThread) {
  constexpr int kCounters = 8;
  const uint64_t flood = scale(50'000);
  const size_t threads_before = baseline_thread_count();
  StopShared s;
  auto engine = make_test_engine(GetParam());
  const ActorId blocker = engine->spawn<Counted>(s);
  std::vector<ActorId> counters;
  for (int i = 0; i < kCounters; ++i) counters.push_back(engine->spawn<Counted>(s));
  engine->start();
  // 2 workers + the timer thread every engine has (core/timer_service.hpp).
  EXPECT_EQ(process_thread_count(), threads_before + 2 + 1);

  uint64_t sent_ok = 0;
  ASSERT_EQ(engine->send(blocker, kBlock, uint8_t{0}), SendStatus::kOk);
  ++sent_ok;
  ASSERT_TRUE(wait_until([&] { return s.blocked.load(); })) << "the blocker never ran";
  for (uint64_t i = 0; i < flood; ++i) {
    const ActorId to = (i % 4 == 0) ? blocker : counters[i % kCounters];
    ASSERT_EQ(engine->send(to, kData, i), SendStatus::kOk);
    ++sent_ok;
  }

  // stop() on another thread: it must wait for the blocked worker. Probe with
  // sends until they are refused, then release the blocker.
  std::thread stopper([&] { engine->stop(); });
  uint64_t refused = 0;
  const auto deadline = Clock::now() + kGenerousTimeout;
  for (;;) {
    const SendStatus st = engine->send(counters[0], kData, uint64_t{0});
    if (st == SendStatus::kStopped) {
      ++refused;
      break;
    }
    ASSERT_EQ(st, SendStatus::kOk);
    ++sent_ok;
    ASSERT_LT(Clock::now(), deadline) << "stop() never started refusing sends";
    std::this_thread::yield();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let stop() raise its flag
  s.gate_open.store(true, std::memory_order_release);
  stopper.join();
  EXPECT_EQ(s.gate_timeouts.load(), 0);

  // After stop: everything refused and counted.
  for (int i = 0; i < 10; ++i, ++refused) EXPECT_EQ(engine->send(counters[1], kData, uint64_t{1}), SendStatus::kStopped);
  EXPECT_EQ(engine->send(ActorId::make(12345, 3), kData, uint64_t{1}), SendStatus::kStopped);
  ++refused;
  EXPECT_EQ(engine->spawn<Counted>(s), kNoActor);
  engine->stop();  // idempotent

  EXPECT_EQ(thread_count_settled(threads_before), threads_before) << "a worker thread outlived stop()";
  const auto stats = engine->stats();
  const uint64_t spawns = 1 + kCounters;
  EXPECT_EQ(stats.get("spawns"), spawns) << "a spawn after stop was accepted";
  EXPECT_EQ(stats.get("messages"), s.dispatched.get());
  EXPECT_EQ(stats.get("messages") + stats.get("dropped_at_stop"), spawns + sent_ok)
      << "messages=" << stats.get("messages") << " dropped_at_stop=" << stats.get("dropped_at_stop");
  EXPECT_GT(stats.get("dropped_at_stop"), 0u) << "the blocker's backlog should have been dropped at stop";
  EXPECT_EQ(stats.get("dropped_after_stop"), refused);
  EXPECT_EQ(stats.get("dead_letters"), 0u);
  EXPECT_EQ(s.constructed.get(), spawns + 1) << "the refused spawn still constructs its actor";
  EXPECT_EQ(s.destroyed.get(), s.constructed.get()) << "an actor was never destroyed";
  EXPECT_EQ(stats.get("actors_destroyed_at_stop"), spawns);
}

// Forwards every message to a random peer (so the message population stays
// constant and every mailbox is busy when stop() lands), and now and then
// spawns a child that exits in on_start (spawns and exits racing the stop).
class Forwarder final : public Counted {
 public:
  using Counted::Counted;
  void on_message(Context& ctx, Message& msg) override {
    s_.dispatched.add();
    const uint64_t v = mix(msg.as<uint64_t>());
    const SendStatus st = ctx.send(s_.peers[v % s_.peers.size()], kData, v);
    (st == SendStatus::kOk ? s_.internal_sends_ok : s_.internal_sends_other).add();
    if ((v & 63) == 0) ctx.spawn<ExitAtOnce>(s_);
  }

 private:
  class ExitAtOnce final : public Counted {
   public:
    using Counted::Counted;
    void on_start(Context& ctx) override {
      s_.dispatched.add();
      ctx.exit();
    }
  };
};

TEST_P(CleanStop, StopWhileActorsFloodEachOtherAndSpawn) {
  constexpr int kPeers = 32, kInitial = 2000;
  const size_t threads_before = baseline_thread_count();
  StopShared s;
  auto engine = make_test_engine(GetParam());
  for (int i = 0; i < kPeers; ++i) s.peers.push_back(engine->spawn<Forwarder>(s));
  engine->start();
  uint64_t sent_ok = 0;
  for (int i = 0; i < kInitial; ++i) sent_ok += engine->send(s.peers[i % kPeers], kData, uint64_t(i)) == SendStatus::kOk;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  engine->stop();

  EXPECT_EQ(thread_count_settled(threads_before), threads_before);
  const auto stats = engine->stats();
  EXPECT_EQ(s.internal_sends_other.get(), 0u);
  EXPECT_EQ(stats.get("messages"), s.dispatched.get());
  EXPECT_EQ(stats.get("messages") + stats.get("dropped_at_stop"),
            stats.get("spawns") + sent_ok + s.internal_sends_ok.get())
      << "messages=" << stats.get("messages") << " dropped_at_stop=" << stats.get("dropped_at_stop");
  EXPECT_GT(stats.get("dropped_at_stop"), 0u);
  EXPECT_EQ(stats.get("dead_letters"), 0u);
  EXPECT_EQ(s.constructed.get(), stats.get("spawns"));
  EXPECT_EQ(s.destroyed.get(), s.constructed.get()) << "an actor was never destroyed";
  EXPECT_EQ(stats.get("exits") + stats.get("actors_destroyed_at_stop"), stats.get("spawns"));
}

// Target: outside senders racing stop() (the Dekker pair accepting_ /
// external_in_flight_ in Runtime::stop): each send is either accepted and
// then dispatched or dropped at stop, or refused and counted; never lost.
TEST_P(CleanStop, OutsideSendersRacingStopAreAllAccountedFor) {
  constexpr int kSenders = 2, kPeers = 4;
  StopShared s;
  auto engine = make_test_engine(GetParam());
  std::vector<ActorId> peers;
  for (int i = 0; i < kPeers; ++i) peers.push_back(engine->spawn<Counted>(s));
  engine->start();
  std::atomic<uint64_t> ok{0}, stopped{0}, other{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> senders;
  for (int t = 0; t < kSenders; ++t) {
    senders.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      for (uint64_t i = 0;; ++i) {
        const SendStatus st = engine->send(peers[(i + t) % kPeers], kData, i);
        if (st == SendStatus::kOk) {
          ok.fetch_add(1);
        } else {
          (st == SendStatus::kStopped ? stopped : other).fetch_add(1);
          if (st == SendStatus::kStopped) return;
        }
      }
    });
  }
  go.store(true);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  engine->stop();
  for (auto& t : senders) t.join();
  const auto stats = engine->stats();
  EXPECT_EQ(other.load(), 0u);
  EXPECT_EQ(stopped.load(), uint64_t(kSenders));
  EXPECT_EQ(stats.get("dropped_after_stop"), stopped.load());
  EXPECT_EQ(stats.get("messages") + stats.get("dropped_at_stop"), stats.get("spawns") + ok.load());
  EXPECT_EQ(s.destroyed.get(), uint64_t(kPeers));
}

// Target: stop() of an engine that never started (no worker to join; queued
// start and user messages must still be released and counted).
TEST_P(CleanStop, StopBeforeStartReleasesEverything) {
  const size_t threads_before = baseline_thread_count();
  StopShared s;
  auto engine = make_test_engine(GetParam());
  std::vector<ActorId> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(engine->spawn<Counted>(s));
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(engine->send(ids[i % 10], kData, uint64_t(i)), SendStatus::kOk);
  // A heap payload too, so that LSan sees it if it is not freed.
  struct Big { uint64_t v[8]; };
  ASSERT_EQ(engine->send(ids[0], kData, Big{}), SendStatus::kOk);
  engine->stop();
  EXPECT_EQ(thread_count_settled(threads_before), threads_before);
  const auto stats = engine->stats();
  EXPECT_EQ(stats.get("messages"), 0u);
  EXPECT_EQ(stats.get("dropped_at_stop"), 10u + 1001u);
  EXPECT_EQ(stats.get("actors_destroyed_at_stop"), 10u);
  EXPECT_EQ(s.destroyed.get(), 10u);
  EXPECT_EQ(engine->send(ids[0], kData, uint64_t{0}), SendStatus::kStopped);
}

// Target: an Engine destroyed while running, without an explicit stop() (the
// destructor must stop, join and release just the same).
TEST_P(CleanStop, DestructorStopsARunningEngine) {
  constexpr int kPeers = 16;
  const size_t threads_before = baseline_thread_count();
  StopShared s;
  {
    auto engine = make_test_engine(GetParam());
    for (int i = 0; i < kPeers; ++i) s.peers.push_back(engine->spawn<Forwarder>(s));
    engine->start();
    for (int i = 0; i < 500; ++i) engine->send(s.peers[i % kPeers], kData, uint64_t(i));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(thread_count_settled(threads_before), threads_before);
  EXPECT_EQ(s.destroyed.get(), s.constructed.get()) << "an actor was never destroyed";
}

INSTANTIATE_TEST_SUITE_P(AllEngines, CleanStop, ::testing::ValuesIn(engine_params()), param_name);

}  // namespace
