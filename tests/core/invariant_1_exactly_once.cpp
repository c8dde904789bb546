// invariant_1_exactly_once.cpp: DESIGN invariant 1, "exactly once": a message
// sent to a live actor is dispatched once; one sent to a dead or unknown id is
// counted and answered with kTypeError (same session) to a live sender;
// messages queued at an exit become such dead letters; call/reply sessions
// match; a throwing actor answers with kActorThrew. Nothing leaks: actors are
// counted, payloads and nodes are checked by LSan in the ASan build (with
// -Dallocator=system; mimalloc memory is invisible to it). Stale ids (slot
// reuse) are in invariant_1_stale_ids.cpp.
// Threads: the engine's 2 workers, plus raw std::threads as external senders.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "invariant_1_common.hpp"
#include "tests/test_support.hpp"

using namespace testing_support;
using namespace invariant_1;
using actorlab::core::kNoActor;
using actorlab::core::kTypeResponse;

namespace {

class ExactlyOnce : public ::testing::TestWithParam<EngineParam> {};

// A payload over Message::kInlineBytes, so it lives on the heap: its pad
// words are derived from v, so a torn or reused payload is detected.
struct BigPayload {
  uint64_t v;
  uint64_t pad[5];
  static BigPayload make(uint64_t v) {
    BigPayload b{v, {}};
    for (int i = 0; i < 5; ++i) b.pad[i] = mix(v + static_cast<uint64_t>(i));
    return b;
  }
  bool intact() const {
    for (int i = 0; i < 5; ++i)
      if (pad[i] != mix(v + static_cast<uint64_t>(i))) return false;
    return true;
  }
};
static_assert(sizeof(BigPayload) > Message::kInlineBytes);

Message data_message(uint64_t v) {
  if (v % 7 == 0) return Message::of(kData, BigPayload::make(v));
  return Message::of(kData, v);
}

// ---------------------------------------------------------------------------
// Count + checksum. Targets: a message dispatched twice (double run, a mailbox
// node popped twice), lost (a push racing try_set_idle), or torn (a heap
// payload freed or reused while queued).

struct ChecksumShared {
  uint64_t expected_total = 0;
  Tally handled;   // data messages handled by all sinks
  Tally checksum;  // sum of mix(v) (wrapping)
  Tally torn;      // heap payloads whose pad words did not match
};

class Sink final : public actorlab::core::Actor {
 public:
  explicit Sink(ChecksumShared& s) : s_(s) {}
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type != kData) return;
    uint64_t v;
    if (msg.size() == sizeof(BigPayload)) {
      const auto b = msg.as<BigPayload>();
      if (!b.intact()) s_.torn.add();
      v = b.v;
    } else {
      v = msg.as<uint64_t>();
    }
    s_.checksum.add(mix(v));
    if (s_.handled.value.fetch_add(1, std::memory_order_relaxed) + 1 == s_.expected_total) ctx.signal_done(0);
  }

 private:
  ChecksumShared& s_;
};

// Sends `count` values to the sinks round-robin, 256 per dispatch, then
// re-queues itself with kMore (so it interleaves with the sinks' turns).
class Sender final : public actorlab::core::Actor {
 public:
  Sender(std::vector<ActorId> sinks, uint64_t base, uint64_t count)
      : sinks_(std::move(sinks)), base_(base), count_(count) {}
  void on_start(Context& ctx) override { burst(ctx); }
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kMore) burst(ctx);
  }

 private:
  void burst(Context& ctx) {
    const uint64_t end = std::min(count_, sent_ + 256);
    for (; sent_ < end; ++sent_) ctx.send(sinks_[sent_ % sinks_.size()], data_message(base_ + sent_));
    if (sent_ < count_) ctx.send(ctx.self(), kMore, uint8_t{0});
  }
  std::vector<ActorId> sinks_;
  uint64_t base_;
  uint64_t count_;
  uint64_t sent_ = 0;
};

TEST_P(ExactlyOnce, EveryMessageDispatchedOnceCountAndChecksum) {
  constexpr int kSinks = 16, kActorSenders = 4, kThreadSenders = 2;
  const uint64_t per_sender = scale(100'000);
  ChecksumShared shared;
  shared.expected_total = per_sender * (kActorSenders + kThreadSenders);
  uint64_t expected_checksum = 0;
  for (int s = 0; s < kActorSenders + kThreadSenders; ++s)
    for (uint64_t i = 0; i < per_sender; ++i) expected_checksum += mix((uint64_t(s) << 40) + i);

  auto engine = make_test_engine(GetParam());
  std::vector<ActorId> sinks;
  for (int i = 0; i < kSinks; ++i) sinks.push_back(engine->spawn<Sink>(shared));
  for (int s = 0; s < kActorSenders; ++s) engine->spawn<Sender>(sinks, uint64_t(s) << 40, per_sender);
  engine->start();
  std::vector<std::thread> threads;
  std::atomic<uint64_t> not_ok{0};
  for (int t = 0; t < kThreadSenders; ++t) {
    threads.emplace_back([&, t] {
      const uint64_t base = uint64_t(kActorSenders + t) << 40;
      for (uint64_t i = 0; i < per_sender; ++i)
        if (engine->send(sinks[(i + t) % sinks.size()], data_message(base + i)) != SendStatus::kOk)
          not_ok.fetch_add(1, std::memory_order_relaxed);
    });
  }
  for (auto& t : threads) t.join();
  wait_done_or_fail(*engine, "every data message to reach a sink");
  engine->stop();

  EXPECT_EQ(not_ok.load(), 0u);
  EXPECT_EQ(shared.handled.get(), shared.expected_total) << "lost or duplicated messages";
  EXPECT_EQ(shared.checksum.get(), expected_checksum) << "a value was lost, duplicated or corrupted";
  EXPECT_EQ(shared.torn.get(), 0u) << "a heap payload changed while queued";
  const auto stats = engine->stats();
  EXPECT_EQ(stats.get("dead_letters"), 0u);
  EXPECT_EQ(stats.get("dropped_at_stop"), 0u) << "nothing should be left queued after all arrived";
}

// ---------------------------------------------------------------------------
// Unknown ids. Targets: Registry::find on an index never handed out (inside
// an allocated chunk, inside an unallocated chunk, beyond the table), which
// must neither crash nor deliver, and must answer a live sender.

TEST_P(ExactlyOnce, UnknownIdsAreDeadTargetsWithErrorToSender) {
  // Two registry chunks (4096 cells each): index 100 is in the first chunk
  // (allocated, never handed out), 5000 in the second (never allocated), and
  // 100000 is beyond max_actors.
  auto engine = make_test_engine(GetParam(), 2, [](auto& c) { c.max_actors = 8192; });
  const std::vector<ActorId> unknown = {ActorId::make(100, 1), ActorId::make(5000, 1), ActorId::make(100000, 1),
                                        ActorId::make(100, 7)};
  ErrorLog log;
  const ActorId prober = engine->spawn<Prober>(log, unknown, unknown.size());
  ASSERT_TRUE(prober.valid());
  engine->start();
  for (ActorId id : unknown) EXPECT_EQ(engine->send(id, kProbe, uint64_t{1}, 5), SendStatus::kDeadTarget);
  ASSERT_EQ(engine->send(prober, kGo, uint8_t{0}), SendStatus::kOk);
  wait_done_or_fail(*engine, "the prober's kTypeError replies");
  engine->stop();
  check_errors(log, unknown);
  // 4 external (counted only: no live sender) + 4 from the prober.
  EXPECT_EQ(engine->stats().get("dead_letters"), 2 * unknown.size());
}

// ---------------------------------------------------------------------------
// Messages queued at an exit. Target: retire() leaving messages behind in the
// mailbox; each must become a dead letter answered to its sender with its own
// session, none may be dispatched to the dead actor or dropped silently.

struct ExitShared {
  Tally handled, destroyed;
};

class ExitOnFirst final : public actorlab::core::Actor {
 public:
  explicit ExitOnFirst(ExitShared& s) : s_(s) {}
  ~ExitOnFirst() override { s_.destroyed.add(); }
  void on_message(Context& ctx, Message&) override {
    s_.handled.add();
    ctx.exit();
  }

 private:
  ExitShared& s_;
};

// On kGo: sends kExit then n messages (session i, type kData + i % 3) to target.
class QueueBehindExit final : public actorlab::core::Actor {
 public:
  QueueBehindExit(ActorId target, uint32_t n) : target_(target), n_(n) {}
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kGo) {
      ctx.send(target_, kExit, uint8_t{0});
      for (uint32_t i = 1; i <= n_; ++i) ctx.send(target_, Message::of(kData + i % 3, i, i));
      return;
    }
    if (msg.type == kTypeError) {
      const auto info = msg.as<ErrorInfo>();
      const uint32_t i = msg.session;
      if (i < 1 || i > n_ || info.code != ErrorCode::kDeadTarget || info.original_type != kData + i % 3 ||
          info.target != target_ || msg.as<ErrorInfo>().target != msg.source || !sessions_.insert(i).second)
        ++bad_;
      if (sessions_.size() == n_) ctx.signal_done(bad_);
    }
  }

 private:
  ActorId target_;
  uint32_t n_;
  std::set<uint32_t> sessions_;
  int64_t bad_ = 0;
};

TEST_P(ExactlyOnce, MessagesQueuedAtExitBecomeDeadLettersWithErrors) {
  constexpr uint32_t kQueued = 500;
  auto engine = make_test_engine(GetParam());
  ExitShared es;
  const ActorId target = engine->spawn<ExitOnFirst>(es);
  const ActorId sender = engine->spawn<QueueBehindExit>(target, kQueued);
  engine->start();
  ASSERT_EQ(engine->send(sender, kGo, uint8_t{0}), SendStatus::kOk);
  EXPECT_EQ(wait_done_or_fail(*engine, "one error per message queued behind the exit"), 0)
      << "errors with a wrong session, code, type or target, or duplicated";
  engine->stop();
  EXPECT_EQ(es.handled.get(), 1u) << "the exited actor handled messages after exit()";
  EXPECT_EQ(es.destroyed.get(), 1u);
  EXPECT_EQ(engine->stats().get("dead_letters"), kQueued);
  EXPECT_EQ(engine->stats().get("exits"), 1u);
}

TEST_P(ExactlyOnce, ExternalMessagesQueuedAtExitAreCounted) {
  constexpr uint32_t kQueued = 300;
  auto engine = make_test_engine(GetParam());
  ExitShared es;
  const ActorId target = engine->spawn<ExitOnFirst>(es);
  // Queue before start, so that all of them are behind the exit message.
  ASSERT_EQ(engine->send(target, kExit, uint8_t{0}), SendStatus::kOk);
  for (uint32_t i = 0; i < kQueued; ++i) ASSERT_EQ(engine->send(target, kData, i), SendStatus::kOk);
  engine->start();
  EXPECT_TRUE(wait_until([&] { return engine->stats().get("dead_letters") == kQueued; }))
      << "dead_letters=" << engine->stats().get("dead_letters");
  engine->stop();
  EXPECT_EQ(es.handled.get(), 1u);
  EXPECT_EQ(engine->stats().get("dropped_at_stop"), 0u);
}

// ---------------------------------------------------------------------------
// call/reply. Target: sessions mixed up between concurrent clients, a reply
// delivered twice or to the wrong caller, a session 0 handed out; and a call
// to a dead id answered with kTypeError carrying that call's session.

class Server final : public actorlab::core::Actor {
 public:
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kRequest) ctx.reply(msg, Message::of(0, msg.as<uint64_t>() * 3 + 1));
    if (msg.type == kExit) ctx.exit();
  }
};

class Client final : public actorlab::core::Actor {
 public:
  Client(ActorId server, ActorId dead, uint64_t calls, Tally& bad, Tally& done)
      : server_(server), dead_(dead), calls_(calls), bad_(bad), done_(done) {}
  void on_start(Context& ctx) override {
    for (int i = 0; i < 8; ++i) issue(ctx);
    dead_session_ = ctx.call(dead_, Message::of(kRequest, uint64_t{0}));
    if (dead_session_ == 0) bad_.add();
  }
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kTypeError) {
      if (msg.session != dead_session_ || dead_answered_ || msg.as<ErrorInfo>().target != dead_) bad_.add();
      dead_answered_ = true;
    } else if (msg.type == kTypeResponse) {
      auto it = pending_.find(msg.session);
      if (it == pending_.end() || msg.source != server_ || msg.as<uint64_t>() != it->second * 3 + 1) {
        bad_.add();
      } else {
        pending_.erase(it);
        ++answered_;
      }
      issue(ctx);
    } else {
      bad_.add();
    }
    if (answered_ == calls_ && dead_answered_ && !reported_) {
      reported_ = true;
      if (!pending_.empty()) bad_.add();
      done_.add();
    }
  }

 private:
  void issue(Context& ctx) {
    if (issued_ == calls_) return;
    const uint64_t v = issued_++ * 1000003;
    const uint32_t session = ctx.call(server_, Message::of(kRequest, v));
    if (session == 0 || session == dead_session_ || !pending_.emplace(session, v).second) bad_.add();
  }
  ActorId server_, dead_;
  uint64_t calls_;
  Tally& bad_;
  Tally& done_;
  std::map<uint32_t, uint64_t> pending_;
  uint64_t issued_ = 0, answered_ = 0;
  uint32_t dead_session_ = 0;
  bool dead_answered_ = false, reported_ = false;
};

TEST_P(ExactlyOnce, CallReplySessionsMatch) {
  constexpr int kClients = 4;
  const uint64_t calls = scale(20'000);
  auto engine = make_test_engine(GetParam());
  const ActorId server = engine->spawn<Server>();
  const ActorId doomed = engine->spawn<Server>();
  engine->start();
  ASSERT_EQ(engine->send(doomed, kExit, uint8_t{0}), SendStatus::kOk);
  ASSERT_TRUE(wait_until([&] { return engine->stats().get("exits") == 1; }));
  Tally bad, done;
  for (int c = 0; c < kClients; ++c) ASSERT_TRUE(engine->spawn<Client>(server, doomed, calls, bad, done).valid());
  const bool finished = wait_until([&] { return done.get() == kClients; });
  engine->stop();
  ASSERT_TRUE(finished) << "clients did not get every reply";
  EXPECT_EQ(bad.get(), 0u) << "a reply with an unknown, repeated or mismatched session";
  EXPECT_EQ(engine->stats().get("dead_letters"), uint64_t(kClients));
}

// ---------------------------------------------------------------------------
// An actor that throws. Target: dispatch letting an exception escape the
// worker (std::terminate), or swallowing it without telling the sender: the
// message is consumed once, the sender gets kTypeError/kActorThrew with the
// request's session, actor_errors counts it, and the actor keeps running.

class Thrower final : public actorlab::core::Actor {
 public:
  explicit Thrower(Tally& handled) : handled_(handled) {}
  void on_message(Context&, Message& msg) override {
    handled_.add();
    if (msg.as<uint64_t>() % 2 == 1) throw std::runtime_error("odd");
  }

 private:
  Tally& handled_;
};

class ThrowClient final : public actorlab::core::Actor {
 public:
  ThrowClient(ActorId thrower, uint32_t n) : thrower_(thrower), n_(n) {}
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kGo) {
      for (uint32_t i = 0; i < n_; ++i) ctx.send(thrower_, Message::of(kData, uint64_t(i), 1000 + i));
      return;
    }
    const auto info = msg.as<ErrorInfo>();
    const uint32_t i = msg.session - 1000;
    if (msg.type != kTypeError || info.code != ErrorCode::kActorThrew || i >= n_ || i % 2 != 1 ||
        info.target != thrower_ || !seen_.insert(i).second)
      ++bad_;
    if (seen_.size() == n_ / 2) ctx.signal_done(bad_);
  }

 private:
  ActorId thrower_;
  uint32_t n_;
  std::set<uint32_t> seen_;
  int64_t bad_ = 0;
};

TEST_P(ExactlyOnce, ThrowingActorAnswersTheSenderAndKeepsRunning) {
  constexpr uint32_t kN = 200;
  auto engine = make_test_engine(GetParam());
  Tally handled;
  const ActorId thrower = engine->spawn<Thrower>(handled);
  const ActorId client = engine->spawn<ThrowClient>(thrower, kN);
  engine->start();
  ASSERT_EQ(engine->send(client, kGo, uint8_t{0}), SendStatus::kOk);
  EXPECT_EQ(wait_done_or_fail(*engine, "one kActorThrew error per throw"), 0)
      << "an error with a wrong code, session or target, or twice";
  ASSERT_TRUE(wait_until([&] { return handled.get() == kN; })) << "the actor stopped after a throw";
  engine->stop();
  const auto stats = engine->stats();
  EXPECT_EQ(stats.get("actor_errors"), kN / 2);
  EXPECT_EQ(stats.get("dead_letters"), 0u);
  EXPECT_EQ(stats.get("dropped_at_stop"), 0u);
}

// ---------------------------------------------------------------------------
// kNoActor (id value 0) as a target. Target bug: Registry::find() compares the
// cell's owner_id_ with the id's value; a free slot has owner_id_ == 0, so id
// 0 (index 0, generation 0) matches slot 0 once its first actor has exited.
// The message is then queued, and dispatch() compares target 0 with the free
// cell's live_id_ == 0, matches, and calls on_message on actor_ == nullptr.
// The realistic path is ctx.reply() to a request sent from outside (source
// kNoActor). Run in a child process (death-test machinery) so that the crash
// this targets fails one test instead of aborting the binary.

struct NoActorShared {
  Tally replies_sent, destroyed, errors;
  std::atomic<int> reply_status{-1};
};

class Replier final : public actorlab::core::Actor {
 public:
  explicit Replier(NoActorShared& s) : s_(s) {}
  ~Replier() override { s_.destroyed.add(); }
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kExit) {
      ctx.exit();
      return;
    }
    if (msg.type == actorlab::core::kTypeError) {  // its reply to nobody came back: answer no more
      s_.errors.add();
      return;
    }
    // msg.source is kNoActor: the request came from outside the actors.
    s_.reply_status.store(static_cast<int>(ctx.reply(msg, Message::of(0, uint64_t{42}))));
    s_.replies_sent.add();
  }

 private:
  NoActorShared& s_;
};

void reply_to_outside_after_slot_zero_freed(const EngineParam& param) {
  auto engine = make_test_engine(param);
  NoActorShared s;
  const ActorId slot_zero = engine->spawn<Replier>(s);  // index 0: the first slot handed out
  const ActorId replier = engine->spawn<Replier>(s);
  ASSERT_EQ(slot_zero.index(), 0u);
  engine->start();
  ASSERT_EQ(engine->send(slot_zero, kExit, uint8_t{0}), SendStatus::kOk);
  ASSERT_TRUE(wait_until([&] { return s.destroyed.get() == 1; }));
  // Directly: a send to id 0 is a send to nobody.
  EXPECT_EQ(engine->send(kNoActor, kData, uint64_t{1}), SendStatus::kDeadTarget);
  // And through reply(): the replier answers a request whose source is kNoActor.
  ASSERT_EQ(engine->send(replier, kRequest, uint64_t{7}, 9), SendStatus::kOk);
  ASSERT_TRUE(wait_until([&] { return s.replies_sent.get() == 1; }));
  EXPECT_EQ(s.reply_status.load(), static_cast<int>(SendStatus::kDeadTarget));
  // The replier is alive, so its failed reply comes back to it as an error.
  EXPECT_TRUE(wait_until([&] { return s.errors.get() == 1; }));
  // Give a worker the chance to dispatch whatever was queued for slot 0.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  engine->stop();
  EXPECT_EQ(engine->stats().get("dead_letters"), 2u);
}

TEST_P(ExactlyOnce, SendToNoActorIsDeadTargetEvenWhenSlotZeroIsFree) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const EngineParam param = GetParam();
  EXPECT_EXIT(
      {
        reply_to_outside_after_slot_zero_freed(param);
        std::fflush(nullptr);
        std::_Exit(::testing::Test::HasFailure() ? 1 : 0);
      },
      ::testing::ExitedWithCode(0), "")
      << "child crashed or failed: see its output above (a send to kNoActor reached a free slot)";
}

INSTANTIATE_TEST_SUITE_P(AllEngines, ExactlyOnce, ::testing::ValuesIn(engine_params()), param_name);

}  // namespace
