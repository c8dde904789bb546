// own_workload.cpp: add your own workload and measure it with the harness,
// without touching bench/. The workload here, "relay", passes a counter
// through a chain of actors that spawn_batch wired before any ran; its
// self-check is that every hop arrived exactly once and in order.
//
//   build/examples/own_workload [OUT.json]     (default /tmp/own_workload.json)
//   scripts/plot OUT.json; scripts/compare A.json B.json   read it like any result
//
// What it shows: a bench::Workload (name, unit, default count, run), its
// run built on bench::run_on_engine (fresh engine, progress watch, CPU and
// RSS, counters, verdict) and a bench::Probe; then bench::run_plan, the
// runner `actorlab bench` uses: configurations interleaved per repetition,
// the table on stdout, the JSON result set (Google Benchmark schema).
// Exits with run_plan's status: 0 passed, 1 a self-check failed, 3 stalled.
#include <cstdio>
#include <string>

#include "bench/runner/runner.hpp"
#include "bench/workloads/workload_support.hpp"
#include "perf/clock.hpp"
#include "sched/knobs.hpp"

namespace bench = actorlab::bench;
namespace core = actorlab::core;

constexpr uint32_t kHop = core::kFirstUserType;
constexpr std::size_t kChain = 16;

// Member i of the chain gets hops i, i + 16, i + 32, ... (member 0: 16, 32,
// ...) and forwards each, plus one, to member i + 1 (the last to member 0);
// whoever gets hop `hops` ends the run.
class Relay : public core::Actor {
 public:
  Relay(bench::Probe& probe, core::ActorId next, std::size_t index, uint64_t hops)
      : probe_(probe), next_(next), index_(index), hops_(hops), expected_(index == 0 ? kChain : index) {}

  void on_start(core::Context& ctx) override {
    if (index_ != 0) return;
    probe_.start_ns = actorlab::perf::now_ns();  // the workload times itself: no start-up, no shutdown
    ctx.send(next_, kHop, uint64_t{1});
  }

  void on_message(core::Context& ctx, core::Message& msg) override {
    const uint64_t hop = msg.as<uint64_t>();
    if (hop != expected_) {  // the self-check: a lost or repeated hop fails the run
      probe_.error = "relay: expected hop " + std::to_string(expected_) + ", got " + std::to_string(hop);
      ctx.signal_done(1);
      return;
    }
    expected_ += kChain;
    if (hop == hops_) {  // done: report to the harness
      probe_.end_ns = actorlab::perf::now_ns();
      probe_.operations = hops_;
      ctx.signal_done();
      return;
    }
    // bench::send_or_drop is ctx.send plus the harness's fault hook, so the
    // harness's tests can check this workload catches a lost message.
    bench::send_or_drop(ctx, next_, kHop, hop + 1);
  }

 private:
  bench::Probe& probe_;
  core::ActorId next_;
  std::size_t index_;
  uint64_t hops_;
  uint64_t expected_;  // the next hop this member must see
};

bench::WorkloadResult run_relay(const core::Config& config, const bench::WorkloadParams& params) {
  return bench::run_on_engine(config, params.watch, [&](core::Engine& engine, bench::Probe& probe) {
    const uint64_t hops = params.count;
    // spawn_batch: every member knows its successor's id before any runs.
    const auto ids = engine.spawn_batch(kChain, [&](std::size_t i, std::span<const core::ActorId> ids) {
      return std::make_unique<Relay>(probe, ids[(i + 1) % kChain], i, hops);
    });
    if (ids.empty()) probe.spawn_failed = true;  // the harness reports it as refused (--max-actors)
    probe.expected_messages = hops + kChain;  // hops plus the start messages: for the stall report
  });
}

int main(int argc, char** argv) {
  const std::string out = argc > 1 ? argv[1] : "/tmp/own_workload.json";
  // The harness's description of a workload: what `actorlab list` prints.
  const bench::Workload relay{
      .name = "relay",
      .description = "a counter passed along a chain of 16 actors wired by spawn_batch",
      .unit = "hop",
      .latency_metric = "",
      .default_count = 200'000,
      .run = run_relay,
  };
  bench::RunPlan plan;
  bench::WorkloadParams params;
  params.count = 100'000;
  plan.workloads.push_back({&relay, params, bench::planned_name(relay, params)});
  for (const char* policy : {"skynet", "steal"}) {  // two configurations, interleaved
    core::Config config;
    actorlab::sched::apply_policy(config, policy);
    config.threads = 2;
    plan.configs.push_back({std::string("policy:") + policy + "/threads:2", policy, config, {}});
  }
  plan.repetitions = 3;
  plan.out_path = out;
  plan.command_line = "own_workload " + out;
  plan.program = "own_workload";
  return bench::run_plan(plan);  // prints the table, writes `out`
}
