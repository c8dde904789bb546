// invariant_5_no_idle.cpp: DESIGN invariant 5: a worker parks only when it
// has looked everywhere its policy allows, and a send to a parked system wakes
// a worker.
// Targets: the missed wake-up of the park protocol (a sender checks for
// sleepers before the worker has announced itself, the worker then misses the
// new work and sleeps with a runnable actor queued), and a policy that wakes
// nobody while one worker is busy and a second actor waits in the queue.
// The timing checks are generous (1 s for a wake-up that takes microseconds);
// the rendezvous test has no timing in its verdict, only a 10 s deadline.
// Threads: the engine's 2 workers (spin 0, so they park as soon as idle) and
// the test's main thread as the outside sender.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "test_support.hpp"

using namespace testing_support;
using actorlab::core::ActorId;
using actorlab::core::Context;
using actorlab::core::Message;
using actorlab::core::SendStatus;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint32_t kPing = actorlab::core::kFirstUserType;

class NoIdle : public ::testing::TestWithParam<EngineParam> {};

struct Handled {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t count = 0;
  bool wait_for(uint64_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return count >= n; });
  }
};

class Echo final : public actorlab::core::Actor {
 public:
  explicit Echo(Handled& h) : h_(h) {}
  void on_message(Context&, Message&) override {
    std::lock_guard lock(h_.mu);
    ++h_.count;
    h_.cv.notify_all();
  }

 private:
  Handled& h_;
};

TEST_P(NoIdle, WorkersParkWhenIdleAndAnOutsideSendWakesOne) {
  constexpr int kRounds = 20;
  auto engine = make_test_engine(GetParam(), 2, [](auto& c) { c.spin = 0; });
  Handled handled;
  const ActorId echo = engine->spawn<Echo>(handled);
  engine->start();
  ASSERT_TRUE(wait_until([&] { return engine->stats().get("parks") >= 2; }, std::chrono::seconds(10)))
      << "idle workers with spin=0 never parked (parks=" << engine->stats().get("parks") << ")";
  Clock::duration worst{};
  uint64_t parks_at_send = 0;
  for (int r = 0; r < kRounds; ++r) {
    // Let the workers go back to sleep: the one that handled the previous
    // message parks again after our send of it.
    ASSERT_TRUE(wait_until([&] { return engine->stats().get("parks") > parks_at_send; }, std::chrono::seconds(10)));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    parks_at_send = engine->stats().get("parks");
    const auto t0 = Clock::now();
    ASSERT_EQ(engine->send(echo, kPing, r), SendStatus::kOk);
    ASSERT_TRUE(handled.wait_for(uint64_t(r) + 1, std::chrono::seconds(1)))
        << "round " << r << ": a send to a parked system was not handled within 1 s (missed wake-up)";
    worst = std::max(worst, Clock::now() - t0);
  }
  engine->stop();
  // Not checked: stats "wakeups" (policy_skynet.hpp counts only wake-ups
  // sent from a worker, not from an outside sender like this one).
  RecordProperty("worst_wake_us", static_cast<int>(std::chrono::duration_cast<std::chrono::microseconds>(worst).count()));
}

// Two actors that each wait (up to 3 s) for the other to have started. It
// completes only if both run at once, i.e. the second worker was woken while
// the first is busy: one worker alone would wait out the deadline.
struct Meeting {
  std::atomic<int> arrived{0};
  std::atomic<int> timeouts{0};
  std::atomic<int> finished{0};
};

class Rendezvous final : public actorlab::core::Actor {
 public:
  Rendezvous(Meeting* meetings, ActorId* partner) : meetings_(meetings), partner_(partner) {}
  void on_message(Context& ctx, Message& msg) override {
    const auto round = msg.as<uint32_t>();
    Meeting& m = meetings_[round];
    // Session 1 asks to bring the partner in from inside, with a worker's send.
    if (msg.session == 1) ctx.send(*partner_, kPing, round, 0);
    m.arrived.fetch_add(1, std::memory_order_acq_rel);
    const auto deadline = Clock::now() + std::chrono::seconds(3);
    while (m.arrived.load(std::memory_order_acquire) < 2) {
      if (Clock::now() > deadline) {
        m.timeouts.fetch_add(1, std::memory_order_relaxed);
        break;
      }
      std::this_thread::yield();
    }
    m.finished.fetch_add(1, std::memory_order_release);
  }

 private:
  Meeting* meetings_;
  ActorId* partner_;
};

void run_rendezvous(const EngineParam& param, bool from_inside) {
  SCOPED_TRACE(from_inside ? "second send from inside an actor" : "both sends from outside");
  constexpr int kRounds = 20;
  std::vector<Meeting> meetings(kRounds);
  ActorId a, b;
  auto engine = make_test_engine(param, 2, [](auto& c) { c.spin = 0; });
  // On two workers where the policy binds actors (pinned); a hint elsewhere.
  a = engine->spawn_on<Rendezvous>(0, meetings.data(), &b);
  b = engine->spawn_on<Rendezvous>(1, meetings.data(), &a);
  engine->start();
  uint64_t parks_at_send = 0;  // both workers park once at start-up, and again after each round
  for (uint32_t r = 0; r < kRounds; ++r) {
    // Both workers asleep before each round.
    ASSERT_TRUE(wait_until([&] { return engine->stats().get("parks") >= parks_at_send + 2; },
                           std::chrono::seconds(10)));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    parks_at_send = engine->stats().get("parks");
    if (from_inside) {
      ASSERT_EQ(engine->send(a, kPing, r, 1), SendStatus::kOk);
    } else {
      ASSERT_EQ(engine->send(a, kPing, r), SendStatus::kOk);
      ASSERT_EQ(engine->send(b, kPing, r), SendStatus::kOk);
    }
    ASSERT_TRUE(wait_until([&] { return meetings[r].finished.load() == 2; }, std::chrono::seconds(30)))
        << "round " << r << ": a runnable actor was never run";
    ASSERT_EQ(meetings[r].timeouts.load(), 0)
        << "round " << r << ": a worker stayed parked while an actor waited to run";
  }
  engine->stop();
}

TEST_P(NoIdle, SecondWorkerWakesForSecondActorFromOutside) { run_rendezvous(GetParam(), false); }
TEST_P(NoIdle, SecondWorkerWakesForSecondActorFromInside) {
  // The steal policy puts the actor messaged during a turn in the worker's
  // LIFO slot, which no other worker may take and which wakes nobody: it runs
  // when the current turn ends, however long that takes (the Tokio trade-off,
  // documented in policy_steal.hpp). Remove the skip to see it fail.
  if (GetParam().lifo_slot) GTEST_SKIP() << "LIFO slot: the partner waits for the sender's turn to end";
  run_rendezvous(GetParam(), true);
}

INSTANTIATE_TEST_SUITE_P(AllEngines, NoIdle, ::testing::ValuesIn(engine_params()), param_name);

}  // namespace
