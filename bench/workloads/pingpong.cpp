// pingpong.cpp: `pingpong`, 2 actors (on one worker where the policy binds
// actors) pass one message back and forth N round trips; each pong must carry
// the ping's sequence number. Latency: one round trip in 16, sampled.
// Threads: each actor's state is touched only by the worker running it; the
// Probe only by the pinger before signal_done.
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

constexpr uint32_t kPing = core::kFirstUserType;
constexpr uint32_t kPong = core::kFirstUserType + 1;

class Ponger final : public core::Actor {
 public:
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kPing) send_or_drop(ctx, msg.source, kPong, msg.as<uint64_t>());
  }
};

class Pinger final : public core::Actor {
 public:
  Pinger(Probe& probe, ActorId peer, uint64_t rounds) : probe_(probe), peer_(peer), rounds_(rounds) {}
  void on_start(Context& ctx) override {
    probe_.start_ns = perf::now_ns();
    send_or_drop(ctx, peer_, kPing, uint64_t{0});
  }
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type != kPong) return fail(ctx, "pinger: unexpected message type " + std::to_string(msg.type));
    const uint64_t seq = msg.as<uint64_t>();
    if (seq != done_) return fail(ctx, "pingpong: expected pong " + std::to_string(done_) + ", got " + std::to_string(seq));
    // Latency of one round trip in kSampleEvery: the clock (~24 ns a read
    // here) would otherwise be a fifth of a round trip.
    const uint64_t phase = done_ % kSampleEvery;
    if (phase == kSampleEvery - 1) {
      sample_start_ns_ = perf::now_ns();
    } else if (phase == 0 && sample_start_ns_ != 0) {
      probe_.latency.record(perf::now_ns() - sample_start_ns_);
    }
    if (++done_ == rounds_) {
      probe_.end_ns = perf::now_ns();
      probe_.operations = done_;
      ctx.signal_done();
      return;
    }
    send_or_drop(ctx, peer_, kPing, done_);
  }

 private:
  void fail(Context& ctx, std::string why) {
    probe_.error = std::move(why);
    ctx.signal_done(1);
  }
  Probe& probe_;
  ActorId peer_;
  uint64_t rounds_;
  static constexpr uint64_t kSampleEvery = 16;
  uint64_t done_ = 0;
  uint64_t sample_start_ns_ = 0;
};

WorkloadResult run_pingpong(const core::Config& config, uint64_t rounds, const RunWatch& watch) {
  return run_on_engine(config, watch, [&](core::Engine& engine, Probe& probe) {
    // Both on worker 0 where the policy binds actors (pinned); elsewhere a hint.
    ActorId ponger = engine.spawn_on<Ponger>(0);
    engine.spawn_on<Pinger>(0, probe, ponger, rounds);
    probe.expected_messages = 2 * rounds + 2;  // pings, pongs, two starts
  });
}

}  // namespace

Workload pingpong_workload() {
  return {"pingpong", "2 actors pass one message back and forth; latency per round trip", "round trip",
          "round trip (1 in 16 sampled)", 1'000'000, count_only(run_pingpong), {}, check_count_positive};
}

}  // namespace actorlab::bench
