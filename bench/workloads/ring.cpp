// ring.cpp: `ring` (the thread-ring benchmark), 503 actors pass a token N
// hops; the hop counts must add up and the token must end at member
// N mod 503.
// Threads: member i alone writes hops[i]; the member holding the last token
// reads them all (every other member is idle then) before signal_done.
#include <memory>
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


// 503 actors in a ring pass one token N hops (the "thread ring" benchmark).
constexpr uint32_t kToken = core::kFirstUserType + 5;
constexpr uint64_t kRingSize = 503;

struct RingShared {
  Probe& probe;
  std::vector<ActorId> members;  // filled before start(); read-only after
  std::vector<uint64_t> hops;    // hops[i]: written only by member i
};

class RingMember final : public core::Actor {
 public:
  RingMember(RingShared& ring, std::size_t index) : ring_(ring), index_(index) {}
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type != kToken) return;
    const uint64_t remaining = msg.as<uint64_t>();
    if (remaining == 0) {
      ring_.probe.end_ns = perf::now_ns();
      uint64_t total = 0;
      for (uint64_t h : ring_.hops) total += h;  // every other member is idle: the token is here
      ring_.probe.operations = total;
      if (index_ != total % kRingSize)
        ring_.probe.error = "ring: the token ended at member " + std::to_string(index_) + " after " +
                            std::to_string(total) + " hops";
      ctx.signal_done(ring_.probe.error.empty() ? 0 : 1);
      return;
    }
    ++ring_.hops[index_];
    send_or_drop(ctx, ring_.members[(index_ + 1) % kRingSize], kToken, remaining - 1);
  }

 private:
  RingShared& ring_;
  std::size_t index_;
};

class RingStarter final : public core::Actor {
 public:
  RingStarter(RingShared& ring, uint64_t hops) : ring_(ring), hops_(hops) {}
  void on_start(Context& ctx) override {
    ring_.probe.start_ns = perf::now_ns();
    send_or_drop(ctx, ring_.members[0], kToken, hops_);
    ctx.exit();
  }
  void on_message(Context&, Message&) override {}

 private:
  RingShared& ring_;
  uint64_t hops_;
};

WorkloadResult run_ring(const core::Config& config, uint64_t hops, const RunWatch& watch) {
  std::unique_ptr<RingShared> ring;
  WorkloadResult r = run_on_engine(config, watch, [&](core::Engine& engine, Probe& probe) {
    ring.reset(new RingShared{probe, {}, std::vector<uint64_t>(kRingSize, 0)});
    for (std::size_t i = 0; i < kRingSize; ++i) ring->members.push_back(engine.spawn<RingMember>(*ring, i));
    engine.spawn<RingStarter>(*ring, hops);
    probe.expected_messages = hops + 1 + kRingSize + 1;  // token passes, starts
  });
  if (r.ok && r.operations != hops) {
    r.ok = false;
    r.verdict = Verdict::kFailed;
    r.error = "ring: " + std::to_string(r.operations) + " hops counted, " + std::to_string(hops) + " sent";
  }
  return r;
}

}  // namespace

Workload ring_workload() {
  return {"ring", "503 actors pass one token around a ring N hops (thread ring)", "hop", "", 10'000'000,
          count_only(run_ring), {}, check_count_positive};
}

}  // namespace actorlab::bench
