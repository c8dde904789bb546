// skynet.cpp: `skynet`, a root spawns 10 children, recursively, down to N
// leaves; each leaf replies its ordinal, each node the sum of its children;
// the root checks the sum N(N-1)/2 (499999500000 for 1M). Measures spawn,
// start and exit as much as messaging.
// Threads: each node's state is touched only by the worker running it; the
// Probe only by the root before signal_done (spawn_failed is atomic).
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

constexpr uint32_t kSum = core::kFirstUserType + 4;

class SkynetNode final : public core::Actor {
 public:
  SkynetNode(Probe& probe, bool root, ActorId parent, uint64_t first, uint64_t size)
      : probe_(probe), root_(root), parent_(parent), first_(first), size_(size) {}
  void on_start(Context& ctx) override {
    if (root_) probe_.start_ns = perf::now_ns();
    if (size_ == 1) return finish(ctx, first_);
    const uint64_t child_size = size_ / 10;
    for (uint64_t i = 0; i < 10; ++i) {
      if (!ctx.spawn<SkynetNode>(probe_, false, ctx.self(), first_ + i * child_size, child_size)) {
        if (!probe_.spawn_failed.exchange(true)) ctx.signal_done(1);
        return;
      }
    }
  }
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type != kSum) return;
    sum_ += msg.as<uint64_t>();
    if (++replies_ == 10) finish(ctx, sum_);
  }

 private:
  void finish(Context& ctx, uint64_t sum) {
    ctx.exit();
    if (!root_) {
      send_or_drop(ctx, parent_, kSum, sum);
      return;
    }
    probe_.end_ns = perf::now_ns();
    probe_.operations = size_;
    const uint64_t expected = size_ * (size_ - 1) / 2;
    if (sum != expected)
      probe_.error = "skynet: sum " + std::to_string(sum) + " != expected " + std::to_string(expected);
    ctx.signal_done(sum == expected ? 0 : 1);
  }
  Probe& probe_;
  bool root_;
  ActorId parent_;
  uint64_t first_, size_;
  uint64_t sum_ = 0;
  int replies_ = 0;
};

WorkloadResult run_skynet(const core::Config& config, uint64_t leaves, const RunWatch& watch) {
  uint64_t power = 1;
  while (power < leaves) power *= 10;
  if (power != leaves) {
    WorkloadResult r;
    r.error = "skynet: --count must be a power of 10 (got " + std::to_string(leaves) + ")";
    return r;
  }
  WorkloadResult r = run_on_engine(config, watch, [&](core::Engine& engine, Probe& probe) {
    engine.spawn<SkynetNode>(probe, true, core::kNoActor, 0, leaves);
  });
  r.extras["actors"] = static_cast<double>(leaves + (leaves - 1) / 9);
  return r;
}

void check_skynet(const WorkloadParams& params) {
  uint64_t power = 1;
  while (power < params.count && power <= UINT64_MAX / 10) power *= 10;
  if (power != params.count)
    throw core::ConfigError("count: skynet needs a power of 10 (got " + std::to_string(params.count) + ")");
}

}  // namespace

Workload skynet_workload() {
  return {"skynet", "root spawns 10 children recursively down to N leaves; sums ordinals", "leaf", "",
          1'000'000, count_only(run_skynet), {}, check_skynet};
}

}  // namespace actorlab::bench
