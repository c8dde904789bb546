// fanout.cpp: `fanout`, 1 actor sends N/1000 messages to each of 1000
// actors (one message to each per turn), which check their order and ack
// when complete.
// Threads: each actor's state is touched only by the worker running it; the
// Probe only by the root before signal_done.
#include <string>
#include <vector>

#include "bench/workloads/catalogue.hpp"
#include "bench/workloads/workload.hpp"
#include "bench/workloads/workload_support.hpp"
#include "core/actor.hpp"
#include "perf/clock.hpp"

namespace actorlab::bench {
namespace {

using core::ActorId;
using core::Context;
using core::Message;

constexpr uint32_t kMore = core::kFirstUserType + 3;

// One actor sends kFanoutPer messages to each of kFanoutWidth actors (one
// round of one message each per turn); each checks its sequence and acks
// once it has all of them.
constexpr uint32_t kRound = core::kFirstUserType + 6;
constexpr uint32_t kAck = core::kFirstUserType + 7;
constexpr uint64_t kFanoutWidth = 1000;

class FanoutReceiver final : public core::Actor {
 public:
  FanoutReceiver(ActorId root, uint64_t expected) : root_(root), expected_(expected) {}
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type != kRound) return;
    const bool in_order = msg.as<uint64_t>() == received_;
    ++received_;
    if (!in_order) ok_ = false;
    if (received_ == expected_) send_or_drop(ctx, root_, kAck, uint8_t{ok_});
  }

 private:
  ActorId root_;
  uint64_t expected_;
  uint64_t received_ = 0;
  bool ok_ = true;
};

class FanoutRoot final : public core::Actor {
 public:
  FanoutRoot(Probe& probe, uint64_t per_receiver) : probe_(probe), per_(per_receiver) {}
  void on_start(Context& ctx) override {
    for (uint64_t i = 0; i < kFanoutWidth; ++i) {
      receivers_.push_back(ctx.spawn<FanoutReceiver>(ctx.self(), per_));
      if (!receivers_.back()) {
        probe_.error = "fanout: spawn failed";
        ctx.signal_done(1);
        return;
      }
    }
    probe_.start_ns = perf::now_ns();
    send_or_drop(ctx, ctx.self(), kMore, uint8_t{0});
  }
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kMore) {
      for (ActorId r : receivers_) send_or_drop(ctx, r, kRound, round_);
      if (++round_ < per_) send_or_drop(ctx, ctx.self(), kMore, uint8_t{0});
    } else if (msg.type == kAck) {
      if (msg.as<uint8_t>() == 0) probe_.error = "fanout: a receiver saw its messages out of order";
      if (++acks_ == kFanoutWidth) {
        probe_.end_ns = perf::now_ns();
        probe_.operations = kFanoutWidth * per_;
        ctx.signal_done(probe_.error.empty() ? 0 : 1);
      }
    }
  }

 private:
  Probe& probe_;
  uint64_t per_;
  uint64_t round_ = 0;
  uint64_t acks_ = 0;
  std::vector<ActorId> receivers_;
};

WorkloadResult run_fanout(const core::Config& config, uint64_t total, const RunWatch& watch) {
  const uint64_t per = total / kFanoutWidth;
  if (per == 0) {
    WorkloadResult r;
    r.error = "fanout: --count must be at least " + std::to_string(kFanoutWidth);
    return r;
  }
  return run_on_engine(config, watch, [&](core::Engine& engine, Probe& probe) {
    engine.spawn<FanoutRoot>(probe, per);
    probe.expected_messages = (kFanoutWidth + 1) * per + 2 * kFanoutWidth + 1;  // rounds, re-queues, acks, starts
  });
}

void check_fanout(const WorkloadParams& params) {
  if (params.count < kFanoutWidth)
    throw core::ConfigError("count: fanout needs at least " + std::to_string(kFanoutWidth) + " (got " +
                            std::to_string(params.count) + ")");
}

}  // namespace

Workload fanout_workload() {
  return {"fanout", "1 actor sends N/1000 messages to each of 1000 actors; each acks when complete", "message", "",
          1'000'000, count_only(run_fanout), {}, check_fanout};
}

}  // namespace actorlab::bench
