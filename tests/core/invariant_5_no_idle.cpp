// invariant_5_no_idle.cpp: DESIGN invariant 5: a worker parks only when it
// has looked everywhere its policy allows, and a send to a parked system wakes
// a worker.
// Targets: the missed wake-up of the park protocol (a sender checks for
// sleepers before the worker has announced itself, the worker then misses the
// new work and sleeps with a runnable actor queued), and a policy that wakes
// nobody while one worker is busy and a second actor waits in the queue.
// The timing checks are generous (1 s for a wake-up that takes microseconds);
// the rendezvous test has no timing in its verdict, only a 10 s deadline.
// Every composition of the generated list (test_support.hpp) runs every
// test. Where a part bounds the invariant instead (private_wait: a lifo=on
// slot, or placement local's queue with steal off, which no other worker
// may take), the inside-send test checks the stated bound: the partner runs
// on the sender's worker as soon as the sender's turn ends. With
// lifo=stealable the invariant itself holds and is checked. Under idle spin
// nobody parks: the tests check that, and that sends are still handled.
// Threads: the engine's 2 workers (spin 0, so they park as soon as idle) and
// the test's main thread as the outside sender.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/test_support.hpp"

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

// Waits until the workers parked `n` times in all (idle spin: they never
// park; gives them a moment to go idle instead).
::testing::AssertionResult parked(actorlab::core::Engine& engine, const EngineParam& param, uint64_t n) {
  if (!param.parks) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return ::testing::AssertionSuccess();
  }
  if (wait_until([&] { return engine.stats().get("parks") >= n; }, std::chrono::seconds(10)))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "idle workers with spin=0 did not park " << n
                                       << " times (parks=" << engine.stats().get("parks") << ")";
}

TEST_P(NoIdle, WorkersParkWhenIdleAndAnOutsideSendWakesOne) {
  constexpr int kRounds = 20;
  auto engine = make_test_engine(GetParam(), 2, [](auto& c) { c.spin = 0; });
  Handled handled;
  const ActorId echo = engine->spawn<Echo>(handled);
  engine->start();
  ASSERT_TRUE(parked(*engine, GetParam(), 2));
  Clock::duration worst{};
  uint64_t parks_at_send = 0;
  for (int r = 0; r < kRounds; ++r) {
    // Let the workers go back to sleep: the one that handled the previous
    // message parks again after our send of it.
    ASSERT_TRUE(parked(*engine, GetParam(), parks_at_send + 1));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    parks_at_send = engine->stats().get("parks");
    const auto t0 = Clock::now();
    ASSERT_EQ(engine->send(echo, kPing, r), SendStatus::kOk);
    ASSERT_TRUE(handled.wait_for(uint64_t(r) + 1, std::chrono::seconds(1)))
        << "round " << r << ": a send to a parked system was not handled within 1 s (missed wake-up)";
    worst = std::max(worst, Clock::now() - t0);
  }
  engine->stop();
  if (!GetParam().parks) {
    EXPECT_EQ(engine->stats().get("parks"), 0u) << "idle spin parked";
  }
  // Not checked: stats "wakeups" (the idle part counts only wake-ups sent
  // from a worker, not from an outside sender like this one).
  RecordProperty("worst_wake_us", static_cast<int>(std::chrono::duration_cast<std::chrono::microseconds>(worst).count()));
}

// Two actors that each wait (up to 3 s) for the other to have started. It
// completes only if both run at once, i.e. the second worker was woken while
// the first is busy: one worker alone would wait out the deadline.
struct Meeting {
  std::atomic<int> arrived{0};
  std::atomic<int> timeouts{0};
  std::atomic<int> finished{0};
  // For the bound (private_wait): when the inside sender's turn ended and
  // when and where the partner started.
  std::atomic<int64_t> sender_done_ns{0};
  std::atomic<int64_t> partner_start_ns{0};
  std::atomic<std::thread::id> sender_thread{};
  std::atomic<std::thread::id> partner_thread{};
};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

class Rendezvous final : public actorlab::core::Actor {
 public:
  Rendezvous(Meeting* meetings, ActorId* partner, std::chrono::milliseconds wait)
      : meetings_(meetings), partner_(partner), wait_(wait) {}
  void on_message(Context& ctx, Message& msg) override {
    const auto round = msg.as<uint32_t>();
    Meeting& m = meetings_[round];
    // Session 1 asks to bring the partner in from inside, with a worker's send.
    const bool sender = msg.session == 1;
    if (sender) {
      m.sender_thread.store(std::this_thread::get_id(), std::memory_order_relaxed);
      ctx.send(*partner_, kPing, round, 0);
    } else {
      m.partner_thread.store(std::this_thread::get_id(), std::memory_order_relaxed);
      m.partner_start_ns.store(now_ns(), std::memory_order_relaxed);
    }
    wait(m);
    if (sender) m.sender_done_ns.store(now_ns(), std::memory_order_relaxed);
    m.finished.fetch_add(1, std::memory_order_release);
  }

 private:
  void wait(Meeting& m) {
    m.arrived.fetch_add(1, std::memory_order_acq_rel);
    const auto deadline = Clock::now() + wait_;
    while (m.arrived.load(std::memory_order_acquire) < 2) {
      if (Clock::now() > deadline) {
        m.timeouts.fetch_add(1, std::memory_order_relaxed);
        break;
      }
      std::this_thread::yield();
    }
  }

  Meeting* meetings_;
  ActorId* partner_;
  std::chrono::milliseconds wait_;
};

// The bound where a part states one (private_wait): the partner waits for
// at most the rest of the sender's turn, then runs on the sender's worker.
// Generous (sanitizer builds, a shared machine): the slot's actor runs
// microseconds after the turn; a lost or parked one never would.
constexpr std::chrono::milliseconds kPrivateWaitBound{1000};

void run_rendezvous(const EngineParam& param, bool from_inside) {
  SCOPED_TRACE(from_inside ? "second send from inside an actor" : "both sends from outside");
  constexpr int kRounds = 20;
  const bool bounded = from_inside && param.private_wait;
  std::vector<Meeting> meetings(kRounds);
  ActorId a, b;
  auto engine = make_test_engine(param, 2, [](auto& c) { c.spin = 0; });
  // On two workers where the placement binds actors (home); a hint elsewhere.
  // Bounded: the sender holds its turn 20 ms, so that a partner that could
  // be taken by the other worker would be (and the bound shows it was not).
  const std::chrono::milliseconds wait = bounded ? std::chrono::milliseconds(20) : std::chrono::seconds(3);
  a = engine->spawn_on<Rendezvous>(0, meetings.data(), &b, wait);
  b = engine->spawn_on<Rendezvous>(1, meetings.data(), &a, wait);
  engine->start();
  uint64_t parks_at_send = 0;  // both workers park once at start-up, and again after each round
  for (uint32_t r = 0; r < kRounds; ++r) {
    // Both workers asleep before each round (bounded: the partner's worker
    // was never woken, so only the sender's parks again).
    ASSERT_TRUE(parked(*engine, param, parks_at_send + (r > 0 && bounded ? 1 : 2)));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    parks_at_send = engine->stats().get("parks");
    if (from_inside) {
      ASSERT_EQ(engine->send(a, kPing, r, 1), SendStatus::kOk);
    } else {
      ASSERT_EQ(engine->send(a, kPing, r), SendStatus::kOk);
      ASSERT_EQ(engine->send(b, kPing, r), SendStatus::kOk);
    }
    Meeting& m = meetings[r];
    ASSERT_TRUE(wait_until([&] { return m.finished.load() == 2; }, std::chrono::seconds(30)))
        << "round " << r << ": a runnable actor was never run";
    if (!bounded) {
      ASSERT_EQ(m.timeouts.load(), 0) << "round " << r << ": a worker stayed parked while an actor waited to run";
      continue;
    }
    // The partner started after the sender's turn (it could not be taken
    // while the sender held it: else the invariant holds and private_wait
    // is wrong), within the bound, on the same worker.
    const int64_t late_ns = m.partner_start_ns.load() - m.sender_done_ns.load();
    EXPECT_GE(late_ns, 0) << "round " << r << ": the partner ran during the sender's turn, so the composition "
                          << "does not keep it private (traits_of's private_wait is wrong)";
    EXPECT_LE(late_ns, std::chrono::nanoseconds(kPrivateWaitBound).count())
        << "round " << r << ": the partner waited beyond the stated bound after the sender's turn ended";
    EXPECT_EQ(m.partner_thread.load(), m.sender_thread.load())
        << "round " << r << ": the privately queued partner ran on another worker";
  }
  engine->stop();
}

TEST_P(NoIdle, SecondWorkerWakesForSecondActorFromOutside) { run_rendezvous(GetParam(), false); }
// Where the composition keeps the partner private (lifo on; placement local
// with steal off), this checks the stated bound instead: see run_rendezvous.
// lifo stealable: the invariant itself (a thief takes the slot on its last pass).
TEST_P(NoIdle, SecondWorkerWakesForSecondActorFromInside) { run_rendezvous(GetParam(), true); }

INSTANTIATE_TEST_SUITE_P(AllEngines, NoIdle, ::testing::ValuesIn(engine_params()), param_name);

}  // namespace
