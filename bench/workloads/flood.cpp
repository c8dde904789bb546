// flood.cpp: `flood`, 1 sender streams N messages to 1 receiver without
// waiting (it sends in chunks and re-queues itself); the receiver checks the
// sequence. Latency: send to dispatch, sampled 1 in 64. Under
// --mailbox-limit a refused (kFull) message ends the chunk and is sent again
// on the next one, so every message still arrives.
// Threads: each actor's state is touched only by the worker running it; the
// Probe only by the receiver before signal_done.
#include <algorithm>
#include <string>

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

constexpr uint32_t kData = core::kFirstUserType + 2;
constexpr uint32_t kMore = core::kFirstUserType + 3;

struct FloodItem {
  uint64_t seq;
  uint64_t sent_ns;  // 0 when not sampled
};
constexpr uint64_t kFloodSampleMask = 63;
constexpr uint64_t kFloodChunk = 256;

class FloodReceiver final : public core::Actor {
 public:
  FloodReceiver(Probe& probe, uint64_t total) : probe_(probe), total_(total) {}
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type != kData) return;
    const auto item = msg.as<FloodItem>();
    if (item.seq != received_) {
      probe_.error = "flood: expected message " + std::to_string(received_) + ", got " + std::to_string(item.seq);
      ctx.signal_done(1);
      return;
    }
    if (item.sent_ns != 0) probe_.latency.record(perf::now_ns() - item.sent_ns);
    if (++received_ == total_) {
      probe_.end_ns = perf::now_ns();
      probe_.operations = received_;
      ctx.signal_done();
    }
  }

 private:
  Probe& probe_;
  uint64_t total_;
  uint64_t received_ = 0;
};

class FloodSender final : public core::Actor {
 public:
  FloodSender(Probe& probe, ActorId receiver, uint64_t total) : probe_(probe), receiver_(receiver), total_(total) {}
  void on_start(Context& ctx) override {
    probe_.start_ns = perf::now_ns();
    send_chunk(ctx);
  }
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kMore) send_chunk(ctx);
  }

 private:
  void send_chunk(Context& ctx) {
    const uint64_t end = std::min(total_, sent_ + kFloodChunk);
    for (; sent_ < end; ++sent_) {
      const uint64_t stamp = (sent_ & kFloodSampleMask) == 0 ? perf::now_ns() : 0;
      if (send_or_drop(ctx, receiver_, kData, FloodItem{sent_, stamp}) == core::SendStatus::kFull) break;
    }
    if (sent_ < total_) send_or_drop(ctx, ctx.self(), kMore, uint8_t{0});
  }
  Probe& probe_;
  ActorId receiver_;
  uint64_t total_;
  uint64_t sent_ = 0;
};

WorkloadResult run_flood(const core::Config& config, uint64_t total, const RunWatch& watch) {
  return run_on_engine(config, watch, [&](core::Engine& engine, Probe& probe) {
    ActorId receiver = engine.spawn<FloodReceiver>(probe, total);
    engine.spawn<FloodSender>(probe, receiver, total);
    probe.expected_messages = total + total / kFloodChunk + 2;  // data, re-queues, two starts
  });
}

}  // namespace

Workload flood_workload() {
  Workload w{"flood", "1 sender streams messages to 1 receiver without waiting; throughput", "message",
             "send to dispatch (1 in 64 sampled)", 10'000'000, count_only(run_flood), {}, check_count_positive};
  w.resends_when_full = true;  // a refused message ends the chunk and goes again next turn
  return w;
}

}  // namespace actorlab::bench
