// mailbox_limit_test.cpp: --mailbox-limit=N, per composition. An actor's
// send to a receiver already holding N messages returns SendStatus::kFull
// and leaves the message with the sender (not moved from); sends from
// outside the actors (Engine::send from the main thread, the net thread,
// timers, runtime bounces) are never refused.
// Targets: a refused message lost or delivered twice (the sender keeps and
// resends it, so the receiver must see every sequence number once, in
// order); a limit that never refuses (the count is not kept, or not
// decremented as the receiver drains: then refusals never end and the run
// stalls); two actors flooding each other deadlocking (each refused by the
// other: neither may block, both must finish; a refused retry-to-self would
// strand both); an outside sender refused or
// dropped at the limit.
// Threads: the engine's 2 workers and the test's main thread.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "tests/test_support.hpp"

using namespace testing_support;
using actorlab::core::ActorId;
using actorlab::core::Context;
using actorlab::core::Message;
using actorlab::core::SendStatus;

namespace {

constexpr uint32_t kData = actorlab::core::kFirstUserType;
constexpr uint32_t kRetry = kData + 1;
constexpr uint32_t kLimit = 16;

struct Shared {
  uint64_t expected_total = 0;
  Tally received, out_of_order, refused;
};

// Counts kData per sender (payload: sender index, sequence) and checks the
// order; optionally spins a little per message so that senders outrun it.
class CheckingReceiver : public actorlab::core::Actor {
 public:
  CheckingReceiver(Shared& s, uint32_t senders, int slow_spins) : s_(s), next_(senders, 0), slow_(slow_spins) {}
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type != kData) return;
    take(ctx, msg);
  }

 protected:
  void take(Context& ctx, const Message& msg) {
    const auto item = msg.as<std::array<uint64_t, 2>>();
    if (item[0] >= next_.size() || item[1] != next_[item[0]]) s_.out_of_order.add();
    if (item[0] < next_.size()) next_[item[0]] = item[1] + 1;
    for (int i = 0; i < slow_; ++i) asm volatile("" ::: "memory");
    if (s_.received.value.fetch_add(1, std::memory_order_relaxed) + 1 == s_.expected_total) ctx.signal_done(0);
  }

 private:
  Shared& s_;
  std::vector<uint64_t> next_;
  int slow_;
};

// Sends `total` numbered messages to `to`, up to 64 per turn. On kFull it
// keeps the refused message and resends it next turn (after a kRetry to
// itself, so other actors run meanwhile).
class RetryingSender : public CheckingReceiver {
 public:
  RetryingSender(Shared& s, uint32_t index, uint64_t total, int slow_spins)
      : CheckingReceiver(s, 2, slow_spins), index_(index), total_(total) {}
  void set_peer(ActorId to) { to_ = to; }
  void on_start(Context& ctx) override { burst(ctx); }
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kRetry) burst(ctx);
    else if (msg.type == kData) take(ctx, msg);
  }
  ActorId to_;

 private:
  void burst(Context& ctx) {
    for (int n = 0; n < 64 && sent_ < total_; ++n) {
      Message m = Message::of(kData, std::array<uint64_t, 2>{index_, sent_});
      const SendStatus st = ctx.send(to_, std::move(m));
      if (st == SendStatus::kFull) {
        shared().refused.add();
        const auto kept = m.as<std::array<uint64_t, 2>>();
        EXPECT_EQ(kept[1], sent_) << "a refused message must stay with the sender";
        break;
      }
      EXPECT_EQ(st, SendStatus::kOk);
      ++sent_;
    }
    if (sent_ < total_) ctx.send(ctx.self(), kRetry, uint8_t{0});
  }
  Shared& shared() { return *shared_; }

 public:
  Shared* shared_ = nullptr;

 private:
  uint64_t index_, total_;
  uint64_t sent_ = 0;
};

class MailboxLimit : public ::testing::TestWithParam<EngineParam> {};

auto with_limit(uint32_t limit) {
  return [limit](actorlab::core::Config& c) { c.mailbox_limit = limit; };
}

// One fast sender, one slow receiver: refusals happen, and end, and every
// message arrives once in order.
TEST_P(MailboxLimit, RefusedMessagesAreResentNotLost) {
  Shared s;
  const uint64_t total = scale(20'000);
  s.expected_total = total;
  auto engine = make_test_engine(GetParam(), 2, with_limit(kLimit));
  const ActorId rx = engine->spawn<CheckingReceiver>(s, 1, 200);
  auto sender = std::make_unique<RetryingSender>(s, 0, total, 0);
  sender->shared_ = &s;
  sender->set_peer(rx);
  engine->spawn(std::move(sender));
  engine->start();
  wait_done_or_fail(*engine, "every message past the limit");
  const auto stats = engine->stats();
  engine->stop();
  EXPECT_EQ(s.received.get(), total);
  EXPECT_EQ(s.out_of_order.get(), 0u) << "lost, duplicated or reordered";
  EXPECT_GT(s.refused.get(), 0u) << "the slow receiver never reached the limit: the test was vacuous";
  EXPECT_EQ(stats.get("sends_full"), s.refused.get());
}

// Two actors flood each other past the limit: each is refused by the other
// at times; neither blocks, so both finish.
TEST_P(MailboxLimit, TwoActorsFloodingEachOtherFinish) {
  Shared s;
  const uint64_t each = scale(10'000);
  s.expected_total = 2 * each;
  auto engine = make_test_engine(GetParam(), 2, with_limit(kLimit));
  auto a = std::make_unique<RetryingSender>(s, 0, each, 50);
  auto b = std::make_unique<RetryingSender>(s, 1, each, 50);
  a->shared_ = b->shared_ = &s;
  RetryingSender* pa = a.get();
  RetryingSender* pb = b.get();
  // Ids are known only after spawning; the peers are set before start().
  const ActorId ia = engine->spawn(std::move(a));
  const ActorId ib = engine->spawn(std::move(b));
  pa->set_peer(ib);
  pb->set_peer(ia);
  engine->start();
  wait_done_or_fail(*engine, "both floods past the limit");
  engine->stop();
  EXPECT_EQ(s.received.get(), 2 * each);
  EXPECT_EQ(s.out_of_order.get(), 0u) << "lost, duplicated or reordered";
}

// The main thread is not an actor: it is never refused, even far past the
// limit, and nothing it sends is lost.
TEST_P(MailboxLimit, OutsideSendersAreNeverRefused) {
  Shared s;
  const uint64_t total = 50 * kLimit;
  s.expected_total = total;
  auto engine = make_test_engine(GetParam(), 2, with_limit(kLimit));
  const ActorId rx = engine->spawn<CheckingReceiver>(s, 1, 2000);
  engine->start();
  uint64_t not_ok = 0;
  for (uint64_t i = 0; i < total; ++i)
    if (engine->send(rx, Message::of(kData, std::array<uint64_t, 2>{0, i})) != SendStatus::kOk) ++not_ok;
  wait_done_or_fail(*engine, "every outside message");
  const auto stats = engine->stats();
  engine->stop();
  EXPECT_EQ(not_ok, 0u);
  EXPECT_EQ(s.received.get(), total);
  EXPECT_EQ(s.out_of_order.get(), 0u);
  EXPECT_EQ(stats.get("sends_full"), 0u);
}

INSTANTIATE_TEST_SUITE_P(AllEngines, MailboxLimit, ::testing::ValuesIn(engine_params()), param_name);

}  // namespace
