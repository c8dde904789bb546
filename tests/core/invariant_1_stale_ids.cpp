// invariant_1_stale_ids.cpp: DESIGN invariant 1 across slot reuse: an id
// whose actor exited is dead for good. A slot freed by an exit is reused with
// generation + 1 (wrapping only behind the registry's quarantine), and no
// message addressed to the old id, queued before the exit or sent after it,
// may reach the actor now living in the slot: each is a counted dead letter,
// answered to a live sender. Exit, reuse and late sends race on 2 workers.
// Threads: the engine's 2 workers, plus raw std::threads as external senders.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "invariant_1_common.hpp"
#include "tests/test_support.hpp"

using namespace testing_support;
using namespace invariant_1;

namespace {

class StaleIds : public ::testing::TestWithParam<EngineParam> {};

// ---------------------------------------------------------------------------
// Stale ids. Target: an actor exits, its slot is reused with generation + 1,
// and a message addressed to the old id reaches the new actor.

struct VictimShared {
  Tally started, destroyed, handled, misdelivered;
};

// Checks every user message's payload names it; exits on kExit.
class Victim final : public actorlab::core::Actor {
 public:
  explicit Victim(VictimShared& s) : s_(s) {}
  ~Victim() override { s_.destroyed.add(); }
  void on_start(Context&) override { s_.started.add(); }
  void on_message(Context& ctx, Message& msg) override {
    if (msg.as<uint32_t>() != ctx.self().value() || msg.target != ctx.self()) s_.misdelivered.add();
    if (msg.type == kExit) {
      ctx.exit();
      return;
    }
    s_.handled.add();
  }

 private:
  VictimShared& s_;
};

TEST_P(StaleIds, StaleIdNeverReachesTheActorReusingItsSlot) {
  auto engine = make_test_engine(GetParam());
  VictimShared vs;
  engine->start();
  const ActorId first = engine->spawn<Victim>(vs);
  ASSERT_TRUE(first.valid());
  ASSERT_EQ(engine->send(first, kExit, first.value()), SendStatus::kOk);
  ASSERT_TRUE(wait_until([&] { return vs.destroyed.get() == 1; })) << "victim never exited";

  // Spawn and kill until the slot comes back with a higher generation (the
  // free list is FIFO, so this normally takes one spawn).
  ActorId reused;
  for (int attempt = 0; attempt < 1000 && !reused.valid(); ++attempt) {
    const ActorId id = engine->spawn<Victim>(vs);
    ASSERT_TRUE(id.valid());
    if (id.index() == first.index()) {
      ASSERT_GT(id.generation(), first.generation());
      reused = id;
      break;
    }
    const uint64_t before = vs.destroyed.get();
    ASSERT_EQ(engine->send(id, kExit, id.value()), SendStatus::kOk);
    ASSERT_TRUE(wait_until([&] { return vs.destroyed.get() == before + 1; }));
  }
  ASSERT_TRUE(reused.valid()) << "slot " << first.index() << " was never reused";

  // The stale id from outside (counted) and from an actor (answered).
  EXPECT_EQ(engine->send(first, kData, first.value()), SendStatus::kDeadTarget);
  ErrorLog log;
  const ActorId prober = engine->spawn<Prober>(log, std::vector<ActorId>{first}, 1);
  ASSERT_EQ(engine->send(prober, kGo, uint8_t{0}), SendStatus::kOk);
  wait_done_or_fail(*engine, "the error for the stale id");
  // The new actor still works and gets exactly its own message.
  const uint64_t handled_before = vs.handled.get();
  ASSERT_EQ(engine->send(reused, kData, reused.value()), SendStatus::kOk);
  EXPECT_TRUE(wait_until([&] { return vs.handled.get() == handled_before + 1; }));
  engine->stop();
  check_errors(log, {first});
  EXPECT_EQ(vs.misdelivered.get(), 0u) << "a message for one id reached another";
  EXPECT_EQ(vs.handled.get(), 1u) << "only the message to the reused id may be handled";
  EXPECT_EQ(engine->stats().get("dead_letters"), 2u);
}

// ---------------------------------------------------------------------------
// Stale ids under churn. Target: the window in which an exiting actor's
// worker still drains its mailbox (dead letters) while another worker has
// already reused the slot and pushed the new actor's start message behind
// them; and a late send that resolves the old id while the slot changes hands.
// Two churners, one per worker, each round: spawn an Ephemeral, send it K
// messages at once (the first makes it exit), then one late message after the
// first error comes back. Every message but the first must come back as an
// error with its own session.

struct ChurnShared {
  Tally handled, misdelivered, errors, bad_errors, done;
};

class Ephemeral final : public actorlab::core::Actor {
 public:
  explicit Ephemeral(ChurnShared& s) : s_(s) {}
  void on_message(Context& ctx, Message& msg) override {
    if (msg.as<uint32_t>() != ctx.self().value()) s_.misdelivered.add();
    s_.handled.add();
    ctx.exit();
  }

 private:
  ChurnShared& s_;
};

class Churner final : public actorlab::core::Actor {
 public:
  Churner(ChurnShared& s, uint32_t rounds, uint32_t k) : s_(s), rounds_(rounds), k_(k) {}
  void on_start(Context& ctx) override { next_round(ctx); }
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type != kTypeError) return;
    const auto info = msg.as<ErrorInfo>();
    // Sessions: round * 1024 + i, i in [1, k]; k + 1 is the late message.
    const uint32_t round = msg.session / 1024, i = msg.session % 1024;
    if (info.code != ErrorCode::kDeadTarget || round != round_ || i < 2 || i > k_ + 1 || info.target != current_ ||
        !seen_.insert(i).second)
      s_.bad_errors.add();
    s_.errors.add();
    if (!late_sent_) {
      late_sent_ = true;
      ctx.send(current_, Message::of(kData, current_.value(), round_ * 1024 + k_ + 1));
    }
    if (seen_.size() == k_) {  // k - 1 queued ones + the late one
      if (++round_ == rounds_) {
        s_.done.add();
        return;
      }
      next_round(ctx);
    }
  }

 private:
  void next_round(Context& ctx) {
    seen_.clear();
    late_sent_ = false;
    current_ = ctx.spawn<Ephemeral>(s_);
    for (uint32_t i = 1; i <= k_; ++i) ctx.send(current_, Message::of(kData, current_.value(), round_ * 1024 + i));
  }
  ChurnShared& s_;
  uint32_t rounds_, k_;
  uint32_t round_ = 0;
  ActorId current_;
  std::set<uint32_t> seen_;
  bool late_sent_ = false;
};

TEST_P(StaleIds, StaleIdsUnderSlotChurnAreDeadLetters) {
  constexpr uint32_t kChurners = 2, kPerRound = 8;
  const uint32_t rounds = static_cast<uint32_t>(std::min<uint64_t>(scale(10'000), 100'000));
  auto engine = make_test_engine(GetParam());
  ChurnShared cs;
  for (uint32_t c = 0; c < kChurners; ++c) engine->spawn<Churner>(cs, rounds, kPerRound);
  engine->start();
  const bool finished = wait_until([&] { return cs.done.get() == kChurners; });
  engine->stop();
  ASSERT_TRUE(finished) << "churners stuck: errors=" << cs.errors.get() << " of "
                        << uint64_t(kChurners) * rounds * kPerRound;
  EXPECT_EQ(cs.misdelivered.get(), 0u) << "a stale id reached the actor reusing its slot";
  EXPECT_EQ(cs.bad_errors.get(), 0u) << "an error with a wrong code, session or target, or twice";
  EXPECT_EQ(cs.handled.get(), uint64_t(kChurners) * rounds);
  EXPECT_EQ(cs.errors.get(), uint64_t(kChurners) * rounds * kPerRound);
  EXPECT_EQ(engine->stats().get("dead_letters"), uint64_t(kChurners) * rounds * kPerRound);
  // Not the invariant: without slot reuse the test proves little.
  EXPECT_LT(engine->stats().get("registry_high_water"), uint64_t(rounds)) << "slots were never reused";
}

// ---------------------------------------------------------------------------
// Outside senders racing exits and respawns. Target: a sender that resolved
// an id just before the actor exited pushes after the mailbox went idle,
// while another thread respawns into the same slot (the new actor's spawn
// writes the cell's fields, the stale push reads them to schedule the cell);
// the message must become a dead letter, never reach the new actor, and every
// send must be accounted for: handled + dead_letters == sends. Respawns
// alternate their placement (spawn_on), so where actors are bound to a worker
// (pinned) a cell that stays on the previous occupant's worker shows up. The
// pinned policy allows one foreign turn (a stale push may queue the cell on
// the old home before the new actor first ran; after_turn then sends it
// home), so the check is: once an actor has run at home, never elsewhere.

struct RespawnShared {
  static constexpr int kSlots = 4;
  std::atomic<uint32_t> ids[kSlots];  // current id per lane (release by the respawner)
  Tally handled, misdelivered, respawns, left_home, foreign_first_turns;
  std::atomic<bool> stop_respawning{false};
  ActorId respawner;
};

class Mortal final : public actorlab::core::Actor {
 public:
  Mortal(RespawnShared& s, int lane, uint32_t life, int home) : s_(s), lane_(lane), life_(life), home_(home) {}
  void on_start(Context& ctx) override { check_home(ctx); }
  void on_message(Context& ctx, Message& msg) override {
    check_home(ctx);
    if (msg.as<uint32_t>() != ctx.self().value()) s_.misdelivered.add();
    s_.handled.add();
    if (--life_ == 0) {
      ctx.send(s_.respawner, kMore, lane_);
      ctx.exit();
    }
  }

 private:
  RespawnShared& s_;
  void check_home(Context& ctx) {
    if (ctx.worker_index() == home_) {
      been_home_ = true;
    } else {
      (been_home_ ? s_.left_home : s_.foreign_first_turns).add();
    }
  }
  int lane_;
  uint32_t life_;
  int home_;
  bool been_home_ = false;
};

class Respawner final : public actorlab::core::Actor {
 public:
  explicit Respawner(RespawnShared& s) : s_(s) {}
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type != kMore || s_.stop_respawning.load(std::memory_order_relaxed)) return;
    const int lane = msg.as<int>();
    const int home = static_cast<int>(++n_ % 2);  // 2 workers
    const ActorId id = ctx.spawn_on<Mortal>(home, s_, lane, 1 + uint32_t(mix(n_) % 3), home);
    s_.ids[lane].store(id.value(), std::memory_order_release);  // pairs with the senders' acquire
    s_.respawns.add();
  }

 private:
  RespawnShared& s_;
  uint64_t n_ = 0;
};

TEST_P(StaleIds, OutsideSendersRacingExitAndRespawnIntoTheSameSlot) {
  const uint64_t respawns = scale(20'000);
  auto engine = make_test_engine(GetParam());
  RespawnShared s;
  s.respawner = engine->spawn<Respawner>(s);
  for (int lane = 0; lane < RespawnShared::kSlots; ++lane)
    s.ids[lane].store(engine->spawn_on<Mortal>(lane % 2, s, lane, 2, lane % 2).value(), std::memory_order_relaxed);
  engine->start();
  std::atomic<bool> stop_sending{false};
  std::atomic<uint64_t> sends{0}, other{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < 2; ++t) {
    senders.emplace_back([&, t] {
      for (uint64_t i = t; !stop_sending.load(std::memory_order_relaxed); ++i) {
        // Keep at most ~512 messages in flight: a flood would turn this into
        // a test of how fast dead letters drain.
        if (i % 64 == 0)
          while (sends.load() > s.handled.get() + engine->stats().get("dead_letters") + 512 &&
                 !stop_sending.load(std::memory_order_relaxed))
            std::this_thread::yield();
        const uint32_t id = s.ids[i % RespawnShared::kSlots].load(std::memory_order_acquire);
        const SendStatus st = engine->send(ActorId::from_value(id), kData, id);
        if (st != SendStatus::kOk && st != SendStatus::kDeadTarget) other.fetch_add(1);
        sends.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  const bool churned = wait_until([&] { return s.respawns.get() >= respawns; });
  s.stop_respawning.store(true);
  stop_sending.store(true);
  for (auto& t : senders) t.join();
  // Every send is handled or a dead letter once the last ones are dispatched.
  const bool drained = wait_until([&] { return s.handled.get() + engine->stats().get("dead_letters") >= sends.load(); });
  engine->stop();
  EXPECT_TRUE(churned) << "only " << s.respawns.get() << " respawns";
  EXPECT_TRUE(drained);
  EXPECT_EQ(other.load(), 0u);
  EXPECT_EQ(s.misdelivered.get(), 0u) << "a message for an exited actor reached the one in its slot";
  if (GetParam().actors_bound) {
    EXPECT_EQ(s.left_home.get(), 0u) << "a bound actor ran elsewhere after it had run at home";
    RecordProperty("foreign_first_turns", static_cast<int>(s.foreign_first_turns.get()));
  }
  EXPECT_EQ(s.handled.get() + engine->stats().get("dead_letters"), sends.load())
      << "handled=" << s.handled.get() << " dead_letters=" << engine->stats().get("dead_letters");
}

// ---------------------------------------------------------------------------
// Generation exhaustion. Targets: (a) the old registry retired a slot after
// kMaxGeneration uses, so it refused every spawn for good after capacity x
// 2047 spawns; (b) a generation that wraps back to an old value too soon (or
// to 0, the kNoActor pattern), so that a recent id names a new actor. One
// worker, so that each child is retired before its parent spawns the next
// one and the few slots of a small registry come back over and over.

struct CycleShared {
  std::vector<ActorId> ids;  // written by the cycler only, read after stop
  std::atomic<bool> done{false};  // release: publishes ids to the test thread
};

class ExitWithQueuedSelfMessage final : public actorlab::core::Actor {
 public:
  void on_start(Context& ctx) override {
    ctx.send(ctx.self(), kData, uint8_t{0});  // queued behind the exit: a dead letter
    ctx.exit();
  }
  void on_message(Context&, Message&) override {}
};

// Spawns a short-lived child per message, `cap` of them.
class Cycler final : public actorlab::core::Actor {
 public:
  Cycler(CycleShared& s, uint32_t cap) : s_(s), cap_(cap) {}
  void on_start(Context& ctx) override { ctx.send(ctx.self(), kMore, uint8_t{0}); }
  void on_message(Context& ctx, Message&) override {
    s_.ids.push_back(ctx.spawn<ExitWithQueuedSelfMessage>());
    if (s_.ids.size() == cap_) {
      s_.done.store(true, std::memory_order_release);
      return;
    }
    ctx.send(ctx.self(), kMore, uint8_t{0});
  }

 private:
  CycleShared& s_;
  uint32_t cap_;
};

TEST_P(StaleIds, SpawnsOutliveTheGenerationSpaceAndNoIdComesBackWithinTheBound) {
  // 64 slots, 2047 x 64 + 4096 spawns: every slot wraps at least once.
  constexpr uint32_t kSlots = 64;
  constexpr uint32_t kSpawns = kSlots * ActorId::kMaxGeneration + 4096;
  // core/registry.hpp's bound: 2046 + capacity / 2 spawns between an exit
  // and the next spawn handing out the same id.
  constexpr std::size_t kBound = (ActorId::kMaxGeneration - 1) + kSlots / 2;
  auto engine = make_test_engine(GetParam(), 1, [](actorlab::core::Config& c) { c.max_actors = kSlots; });
  CycleShared s;
  s.ids.reserve(kSpawns);
  engine->spawn<Cycler>(s, kSpawns);
  engine->start();
  // acquire: pairs with the cycler's release of done; then the last child's exit.
  const bool finished = wait_until(
      [&] {
        return s.done.load(std::memory_order_acquire) && engine->stats().get("exits") == s.ids.size() &&
               engine->stats().get("dead_letters") == 2 * s.ids.size();
      },
      std::chrono::seconds(30));
  engine->stop();
  const auto stats = engine->stats();
  ASSERT_TRUE(finished) << "cycler stuck after " << s.ids.size() << " spawns: exits " << stats.get("exits")
                        << ", dead letters " << stats.get("dead_letters") << ", spawn failures "
                        << stats.get("spawn_failures") << ", wraps " << stats.get("registry_generation_wraps")
                        << ", overrides " << stats.get("registry_quarantine_overrides");
  EXPECT_EQ(stats.get("spawn_failures"), 0u);
  EXPECT_EQ(stats.get("registry_quarantine_overrides"), 0u);
  EXPECT_GE(stats.get("registry_generation_wraps"), 1u) << "no slot wrapped in " << s.ids.size() << " spawns";
  std::map<uint32_t, std::size_t> last_seen;  // id value -> position of its last spawn
  std::size_t repeats = 0, refused = 0;
  for (std::size_t pos = 0; pos < s.ids.size(); ++pos) {
    const ActorId id = s.ids[pos];
    if (!id.valid()) {
      ++refused;
      continue;
    }
    EXPECT_NE(id.generation(), 0u);
    auto [it, fresh] = last_seen.try_emplace(id.value(), pos);
    if (!fresh) {
      ++repeats;
      EXPECT_GT(pos - it->second, kBound) << "id " << id.value() << " came back after " << pos - it->second
                                          << " spawns (bound " << kBound << ")";
      it->second = pos;
    }
  }
  EXPECT_EQ(refused, 0u) << "spawns refused: the registry ran out of generations";
  EXPECT_GT(repeats, 0u) << "the test never reached a wrapped id";
  // Each child: its own queued message, then the error bounced to it (dead too):
  // no message to a dead id reached the actor living in its slot later.
  EXPECT_EQ(stats.get("dead_letters"), 2 * s.ids.size());
}

INSTANTIATE_TEST_SUITE_P(AllEngines, StaleIds, ::testing::ValuesIn(engine_params()), param_name);

}  // namespace
