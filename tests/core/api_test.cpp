// api_test.cpp: the user-facing API of core/actor.hpp, core/inbox.hpp and
// sched/select.hpp: Context::parent(), main-thread inboxes, spawn_batch,
// presets named in Config, the default on_message.
// Targets: a parent that is only the start message's source (lost after
// on_start); a start overtaken by messages sent right after the spawn; an
// inbox that loses or reorders a sender's messages, misses a wake-up (a
// receive that sleeps through a push: the test then times out),
// returns nothing when messages wait, blocks past stop(), or leaks the
// messages it held at stop (they must be counted in dropped_at_stop, so that
// messages + inbox_received + dropped_at_stop == spawns + accepted sends);
// a closed inbox's id still accepted; a batch member that runs before its
// peers are registered (its message to a peer would be a dead letter) or a
// batch that half-spawns on failure; a preset name that throws in Config,
// and a preset that overrides the caller's explicit part.
// Threads: the engine's workers, the test's main thread, one receiver thread.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/inbox.hpp"
#include "sched/batch.hpp"
#include "sched/knobs.hpp"
#include "tests/test_support.hpp"

using namespace testing_support;
using actorlab::core::ActorId;
using actorlab::core::Context;
using actorlab::core::Inbox;
using actorlab::core::kNoActor;
using actorlab::core::Message;
using actorlab::core::SendStatus;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kReport = actorlab::core::kFirstUserType;
constexpr uint32_t kSeq = kReport + 1;
constexpr uint32_t kToken = kReport + 2;

struct Seq {
  uint32_t sender;
  uint32_t n;
};
struct Who {  // a ParentReporter's report
  ActorId self, parent;
};
struct RingDone {  // the last ring member's report
  uint64_t hops;
  ActorId parent;
};

// Reports self and parent to `to` from on_start, and again on any message
// (the parent must stay known after on_start).
class ParentReporter : public actorlab::core::Actor {
 public:
  explicit ParentReporter(ActorId to, bool spawn_child = false) : to_(to), spawn_child_(spawn_child) {}
  void on_start(Context& ctx) override {
    ctx.send(to_, kReport, Who{ctx.self(), ctx.parent()});
    if (spawn_child_) ctx.spawn<ParentReporter>(to_);
  }
  void on_message(Context& ctx, Message&) override {
    ctx.send(to_, kReport, Who{ctx.self(), ctx.parent()});
  }

 private:
  ActorId to_;
  bool spawn_child_;
};

// Sends `count` numbered messages to `to` and nothing else: it keeps the
// default on_message.
class Counter : public actorlab::core::Actor {
 public:
  Counter(ActorId to, uint32_t sender, uint32_t count) : to_(to), sender_(sender), count_(count) {}
  void on_start(Context& ctx) override {
    for (uint32_t i = 0; i < count_; ++i) ctx.send(to_, kSeq, Seq{sender_, i});
  }

 private:
  ActorId to_;
  uint32_t sender_, count_;
};

// Answers every request with its payload.
class Echo : public actorlab::core::Actor {
 public:
  void on_message(Context& ctx, Message& msg) override {
    ctx.reply(msg, Message::of(0, msg.as<uint64_t>()));
  }
};

// A ring member: knows its successor from the constructor (spawn_batch);
// member 0 sends the token from on_start; the last reports hops to `out`.
class RingMember : public actorlab::core::Actor {
 public:
  RingMember(ActorId next, ActorId out, bool first, bool last) : next_(next), out_(out), first_(first), last_(last) {}
  void on_start(Context& ctx) override {
    if (first_) ctx.send(next_, kToken, uint64_t{1});
  }
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type != kToken) return;
    const uint64_t hops = msg.as<uint64_t>();
    if (last_)
      ctx.send(out_, kReport, RingDone{hops, ctx.parent()});
    else
      ctx.send(next_, kToken, hops + 1);
  }

 private:
  ActorId next_, out_;
  bool first_, last_;
};

// Spawns a ring of n with spawn_batch from inside an actor.
class RingSpawner : public actorlab::core::Actor {
 public:
  RingSpawner(ActorId out, std::size_t n) : out_(out), n_(n) {}
  void on_start(Context& ctx) override {
    const ActorId out = out_;
    const std::size_t n = n_;
    auto ids = ctx.spawn_batch(n, [out, n](std::size_t i, std::span<const ActorId> ids) {
      return std::make_unique<RingMember>(ids[(i + 1) % n], out, i == 0, i + 1 == n);
    });
    if (ids.size() != n) ctx.send(out_, kReport, RingDone{0, kNoActor});
  }

 private:
  ActorId out_;
  std::size_t n_;
};

Who report_of(const Message& m) { return m.as<Who>(); }

class Api : public ::testing::TestWithParam<EngineParam> {};

TEST_P(Api, ParentIsTheSpawnerOrNoActorAndOutlivesOnStart) {
  auto engine = make_test_engine(GetParam());
  Inbox inbox = engine->inbox();
  const ActorId root = engine->spawn<ParentReporter>(inbox.id(), /*spawn_child=*/true);
  engine->start();
  std::map<uint32_t, ActorId> parent_of;  // by id value  // self -> parent, from on_start
  ActorId child;
  for (int i = 0; i < 2; ++i) {
    auto msg = inbox.receive(kGenerousTimeout);
    ASSERT_TRUE(msg) << "report " << i << " never came";
    const auto [self, parent] = report_of(*msg);
    parent_of[self.value()] = parent;
    if (self != root) child = self;
  }
  EXPECT_EQ(parent_of.at(root.value()), kNoActor) << "spawned from outside";
  ASSERT_TRUE(child.valid());
  EXPECT_EQ(parent_of.at(child.value()), root) << "spawned by root";
  // After on_start too.
  engine->send(child, kSeq, uint32_t{0});
  auto later = inbox.receive(kGenerousTimeout);
  ASSERT_TRUE(later);
  EXPECT_EQ(report_of(*later).parent, root);
}

// Target: the start of an actor overtaken by messages sent right after its
// spawn (a folded start, core/runtime.hpp queue_start, that a turn skips, or
// a start pushed behind them); a start counted other than as one message.
// A spawner actor spawns children in rounds; each child exits after its 3rd
// message, so later rounds reuse their cells (the lockfree kind folds the
// start when the cell's mailbox is idle, else queues a start message).
class StartFirstChild final : public actorlab::core::Actor {
 public:
  StartFirstChild(Tally& overtaken, ActorId report) : overtaken_(overtaken), report_(report) {}
  void on_start(Context&) override { started_ = true; }
  void on_message(Context& ctx, Message& msg) override {
    if (!started_ || msg.as<uint32_t>() != seen_) overtaken_.add();
    if (++seen_ == 3) {
      ctx.send(report_, kReport, uint32_t{0});
      ctx.exit();
    }
  }

 private:
  Tally& overtaken_;
  ActorId report_;
  bool started_ = false;
  uint32_t seen_ = 0;
};

class RoundSpawner final : public actorlab::core::Actor {
 public:
  RoundSpawner(Tally& overtaken, ActorId inbox, int rounds) : overtaken_(overtaken), inbox_(inbox), rounds_(rounds) {}
  void on_start(Context& ctx) override { round(ctx); }
  void on_message(Context& ctx, Message&) override {
    if (++reports_ % kPerRound == 0) round(ctx);
  }

 private:
  static constexpr int kPerRound = 50;
  void round(Context& ctx) {
    if (rounds_-- == 0) {
      ctx.send(inbox_, kReport, uint32_t{1});
      return;
    }
    for (int i = 0; i < kPerRound; ++i) {
      const ActorId child = ctx.spawn<StartFirstChild>(overtaken_, ctx.self());
      for (uint32_t n = 0; n < 3; ++n) ctx.send(child, kSeq, n);
    }
  }
  Tally& overtaken_;
  ActorId inbox_;
  int rounds_;
  int reports_ = 0;
};

TEST_P(Api, StartRunsBeforeTheMessagesSentRightAfterSpawn) {
  auto engine = make_test_engine(GetParam());
  Inbox inbox = engine->inbox();
  Tally overtaken;
  // From outside, before and after start().
  const ActorId early = engine->spawn<StartFirstChild>(overtaken, inbox.id());
  for (uint32_t n = 0; n < 3; ++n) ASSERT_EQ(engine->send(early, kSeq, n), SendStatus::kOk);
  engine->spawn<RoundSpawner>(overtaken, inbox.id(), 40);
  engine->start();
  const ActorId late = engine->spawn<StartFirstChild>(overtaken, inbox.id());
  for (uint32_t n = 0; n < 3; ++n) ASSERT_EQ(engine->send(late, kSeq, n), SendStatus::kOk);
  int children_done = 0;
  bool spawner_done = false;
  while (!spawner_done || children_done < 2) {
    auto msg = inbox.receive(kGenerousTimeout);
    ASSERT_TRUE(msg) << "a report never came";
    if (msg->as<uint32_t>() == 1) spawner_done = true; else ++children_done;
  }
  engine->stop();
  const auto stats = engine->stats();
  EXPECT_EQ(overtaken.get(), 0u) << "a message ran before its actor's start, or out of order";
  EXPECT_EQ(stats.get("dead_letters"), 0u);
  // 2 + 1 + 2000 actors; each start counts as one message dispatched. Sends:
  // 3 to each of the 2002 children, 2000 reports to the spawner, 2 from the
  // outside children and 1 from the spawner to the inbox.
  EXPECT_EQ(stats.get("spawns"), 2003u);
  EXPECT_EQ(stats.get("messages") + stats.get("inbox_received") + stats.get("dropped_at_stop"),
            stats.get("spawns") + 3u * 2002u + 2000u + 2u + 1u);
}

TEST_P(Api, InboxGetsEveryMessageInOrderPerSender) {
  constexpr uint32_t kSenders = 3;
  const uint32_t each = static_cast<uint32_t>(scale(2000));
  auto engine = make_test_engine(GetParam());
  Inbox inbox = engine->inbox();
  for (uint32_t s = 0; s < kSenders; ++s) engine->spawn<Counter>(inbox.id(), s, each);
  engine->start();
  std::vector<uint32_t> next(kSenders, 0);
  for (uint64_t got = 0; got < uint64_t{kSenders} * each; ++got) {
    auto msg = inbox.receive(kGenerousTimeout);
    ASSERT_TRUE(msg) << "lost after " << got << " messages";
    ASSERT_EQ(msg->type, kSeq);
    const Seq seq = msg->as<Seq>();
    ASSERT_LT(seq.sender, kSenders);
    ASSERT_EQ(seq.n, next[seq.sender]) << "sender " << seq.sender << " out of order";
    ++next[seq.sender];
  }
  EXPECT_FALSE(inbox.receive(10ms)) << "nothing more was sent";
  EXPECT_EQ(engine->stats().get("inbox_received"), uint64_t{kSenders} * each);
}

TEST_P(Api, SpawnBatchWiresARingBeforeAnyMemberRuns) {
  const std::size_t n = 50;
  auto engine = make_test_engine(GetParam());
  Inbox inbox = engine->inbox();
  const ActorId out = inbox.id();
  // From outside: parent kNoActor.
  auto ids = engine->spawn_batch(n, [out, n](std::size_t i, std::span<const ActorId> ids) {
    return std::make_unique<RingMember>(ids[(i + 1) % n], out, i == 0, i + 1 == n);
  });
  ASSERT_EQ(ids.size(), n);
  // From an actor: parent is the spawner.
  const ActorId spawner = engine->spawn<RingSpawner>(out, n);
  engine->start();
  std::map<uint32_t, uint64_t> hops_by_parent;  // by parent id value
  for (int i = 0; i < 2; ++i) {
    auto msg = inbox.receive(kGenerousTimeout);
    ASSERT_TRUE(msg) << "a ring's token was lost";
    const auto [hops, parent] = msg->as<RingDone>();
    hops_by_parent[parent.value()] = hops;
  }
  EXPECT_EQ(hops_by_parent[kNoActor.value()], n - 1);
  EXPECT_EQ(hops_by_parent[spawner.value()], n - 1);
  EXPECT_EQ(engine->stats().get("dead_letters"), 0u) << "no member may get a message before its start";
}

INSTANTIATE_TEST_SUITE_P(AllEngines, Api, ::testing::ValuesIn(engine_params()), param_name);

// Counts what Message::adopted hands back.
class CountingOwner final : public actorlab::core::BufferOwner {
 public:
  void buffer_released(const std::byte* data, std::size_t size, uint64_t tag) noexcept override {
    released.fetch_add(1);
    last_data.store(data);
    last_size.store(size);
    last_tag.store(tag);
  }
  std::atomic<int> released{0};
  std::atomic<const std::byte*> last_data{nullptr};
  std::atomic<std::size_t> last_size{0};
  std::atomic<uint64_t> last_tag{0};
};

// Checks an adopted payload in place (no copy), then drops it.
class AdoptedReader final : public actorlab::core::Actor {
 public:
  AdoptedReader(const std::byte* expected, std::atomic<int>& seen) : expected_(expected), seen_(seen) {}
  void on_message(Context&, Message& msg) override {
    if (msg.type == kSeq && msg.adopted_payload() && msg.data() == expected_ && msg.size() == 100) seen_.fetch_add(1);
  }

 private:
  const std::byte* expected_;
  std::atomic<int>& seen_;
};

TEST(ApiMessage, AnAdoptedPayloadGoesBackOnceWhereverTheMessageEnds) {
  std::vector<std::byte> buffer(100, std::byte{7});
  CountingOwner owner;
  {
    Message m = Message::adopted(kSeq, 9, buffer.data(), buffer.size(), &owner, 42);
    EXPECT_TRUE(m.adopted_payload());
    EXPECT_EQ(m.data(), buffer.data());
    EXPECT_EQ(m.size(), 100u);
    EXPECT_EQ(m.session, 9u);
    Message moved = std::move(m);
    EXPECT_EQ(moved.data(), buffer.data());
    EXPECT_EQ(owner.released.load(), 0) << "a move gave the buffer back";
    moved = Message::of(kSeq, uint64_t{1});  // overwritten: given back now
    EXPECT_EQ(owner.released.load(), 1);
    EXPECT_EQ(owner.last_data.load(), buffer.data());
    EXPECT_EQ(owner.last_size.load(), 100u);
    EXPECT_EQ(owner.last_tag.load(), 42u);
    EXPECT_FALSE(moved.adopted_payload());
  }
  EXPECT_EQ(owner.released.load(), 1) << "given back twice";
  EXPECT_FALSE(Message(kSeq, 0, buffer.data(), 40).adopted_payload()) << "a heap copy is not adopted";

  // Handled by an actor on a worker, sent to a dead id, queued at stop.
  std::atomic<int> seen{0};
  auto engine = actorlab::sched::make_engine(actorlab::core::Config{});
  const ActorId reader = engine->spawn<AdoptedReader>(buffer.data(), seen);
  engine->start();
  Message handled = Message::adopted(kSeq, 0, buffer.data(), buffer.size(), &owner, 1);
  handled.target = reader;
  ASSERT_EQ(engine->runtime().send(std::move(handled), -1), SendStatus::kOk);
  EXPECT_TRUE(wait_until([&] { return owner.released.load() == 2; }));
  EXPECT_EQ(seen.load(), 1) << "the actor did not see the adopted bytes in place";
  {
    // Refused at once or dead-lettered by a worker: either way given back
    // once (a refused message stays the caller's until its scope ends).
    Message dead = Message::adopted(kSeq, 0, buffer.data(), buffer.size(), &owner, 2);
    dead.target = ActorId::make(12345, 7);
    engine->runtime().send(std::move(dead), -1);
  }
  EXPECT_TRUE(wait_until([&] { return owner.released.load() == 3; }));
  Inbox held = engine->inbox();  // never received from: its message is released by stop()
  Message queued = Message::adopted(kSeq, 0, buffer.data(), buffer.size(), &owner, 3);
  queued.target = held.id();
  engine->runtime().send(std::move(queued), -1);
  engine->stop();
  EXPECT_EQ(owner.released.load(), 4) << "each adopted message given back exactly once";
  EXPECT_EQ(owner.last_tag.load(), 3u);
}

TEST(ApiInbox, ReceiveTimesOutWhenNothingComes) {
  auto engine = actorlab::sched::make_engine(actorlab::core::Config{});
  engine->start();
  Inbox inbox = engine->inbox();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(inbox.receive(30ms));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 30ms);
  EXPECT_FALSE(inbox.receive(0ns));
}

TEST(ApiInbox, CallAndReplyComeBackToTheRightInbox) {
  auto engine = actorlab::sched::make_engine(actorlab::core::Config{});
  const ActorId echo = engine->spawn<Echo>();
  engine->start();
  Inbox a = engine->inbox();
  Inbox b = engine->inbox();
  ASSERT_NE(a.id(), b.id());
  const uint32_t sa = a.call(echo, Message::of(kSeq, uint64_t{11}));
  const uint32_t sb = b.call(echo, Message::of(kSeq, uint64_t{22}));
  auto ra = a.receive(kGenerousTimeout);
  auto rb = b.receive(kGenerousTimeout);
  ASSERT_TRUE(ra && rb);
  EXPECT_EQ(ra->type, actorlab::core::kTypeResponse);
  EXPECT_EQ(ra->session, sa);
  EXPECT_EQ(ra->as<uint64_t>(), 11u);
  EXPECT_EQ(rb->session, sb);
  EXPECT_EQ(rb->as<uint64_t>(), 22u);
  // A heap payload survives the trip and is freed with the message.
  std::vector<std::byte> big(1000, std::byte{7});
  engine->send(b.id(), Message(kSeq, 0, big.data(), big.size()));
  auto rbig = b.receive(kGenerousTimeout);
  ASSERT_TRUE(rbig);
  ASSERT_EQ(rbig->size(), big.size());
  EXPECT_EQ(rbig->data()[999], std::byte{7});
}

TEST(ApiInbox, AClosedInboxIsADeadTarget) {
  auto engine = actorlab::sched::make_engine(actorlab::core::Config{});
  const ActorId echo = engine->spawn<Echo>();
  engine->start();
  Inbox replies = engine->inbox();
  Inbox gone = engine->inbox();
  const ActorId gone_id = gone.id();
  gone.close();
  EXPECT_EQ(engine->send(gone_id, kSeq, uint32_t{1}), SendStatus::kDeadTarget);
  // An actor answering the closed inbox gets nothing back there; the
  // closed id's slot, reopened, does not receive it either.
  Inbox reopened = engine->inbox();
  EXPECT_NE(reopened.id(), gone_id);
  Message req = Message::of(kSeq, uint64_t{5});
  req.source = gone_id;  // as if the closed inbox had asked
  req.target = echo;
  engine->runtime().send(std::move(req), -1);
  EXPECT_TRUE(wait_until([&] { return engine->stats().get("dead_letters") >= 2; }));
  EXPECT_FALSE(reopened.receive(20ms));
  // An inbox asking a dead actor gets kTypeError.
  const uint32_t session = replies.call(ActorId::make(12345, 7), Message::of(kSeq, uint64_t{0}));
  auto err = replies.receive(kGenerousTimeout);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->type, actorlab::core::kTypeError);
  EXPECT_EQ(err->session, session);
}

TEST(ApiInbox, StopCountsWhatInboxesHeldAndWakesAReceiver) {
  constexpr uint32_t kLeft = 40;
  auto engine = actorlab::sched::make_engine(actorlab::core::Config{});
  Inbox held = engine->inbox();
  Inbox waiting = engine->inbox();
  engine->start();
  uint64_t accepted = 0;
  for (uint32_t i = 0; i < kLeft; ++i)
    accepted += engine->send(held.id(), Message(kSeq, 0, std::vector<char>(100, 'x').data(), 100)) == SendStatus::kOk;
  accepted += engine->send(held.id(), kSeq, uint32_t{0}) == SendStatus::kOk;
  ASSERT_TRUE(held.receive(kGenerousTimeout));  // one taken, the rest left
  std::atomic<bool> returned{false};
  std::thread receiver([&] {
    EXPECT_FALSE(waiting.receive(std::chrono::seconds(50)));
    returned.store(true);
  });
  std::this_thread::sleep_for(20ms);
  const auto t0 = std::chrono::steady_clock::now();
  engine->stop();
  receiver.join();
  EXPECT_TRUE(returned.load());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s) << "stop() must wake a blocked receive";
  EXPECT_FALSE(held.receive(10s)) << "after stop: nothing, at once";
  const auto stats = engine->stats();
  EXPECT_EQ(stats.get("inbox_received"), 1u);
  EXPECT_EQ(stats.get("messages") + stats.get("inbox_received") + stats.get("dropped_at_stop"),
            stats.get("spawns") + accepted)
      << "dropped_at_stop=" << stats.get("dropped_at_stop");
  EXPECT_EQ(stats.get("dropped_at_stop"), accepted - 1);
  EXPECT_THROW((void)engine->inbox(), std::runtime_error);
}

TEST(ApiBatch, AFailedBatchSpawnsNothing) {
  actorlab::core::Config c;
  c.max_actors = 8;
  auto engine = actorlab::sched::make_engine(c);
  auto make = [](std::size_t, std::span<const ActorId>) { return std::make_unique<Echo>(); };
  EXPECT_TRUE(engine->spawn_batch(9, make).empty()) << "more than the registry holds";
  auto throwing = [](std::size_t i, std::span<const ActorId>) -> std::unique_ptr<actorlab::core::Actor> {
    if (i == 3) throw std::runtime_error("no");
    return std::make_unique<Echo>();
  };
  EXPECT_TRUE(engine->spawn_batch(5, throwing).empty());
  EXPECT_EQ(engine->stats().get("spawns"), 0u);
  EXPECT_EQ(engine->stats().get("spawn_failures"), 2u);
  // The slots came back: a full-size batch fits.
  EXPECT_EQ(engine->spawn_batch(8, make).size(), 8u);
  engine->start();
}

// --batch=all reads the queue length: a mailbox that skipped its push count
// would report none, and the backlog would run one message per turn. Target:
// the runtime turning the count off (core/mailbox_lockfree.hpp) where the
// batch rule needs it. One worker, 50 messages queued before start: the
// first turn runs the start message and all 50 (the 32-63 bucket).
class Tally50 final : public actorlab::core::Actor {
 public:
  void on_message(Context& ctx, Message&) override {
    if (++seen_ == 50) ctx.signal_done(0);
  }

 private:
  int seen_ = 0;
};

TEST(ApiBatch, BatchAllRunsTheWholeBacklogInOneTurnWithEveryMailboxKind) {
  for (const char* policy : {"skynet", "steal", "pinned"}) {
    for (auto kind : {actorlab::core::MailboxKind::kLockfree, actorlab::core::MailboxKind::kSpinRing,
                      actorlab::core::MailboxKind::kSegmented}) {
      SCOPED_TRACE(std::string(policy) + " mailbox " + std::to_string(static_cast<int>(kind)));
      actorlab::core::Config c;
      c.policy = policy;
      c.threads = 1;
      c.mailbox = kind;
      c.batch = actorlab::core::BatchKnob::parse("all");
      auto engine = actorlab::sched::make_engine(c);
      const ActorId a = engine->spawn<Tally50>();
      for (int i = 0; i < 50; ++i) ASSERT_EQ(engine->send(a, kSeq, uint64_t{0}), SendStatus::kOk);
      engine->start();
      ASSERT_TRUE(engine->wait_done(kGenerousTimeout).has_value());
      engine->stop();
      const auto stats = engine->stats();
      EXPECT_EQ(stats.get("batch_32_63"), 1u) << "the start message and 50 in one turn";
      EXPECT_EQ(stats.get("batch_1"), 0u) << "a turn ran one message: the length was not known";
    }
  }
}

TEST(ApiBatch, OnlyAllAndNonNegativeWeightsReadTheLength) {
  using actorlab::core::BatchKnob;
  using actorlab::sched::batch_reads_length;
  EXPECT_TRUE(batch_reads_length(BatchKnob::parse("all"), 1));
  EXPECT_FALSE(batch_reads_length(BatchKnob::parse("16"), 64));
  EXPECT_FALSE(batch_reads_length(BatchKnob::parse("weights"), 4)) << "workers 0-3 have weight -1";
  EXPECT_TRUE(batch_reads_length(BatchKnob::parse("weights"), 5)) << "worker 4 has weight 0";
}

TEST(ApiConfig, APresetNameInConfigIsExpandedAndExplicitPartsWin) {
  actorlab::core::Config c;
  c.policy = "skynet-classic";
  auto engine = actorlab::sched::make_engine(c);
  EXPECT_EQ(engine->config().mailbox, actorlab::core::MailboxKind::kSpinRing);
  EXPECT_EQ(engine->config().runqueue, "spinlist");
  c = {};
  c.policy = "steal";
  c.steal = "one";  // explicit (off its default): wins over the preset's steal half
  c.threads = 1;
  engine = actorlab::sched::make_engine(c);
  EXPECT_EQ(engine->config().placement, "local");
  EXPECT_EQ(engine->config().lifo, "on");
  EXPECT_EQ(engine->config().steal, "one");
  EXPECT_EQ(engine->config().threads, 1);
  // It runs.
  Inbox inbox = engine->inbox();
  engine->spawn<Counter>(inbox.id(), 0, 3);
  engine->start();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(inbox.receive(kGenerousTimeout));
  // The CLI's path (apply_preset, then a part set to its default) stays as set.
  c = {};
  ASSERT_TRUE(actorlab::sched::apply_preset("steal", c));
  c.lifo = "off";
  c.steal = "off";
  c.placement = "global";
  EXPECT_EQ(actorlab::sched::resolve(c).placement, "global");
}

TEST(ApiConfig, ListedBackendsAndDriversAreTheKnobChoices) {
  auto names = [](const std::vector<actorlab::sched::Named>& list) {
    std::vector<std::string> out;
    for (const auto& n : list) out.push_back(n.name);
    return out;
  };
  EXPECT_EQ(names(actorlab::sched::backend_choices()), actorlab::sched::find_knob("backend")->choices);
  EXPECT_EQ(names(actorlab::sched::driver_choices()), actorlab::sched::find_knob("net")->choices);
}

}  // namespace
