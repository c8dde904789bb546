// ablate_command.hpp: `actorlab ablate --from=A --to=B --workload=W,...`:
// attributes the difference between two compositions to their parts. It
// walks from A to B one knob at a time in a fixed order (ablate_order():
// placement, home, steal, lifo, lifo-backoff, batch, idle, spin, grace,
// queues, then the rest of the table), each intermediate configuration
// valid (a flip that would make it invalid waits until a later flip makes
// it valid; two flips that only go together are one step; what cannot be
// ordered is skipped with the reason), and also flips each knob alone from
// A. Every configuration runs interleaved through the bench runner
// (bench/runner/runner.hpp), so the result set is bench's JSON (scripts/plot and
// scripts/compare read it) with context.actorlab_ablate describing the
// steps; then a table per workload: each step's median and spread, the
// ratio the step contributes, and the counters that changed most.
// Threads: main thread.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "bench/cli/bench_command.hpp"

namespace actorlab::bench {

struct AblateStep {
  enum class Kind { kStart, kWalk, kTarget, kFlip };
  Kind kind = Kind::kWalk;
  // The knobs this step changes against the configuration before it (walk)
  // or against the start (flip): (knob, old value, new value).
  std::vector<std::tuple<std::string, std::string, std::string>> changes;
  LabeledConfig config;
};

struct AblatePlan {
  std::string from, to;
  std::vector<AblateStep> steps;  // start, walk..., target, then the single flips
  std::vector<std::pair<std::string, std::string>> skipped;  // (what, why)
};

// Knobs in the order a walk flips them.
const std::vector<std::string>& ablate_order();

// The steps from `from` to `to` (presets) under the base knobs (any knob of
// the table but policy, threads and alloc); throws core::ConfigError when
// either end is invalid.
AblatePlan plan_ablation(const std::string& from, const std::string& to, int threads,
                         const std::map<std::string, std::string>& base);

nlohmann::json to_json(const AblatePlan& plan);

// The attribution table of a finished run, from its result set (bench JSON).
void print_attribution(const AblatePlan& plan, const std::vector<std::string>& workload_names,
                       const nlohmann::json& results, std::FILE* out);

struct AblateOptions {
  std::string from, to;
  int threads = 2;
  std::map<std::string, std::string> base;
  BenchOptions bench;  // workloads, repetitions, count, params, out_path, command_line (configs unused)
};

// Plans, checks every input, runs, prints; returns the runner's exit code.
// Throws core::ConfigError for bad input (before any run).
int run_ablate(const AblateOptions& options);

}  // namespace actorlab::bench
