// stress_actors.cpp: many-to-one stress through the whole runtime, for every
// mailbox x run-queue kind: 8 producer actors x 1 consumer, 10,000,000
// messages in all at stress_scale=100, each producer with its own sequence.
// Targets: any message lost, duplicated or reordered under sustained
// contention on one mailbox (8 producers on 2 workers pushing while the
// consumer pops, goes idle and is woken again), i.e. invariants 1, 2 and 4
// together at volume. Flow control by credits (the consumer grants a producer
// kCredit more messages each time it has taken kCredit from it) bounds the
// mailbox, so memory stays small and the consumer's mailbox regularly runs
// dry and is re-activated.
// Threads: the engine's 2 workers.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/test_support.hpp"

using namespace testing_support;
using actorlab::core::ActorId;
using actorlab::core::Context;
using actorlab::core::Message;

namespace {

constexpr uint32_t kData = actorlab::core::kFirstUserType;
constexpr uint32_t kCreditMsg = kData + 1;
constexpr uint64_t kCredit = 512;
constexpr uint64_t kWindow = 4 * kCredit;  // at most this many in flight per producer
constexpr uint32_t kProducers = 8;

struct Item {
  uint32_t producer;
  uint32_t pad;
  uint64_t seq;
};

struct Verdict {
  uint64_t received = 0, gaps = 0, backwards = 0, bad_producer = 0;
};

class Consumer final : public actorlab::core::Actor {
 public:
  Consumer(Verdict& v, uint64_t per_producer) : v_(v), per_producer_(per_producer), next_(kProducers, 0) {}
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type != kData) return;
    const auto item = msg.as<Item>();
    if (item.producer >= kProducers) {
      ++v_.bad_producer;
    } else {
      uint64_t& next = next_[item.producer];
      if (item.seq > next) ++v_.gaps;            // lost (or overtaken)
      else if (item.seq < next) ++v_.backwards;  // duplicated (or overtaken)
      next = item.seq + 1;
      // Only credits the producer still needs, so none is left queued at the end.
      if (next % kCredit == 0 && next + kWindow - kCredit < per_producer_) ctx.send(msg.source, kCreditMsg, kCredit);
    }
    if (++v_.received == per_producer_ * kProducers) ctx.signal_done(0);
  }

 private:
  Verdict& v_;  // written only here; read by the test after stop()
  uint64_t per_producer_;
  std::vector<uint64_t> next_;
};

class Producer final : public actorlab::core::Actor {
 public:
  Producer(ActorId consumer, uint32_t index, uint64_t total) : consumer_(consumer), index_(index), total_(total) {}
  void on_start(Context& ctx) override { send_up_to(ctx, kWindow); }
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kCreditMsg) send_up_to(ctx, msg.as<uint64_t>());
  }

 private:
  void send_up_to(Context& ctx, uint64_t n) {
    const uint64_t end = std::min(total_, sent_ + n);
    for (; sent_ < end; ++sent_) ctx.send(consumer_, kData, Item{index_, 0, sent_});
  }
  ActorId consumer_;
  uint32_t index_;
  uint64_t total_;
  uint64_t sent_ = 0;
};

class StressActors : public ::testing::TestWithParam<EngineParam> {};

void run_stress(const EngineParam& param, int threads, const char* batch, uint64_t total) {
  SCOPED_TRACE(std::string("threads=") + std::to_string(threads) + " batch=" + batch);
  const uint64_t per_producer = total / kProducers;
  Verdict v;
  auto engine = make_test_engine(param, threads, [&](auto& c) { c.batch = actorlab::core::BatchKnob::parse(batch); });
  const ActorId consumer = engine->spawn<Consumer>(v, per_producer);
  for (uint32_t p = 0; p < kProducers; ++p) engine->spawn<Producer>(consumer, p, per_producer);
  const auto t0 = std::chrono::steady_clock::now();
  engine->start();
  const int64_t done = wait_done_or_fail(*engine, "all producer messages at the consumer");
  const auto wall = std::chrono::steady_clock::now() - t0;
  engine->stop();
  EXPECT_EQ(done, 0);
  EXPECT_EQ(v.received, per_producer * kProducers);
  EXPECT_EQ(v.gaps, 0u) << "sequence gaps: messages lost or reordered";
  EXPECT_EQ(v.backwards, 0u) << "sequence went back: messages duplicated or reordered";
  EXPECT_EQ(v.bad_producer, 0u);
  const auto stats = engine->stats();
  EXPECT_EQ(stats.get("dead_letters"), 0u);
  EXPECT_EQ(stats.get("dropped_at_stop"), 0u);
  ::testing::Test::RecordProperty("wall_ms_threads_" + std::to_string(threads),
                                  static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(wall).count()));
}

// The full 10,000,000 (at stress_scale=100), skynet's weights, 2 workers.
TEST_P(StressActors, EightProducersOneConsumerNoneLostDuplicatedOrReordered) {
  run_stress(GetParam(), 2, "weights", scale(10'000'000));
}

// More workers than cores and one message per turn: every message is a
// re-queue, and workers are preempted mid-turn.
TEST_P(StressActors, EightProducersOneConsumerFourWorkersBatchOne) {
  run_stress(GetParam(), 4, "1", scale(2'000'000));
}

INSTANTIATE_TEST_SUITE_P(AllEngines, StressActors, ::testing::ValuesIn(engine_params()), param_name);

}  // namespace
