// invariant_2_fifo.cpp: DESIGN invariant 2, per-pair FIFO: messages from one
// sender to one receiver arrive in the order sent.
// Targets: a mailbox that reorders when a push races the consumer's pop or
// try_set_idle (Vyukov's "push in flight" window, the spinring's wrap and
// grow), a heap payload overtaking an inline one, and a receiver re-queued
// between turns (batch 1) or drained whole (batch all) on another worker.
// Several actor senders and raw-thread senders, each with its own sequence
// numbers per receiver, all interleaved.
// Threads: the engine's 2 workers and 2 raw std::threads sending from outside.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_support.hpp"

using namespace testing_support;
using actorlab::core::ActorId;
using actorlab::core::BatchKnob;
using actorlab::core::Context;
using actorlab::core::Message;
using actorlab::core::SendStatus;

namespace {

constexpr uint32_t kData = actorlab::core::kFirstUserType;
constexpr uint32_t kMore = kData + 1;

struct Header {
  uint32_t sender;
  uint32_t receiver;
  uint64_t seq;
};
// Over Message::kInlineBytes: goes to the heap.
struct BigItem {
  Header h;
  uint64_t pad[3];
};
static_assert(sizeof(BigItem) > Message::kInlineBytes);

Message item(uint32_t sender, uint32_t receiver, uint64_t seq) {
  const Header h{sender, receiver, seq};
  if (seq % 5 == 3) return Message::of(kData, BigItem{h, {seq, seq, seq}});
  return Message::of(kData, h);
}

struct FifoShared {
  uint64_t expected_total = 0;
  Tally received, out_of_order, misrouted;
};

class OrderedReceiver final : public actorlab::core::Actor {
 public:
  OrderedReceiver(FifoShared& s, uint32_t index, uint32_t senders) : s_(s), index_(index), next_(senders, 0) {}
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type != kData) return;
    const auto h = msg.as<Header>();
    if (h.receiver != index_ || h.sender >= next_.size()) {
      s_.misrouted.add();
    } else {
      if (h.seq != next_[h.sender]) s_.out_of_order.add();
      next_[h.sender] = h.seq + 1;  // resynchronise: count each break once
    }
    if (s_.received.value.fetch_add(1, std::memory_order_relaxed) + 1 == s_.expected_total) ctx.signal_done(0);
  }

 private:
  FifoShared& s_;
  uint32_t index_;
  std::vector<uint64_t> next_;  // per sender: the next sequence number expected
};

// Sends `per_receiver` messages to every receiver, interleaving receivers,
// `chunk` per dispatch (varying per sender so the senders drift apart).
class OrderedSender final : public actorlab::core::Actor {
 public:
  OrderedSender(std::vector<ActorId> receivers, uint32_t index, uint64_t per_receiver, uint64_t chunk)
      : receivers_(std::move(receivers)), index_(index), total_(per_receiver * receivers_.size()), chunk_(chunk) {}
  void on_start(Context& ctx) override { burst(ctx); }
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kMore) burst(ctx);
  }

 private:
  void burst(Context& ctx) {
    const uint64_t end = std::min(total_, sent_ + chunk_);
    for (; sent_ < end; ++sent_) {
      const auto r = static_cast<uint32_t>(sent_ % receivers_.size());
      ctx.send(receivers_[r], item(index_, r, sent_ / receivers_.size()));
    }
    if (sent_ < total_) ctx.send(ctx.self(), kMore, uint8_t{0});
  }
  std::vector<ActorId> receivers_;
  uint32_t index_;
  uint64_t total_, chunk_;
  uint64_t sent_ = 0;
};

class Fifo : public ::testing::TestWithParam<EngineParam> {};

void run_fifo(const EngineParam& param, const std::string& batch, uint64_t per_pair) {
  SCOPED_TRACE("batch=" + batch);
  constexpr uint32_t kReceivers = 3, kActorSenders = 6, kThreadSenders = 2;
  constexpr uint32_t kSenders = kActorSenders + kThreadSenders;
  FifoShared shared;
  shared.expected_total = per_pair * kReceivers * kSenders;
  auto engine = make_test_engine(param, 2, [&](auto& c) { c.batch = BatchKnob::parse(batch); });
  std::vector<ActorId> receivers;
  for (uint32_t r = 0; r < kReceivers; ++r) receivers.push_back(engine->spawn<OrderedReceiver>(shared, r, kSenders));
  for (uint32_t s = 0; s < kActorSenders; ++s)
    engine->spawn<OrderedSender>(receivers, s, per_pair, uint64_t{1} << (s % 6));  // chunks 1..32
  engine->start();
  std::vector<std::thread> threads;
  std::atomic<uint64_t> not_ok{0};
  for (uint32_t t = 0; t < kThreadSenders; ++t) {
    threads.emplace_back([&, t] {
      const uint32_t sender = kActorSenders + t;
      for (uint64_t i = 0; i < per_pair * kReceivers; ++i) {
        const auto r = static_cast<uint32_t>(i % kReceivers);
        if (engine->send(receivers[r], item(sender, r, i / kReceivers)) != SendStatus::kOk)
          not_ok.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (auto& t : threads) t.join();
  wait_done_or_fail(*engine, "every ordered message");
  engine->stop();
  EXPECT_EQ(not_ok.load(), 0u);
  EXPECT_EQ(shared.received.get(), shared.expected_total);
  EXPECT_EQ(shared.out_of_order.get(), 0u) << "per-pair FIFO broken";
  EXPECT_EQ(shared.misrouted.get(), 0u) << "a message reached the wrong receiver";
}

TEST_P(Fifo, PerPairOrderWithManySendersSkynetWeights) { run_fifo(GetParam(), "weights", scale(40'000)); }
TEST_P(Fifo, PerPairOrderWithManySendersBatchOne) { run_fifo(GetParam(), "1", scale(20'000)); }
TEST_P(Fifo, PerPairOrderWithManySendersBatchAll) { run_fifo(GetParam(), "all", scale(20'000)); }

INSTANTIATE_TEST_SUITE_P(AllEngines, Fifo, ::testing::ValuesIn(engine_params()), param_name);

}  // namespace
